package dev.omnibus.jetstream.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.OmnibusException;
import dev.omnibus.StartPosition;
import dev.omnibus.spi.InterruptibleWait;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import io.nats.client.ConsumeOptions;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamStatusCheckedException;
import io.nats.client.Message;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One subscription member: a pull consumer (the group's durable one, or a durable one of its own deleted on close)
 * read through jnats' {@link IterableConsumer}, which keeps up to a batch of pulled messages. Receive runs on the
 * library's receive thread; ack, nack, term and inProgress are thread-safe jnats publishes to the message's reply
 * subject.
 *
 * <p>Read-ahead is kept alive: the server's ack wait runs from the moment it sends a message into the pull, and jnats
 * keeps pulling while messages it holds wait for the library, which takes only what its free slots allow. A message
 * waiting unseen in jnats' buffer behind a slow handler would be redelivered although nothing failed. So every
 * message jnats has is taken into this receiver's own queue as soon as it is there (by the receive thread, and by a
 * keeper task on the library's scheduler while the receive thread is busy running handlers), and whatever waits in
 * that queue is renewed with {@code inProgress} every quarter ack wait until the library takes it. What a member holds
 * stays bounded by the consumer's {@code MaxAckPending}.
 *
 * <p>Reconnects: after the connection comes back (the connector counts reconnects) the next receive checks that the
 * consumer still exists; if the server lost it, it is re-created and pulled afresh (jnats re-pulls by itself for a
 * consumer that survived). A watchdog covers the rest: after a few idle seconds the receiver asks the server whether
 * messages wait for the consumer, and if so restarts the pull, taking what the old pull still delivers, so the
 * subscription never sits reconnected yet silently receiving nothing. Deliveries of a consumer of its own that went
 * to a pull that no longer exists (jnats replaces its pull subscription when a heartbeat is late, and drops what the
 * old one received) show as a gap in the consumer sequence; once the member holds nothing unsettled, the consumer is
 * re-created from its ack floor so they come again at once, not after the ack wait ({@link StrandedDeliveries}). A
 * group's shared consumer cannot tell another member's deliveries from lost ones: lost ones wait out the ack wait.
 */
final class JetStreamReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(JetStreamReceiver.class);
    private static final Duration POLL_NOW = Duration.ofNanos(1);
    private static final long PULL_EXPIRES_MS = 1_000;
    /** How long a stopped pull may take to end: its expiry and some room for the server's last answer. */
    private static final long PULL_DRAIN_MS = PULL_EXPIRES_MS + 500;
    private static final Duration PRIVATE_INACTIVE = Duration.ofHours(1);
    private static final Duration CLOSE_FLUSH = Duration.ofSeconds(2);
    private static final Duration ACK_APPLY_WAIT = Duration.ofSeconds(1);
    /**
     * How long after its last ack a closing member waits before close returns: nats-server writes a consumer's state
     * (its ack floor) to its store at most every 100 ms (the file store's flush loop), so an ack the server has
     * applied may not be on disk for up to 100 ms, and a server killed in that window redelivers it after a restart
     * (R17). 150 ms leaves room for the write itself. Only a close soon after an ack waits; an idle one does not.
     */
    private static final long STATE_WRITE_NANOS = TimeUnit.MILLISECONDS.toNanos(150);
    private static final long ACK_APPLY_POLL_NANOS = Duration.ofMillis(10).toNanos();
    private static final int CONSUMER_NOT_FOUND = 10014;
    private static final int MAX_NAME = 200;
    private static final int ATTEMPTS_KEPT = 65_536;
    /** Idle time after which the receiver asks the server whether its pull is stuck (see {@link #stalled()}). */
    private static final long STALL_CHECK_NANOS = Duration.ofSeconds(3).toNanos();

    private final JetStreamBackend backend;
    private final ReceiverSpec spec;
    private final String topic;
    private final String stream;
    private final String consumer;
    private final boolean own;
    private final int batch;
    /**
     * The attempt last handed to the library per stream sequence, until the message is acked or terminated: a server
     * restarted from a consumer state older than its last deliveries counts those redeliveries from 1 again, and
     * attempts must never count backwards (dead-lettering counts on them). Bounded: past
     * {@link #ATTEMPTS_KEPT} entries the server's count is taken as it is.
     */
    private final Map<Long, Integer> attemptsHanded = new ConcurrentHashMap<>();
    /** A consumer of its own: deliveries that went to a pull that no longer exists ({@link #recreateFromAckFloor}). */
    private final StrandedDeliveries strandedDeliveries = new StrandedDeliveries();
    /** Messages handed to the library and not settled yet, by stream sequence: nak'ed on close. */
    private final Map<Long, Message> unsettled = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Lets close end a pull waiting in jnats' nextMessage at once (it answers only an interrupt). */
    private final InterruptibleWait idle = new InterruptibleWait();
    /** The highest stream sequence this member acked: close waits (briefly) for the server to have applied it. */
    private final AtomicLong highestAcked = new AtomicLong();
    /** When this member last acked or terminated a message ({@link System#nanoTime()}); 0: never. */
    private volatile long lastSettledNanos;
    private volatile IterableConsumer pulling;
    /** Guards every call into jnats' pull (jnats' consumer bookkeeping is not thread-safe). */
    private final ReentrantLock pullLock = new ReentrantLock();
    /** Messages taken from jnats and not yet handed to the library, in arrival order. */
    private final ConcurrentLinkedDeque<Waiting> waiting = new ConcurrentLinkedDeque<>();
    private final long renewNanos;
    private final ScheduledFuture<?> keeper;
    private long reconnectsSeen;
    /** The server the current pull was started on ({@link dev.omnibus.nats.shared.NatsConnector#serverId()}). */
    private String serverSeen = "";
    private long lastSequence;
    /** When the receive thread last got a message or checked for a stall ({@link System#nanoTime()}). */
    private long lastActivity = System.nanoTime();

    JetStreamReceiver(JetStreamBackend backend, ReceiverSpec spec) {
        this.backend = backend;
        this.spec = spec;
        this.topic = spec.topic();
        this.own = spec.group() == null;
        this.consumer = own ? "omnibus_" + UUID.randomUUID().toString().replace("-", "")
                : durableName(spec.group(), topic);
        // at least 2: with a batch of 1, jnats' simplified consumer computes a re-pull threshold of 0 and, once its
        // one message is processed, never pulls again (seen with maxInFlight 1: the consumer stalled after a message)
        this.batch = Math.max(2, Math.min(spec.maxInFlight(), 1024));
        this.stream = backend.streams().forSubscription(topic);
        // a quarter ack wait, checked every eighth: the server's clock started before the keeper saw the message
        this.renewNanos = spec.ackDeadline().toNanos() / 4;
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(20), Math.min(spec.ackDeadline().toNanos() / 8,
                TimeUnit.SECONDS.toNanos(1)));
        try {
            ensureConsumer();
            startPulling();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw backend.classify(e);
        }
        this.keeper = backend.connector().context().scheduler().scheduleAtFixedRate(this::keepWaitingAlive, period,
                period, TimeUnit.NANOSECONDS);
    }

    /** {@code <group>_<topic>} with dots as underscores and wildcards spelled out; hashed when too long. */
    static String durableName(String group, String topic) {
        String t = topic.replace(".", "_").replace("*", "-any-").replace(">", "-all-");
        String name = group + "_" + t;
        if (name.length() <= MAX_NAME) {
            return name;
        }
        return group + "_" + UUID.nameUUIDFromBytes(topic.getBytes(StandardCharsets.UTF_8)).toString().replace("-", "");
    }

    private ConsumerConfiguration config(boolean resuming) {
        long resumeAt = resumeSequence();
        return config(resuming && resumeAt > 0 ? resumeAt : 0);
    }

    /** The consumer's configuration, delivering from stream sequence {@code startAt}, or as the spec says when 0. */
    private ConsumerConfiguration config(long startAt) {
        ConsumerConfiguration.Builder b = ConsumerConfiguration.builder()
                .durable(consumer)
                .filterSubject(topic)
                .ackPolicy(AckPolicy.Explicit)
                .ackWait(spec.ackDeadline())
                .maxAckPending(own ? batch : Math.max(1000, batch));
        if (own) {
            b.inactiveThreshold(PRIVATE_INACTIVE);
        }
        if (startAt > 0) {
            b.deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(startAt);
            return b.build();
        }
        StartPosition start = spec.startPosition();
        switch (start.kind()) {
            case EARLIEST:
                b.deliverPolicy(DeliverPolicy.All);
                break;
            case TIME:
                b.deliverPolicy(DeliverPolicy.ByStartTime).startTime(start.time().atZone(ZoneOffset.UTC));
                break;
            default:
                b.deliverPolicy(DeliverPolicy.New);
        }
        return b.build();
    }

    /** Where a consumer the server lost resumes: the oldest unsettled message, else the one after the last seen. */
    private long resumeSequence() {
        long lowest = Long.MAX_VALUE;
        for (Long seq : unsettled.keySet()) {
            lowest = Math.min(lowest, seq);
        }
        return lowest != Long.MAX_VALUE ? lowest : lastSequence > 0 ? lastSequence + 1 : 0;
    }

    /**
     * Uses the consumer if it exists (checking it reads this topic), else creates it; true when it had to be created.
     */
    private boolean ensureConsumer() throws IOException, JetStreamApiException {
        try {
            ConsumerInfo info = backend.jsm().getConsumerInfo(stream, consumer);
            String filter = info.getConsumerConfiguration().getFilterSubject();
            if (filter != null && !filter.equals(topic)) {
                throw new InvalidArgumentException("jetstream: consumer '" + consumer + "' of stream '" + stream
                        + "' exists and reads '" + filter + "', not '" + topic + "': use another group name");
            }
            return false;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != CONSUMER_NOT_FOUND && e.getErrorCode() != 404) {
                throw e;
            }
            boolean resuming = reconnectsSeen > 0 || lastSequence > 0;
            if (resuming) {
                log.warn("{}: consumer '{}' of stream '{}' is gone from {}; re-creating it", JetStreamBackend.NAME,
                        consumer, stream, backend.connector().context().redactedUrl());
            }
            backend.jsm().addOrUpdateConsumer(stream, config(resuming));
            strandedDeliveries.giveUp();
            return true;
        }
    }

    /**
     * Takes note of a delivery of a consumer of its own ({@link StrandedDeliveries}); true when it was handed out and
     * settled before the consumer was re-created: it is acked again, not handed out twice.
     */
    private boolean settledBefore(Message m) {
        long seq = m.metaData().streamSequence();
        long missed = strandedDeliveries.delivered(m.metaData().consumerSequence(), seq);
        if (missed > 0) {
            log.info("{}: {} deliveries of consumer '{}' never reached this subscription (they went to a pull that no "
                    + "longer exists); they come again once it holds nothing unsettled, at the latest after the ack "
                    + "wait", JetStreamBackend.NAME, missed, consumer);
        }
        if (strandedDeliveries.alreadySettled(seq)) {
            lastSequence = Math.max(lastSequence, seq);
            m.ack();
            return true;
        }
        return false;
    }

    /**
     * Whether this member holds no message unsettled or waiting, settled none in the last second (an ack on its way
     * still counts as pending on the server) and has no delayed nack due: the server's pending acks are then deliveries
     * it never got.
     */
    private boolean holdsNothing() {
        return unsettled.isEmpty() && waiting.isEmpty()
                && System.nanoTime() - lastSettledNanos > ACK_APPLY_WAIT.toNanos() && !strandedDeliveries.delayedNackDue();
    }

    /**
     * Re-creates this member's own consumer from its ack floor, so that deliveries that went to a pull that no longer
     * exists come again now instead of after the ack wait. Runs only while this member holds nothing unsettled and no
     * delayed nack is due; what it handed out since comes again too and is acked at once. Under {@link #pullLock}.
     */
    private void recreateFromAckFloor() throws IOException, JetStreamApiException {
        ConsumerInfo info = backend.jsm().getConsumerInfo(stream, consumer);
        if (info.getNumAckPending() == 0) {
            // redelivered meanwhile (their ack wait passed) and settled
            strandedDeliveries.giveUp();
            return;
        }
        long floor = info.getAckFloor().getStreamSequence();
        log.info("{}: re-creating consumer '{}' from stream sequence {} to get back {} deliveries that never reached "
                + "this subscription ({} await ack on the server) before their ack wait of {}", JetStreamBackend.NAME,
                consumer, floor + 1, strandedDeliveries.stranded(), info.getNumAckPending(), spec.ackDeadline());
        stopPulling();
        backend.jsm().deleteConsumer(stream, consumer);
        backend.jsm().addOrUpdateConsumer(stream, config(floor + 1));
        strandedDeliveries.recreated(floor);
        startPulling();
    }

    /**
     * Replaces the pull: stops the current one and takes what it still delivers, waiting up to {@code drainMs} for
     * its request to end (its expiry, so no message the server handed to it is stranded until its ack wait; 0 when
     * the server that held the request is gone and only what jnats already holds can come); then pulls afresh.
     * Returns the taken messages, to be handed to the library.
     */
    private List<Message> restartPull(long drainMs) throws IOException, JetStreamApiException, InterruptedException {
        List<Message> taken = new ArrayList<>();
        IterableConsumer p = pulling;
        if (p != null) {
            p.stop();
            drain(p, drainMs, taken::add);
        }
        stopPulling();
        startPulling();
        log.debug("{}: pull of '{}' restarted; {} messages taken from the old one", JetStreamBackend.NAME, consumer,
                taken.size());
        return taken;
    }

    private void startPulling() throws IOException, JetStreamApiException {
        reconnectsSeen = backend.connector().reconnects();
        serverSeen = backend.connector().serverId();
        pulling = backend.js().getConsumerContext(stream, consumer)
                .iterate(ConsumeOptions.builder().batchSize(batch).expiresIn(PULL_EXPIRES_MS).build());
    }

    private void stopPulling() {
        IterableConsumer p = pulling;
        pulling = null;
        if (p != null) {
            try {
                p.close();
            } catch (Exception e) {
                log.debug("{}: stopping the pull of '{}' failed", JetStreamBackend.NAME, consumer, e);
            }
        }
    }

    @Override
    public List<ReceivedMessage> receive(int max, Duration maxWait) throws InterruptedException {
        if (closed.get()) {
            return List.of();
        }
        if (waiting.isEmpty()) {
            pullLock.lockInterruptibly();
            try {
                pull(maxWait);
            } finally {
                pullLock.unlock();
            }
        }
        List<ReceivedMessage> out = new ArrayList<>(Math.min(max, 64));
        Waiting w;
        while (out.size() < max && (w = waiting.poll()) != null) {
            if (own && settledBefore(w.message)) {
                continue;
            }
            out.add(decode(w.message));
        }
        return out;
    }

    /**
     * Waits up to {@code maxWait} for a message and moves everything jnats holds into {@link #waiting}; restarts the
     * pull where needed (reconnect, a lost consumer, a stalled pull). Under {@link #pullLock}.
     */
    private void pull(Duration maxWait) throws InterruptedException {
        try {
            long reconnects = backend.connector().reconnects();
            if (pulling == null) {
                ensureConsumer();
                startPulling();
            } else if (reconnectsSeen != reconnects) {
                // After a cut to the same server, jnats' pull goes on (its request may still be answered, so it is
                // kept). A consumer the server lost needs a new pull. A server that restarted lost the pull request
                // itself: jnats would notice only when its heartbeat alarm fires (1.5 to 3 s of silence with a 1 s
                // expiry), so the pull is replaced at once; nothing more can come to the old one.
                reconnectsSeen = reconnects;
                lastActivity = System.nanoTime();
                boolean restarted = !serverSeen.equals(backend.connector().serverId());
                boolean lost = ensureConsumer();
                if (restarted || lost) {
                    hold(restartPull(restarted ? 0 : PULL_DRAIN_MS));
                }
            } else if (own && strandedDeliveries.recreateDue() && holdsNothing()) {
                recreateFromAckFloor();
            } else if (stalled()) {
                hold(restartPull(PULL_DRAIN_MS));
            }
            if (!waiting.isEmpty()) {
                return;
            }
            IterableConsumer p = pulling;
            Message m = idle.run(() -> p.nextMessage(maxWait));
            if (m == null) {
                return;
            }
            lastActivity = System.nanoTime();
            waiting.add(new Waiting(m, lastActivity));
            takeAvailable(p);
        } catch (JetStreamStatusCheckedException e) {
            stopPulling();
            throw new OmnibusException(ErrorCode.UNAVAILABLE, JetStreamBackend.NAME + ": pulling from consumer '"
                    + consumer + "' failed: " + e.getMessage() + "; starting over", e, true);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            if (closed.get()) {
                return;
            }
            stopPulling();
            OmnibusException error = backend.classify(e);
            if (error.code() == ErrorCode.NOT_FOUND || error.code() == ErrorCode.CLOSED && !backend.connector().isClosed()) {
                throw new OmnibusException(ErrorCode.UNAVAILABLE, error.getMessage(), e, true);
            }
            throw error;
        }
    }

    /** Moves every message jnats already holds into {@link #waiting}, without waiting. Under {@link #pullLock}. */
    private void takeAvailable(IterableConsumer p) throws InterruptedException, JetStreamStatusCheckedException {
        Message m;
        long now = System.nanoTime();
        while ((m = p.nextMessage(POLL_NOW)) != null) {
            waiting.add(new Waiting(m, now));
        }
    }

    private void hold(List<Message> messages) {
        long now = System.nanoTime();
        for (Message m : messages) {
            waiting.add(new Waiting(m, now));
        }
    }

    /**
     * The keeper, on the library's scheduler: takes what jnats holds while the receive thread is busy elsewhere (it
     * skips a round while the receive thread is inside jnats), then renews what has waited a quarter ack wait.
     */
    private void keepWaitingAlive() {
        if (closed.get()) {
            return;
        }
        if (pullLock.tryLock()) {
            try {
                IterableConsumer p = pulling;
                if (p != null) {
                    takeAvailable(p);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (JetStreamStatusCheckedException | RuntimeException e) {
                log.debug("{}: the keeper of '{}' could not take from the pull", JetStreamBackend.NAME, consumer, e);
            } finally {
                pullLock.unlock();
            }
        }
        long now = System.nanoTime();
        for (Waiting w : waiting) {
            if (now - w.renewedNanos >= renewNanos) {
                w.renewedNanos = now;
                try {
                    w.message.inProgress();
                } catch (RuntimeException e) {
                    log.debug("{}: inProgress for a waiting message of '{}' failed", JetStreamBackend.NAME, consumer,
                            e);
                }
            }
        }
    }

    /** A message taken from jnats, waiting for the library; renewed by the keeper. */
    private static final class Waiting {
        final Message message;
        volatile long renewedNanos;

        Waiting(Message message, long renewedNanos) {
            this.message = message;
            this.renewedNanos = renewedNanos;
        }
    }

    /**
     * After {@link #STALL_CHECK_NANOS} without a message, asks the server about the consumer: messages waiting for it
     * while it is below its ack-pending limit and nothing arrives mean the pull is dead (seen after a connection cut:
     * reconnected, yet the pull's messages never reach it), so it is started afresh. One request per idle period.
     */
    private boolean stalled() throws IOException, JetStreamApiException {
        long now = System.nanoTime();
        if (now - lastActivity < STALL_CHECK_NANOS) {
            return false;
        }
        lastActivity = now;
        ConsumerInfo info = backend.jsm().getConsumerInfo(stream, consumer);
        if (own && info.getNumAckPending() > 0 && holdsNothing()) {
            // the last deliveries went to a pull that no longer exists and nothing came after them to show the gap
            // (or they fill MaxAckPending, so nothing can): the next receive re-creates the consumer. Those the
            // server redelivered into that pull, of messages handed out before, may come twice (at least once).
            strandedDeliveries.outstanding(info.getNumAckPending());
            return false;
        }
        long limit = info.getConsumerConfiguration().getMaxAckPending();
        boolean stuck = info.getNumPending() > 0 && (limit <= 0 || info.getNumAckPending() < limit);
        if (stuck) {
            log.info("{}: consumer '{}' has {} messages waiting ({} awaiting ack, {} pulls waiting) yet none arrived "
                    + "for {} ms; restarting its pull", JetStreamBackend.NAME, consumer, info.getNumPending(),
                    info.getNumAckPending(), info.getNumWaiting(), Duration.ofNanos(STALL_CHECK_NANOS).toMillis());
        }
        return stuck;
    }

    private ReceivedMessage decode(Message m) {
        long seq = m.metaData().streamSequence();
        log.trace("{}: '{}' received sequence {}", JetStreamBackend.NAME, consumer, seq);
        lastSequence = Math.max(lastSequence, seq);
        unsettled.put(seq, m);
        String position = String.valueOf(seq);
        int attempt = (int) Math.min(Integer.MAX_VALUE, m.metaData().deliveredCount());
        Integer before = attemptsHanded.get(seq);
        if (before != null && before >= attempt) {
            log.debug("{}: '{}' sequence {} redelivered with server count {} after attempt {}; counting on",
                    JetStreamBackend.NAME, consumer, seq, attempt, before);
            attempt = before + 1;
        }
        if (before != null || attemptsHanded.size() < ATTEMPTS_KEPT) {
            attemptsHanded.put(seq, attempt);
        }
        return backend.wire().decode(m, attempt, position, position, m);
    }

    private Message settle(ReceivedMessage message) {
        Message m = (Message) message.handle();
        unsettled.remove(m.metaData().streamSequence(), m);
        return m;
    }

    @Override
    public void ack(ReceivedMessage message) {
        Message m = settle(message);
        attemptsHanded.remove(m.metaData().streamSequence());
        m.ack();
        highestAcked.accumulateAndGet(m.metaData().streamSequence(), Math::max);
        lastSettledNanos = System.nanoTime();
    }

    @Override
    public void nack(ReceivedMessage message, Duration delay) {
        Message m = settle(message);
        if (delay.isZero()) {
            m.nak();
        } else {
            strandedDeliveries.nackedWithDelay(delay);
            m.nakWithDelay(delay);
        }
    }

    @Override
    public void deadLettered(ReceivedMessage message) {
        Message m = settle(message);
        attemptsHanded.remove(m.metaData().streamSequence());
        m.term();
        lastSettledNanos = System.nanoTime();
    }

    @Override
    public void extend(List<ReceivedMessage> messages) {
        for (ReceivedMessage r : messages) {
            try {
                ((Message) r.handle()).inProgress();
            } catch (RuntimeException e) {
                log.debug("{}: inProgress for {} failed", JetStreamBackend.NAME, r, e);
            }
        }
    }

    /**
     * The consumer's {@code numPending}: messages of the stream matching its filter not yet delivered to it (the
     * group's lag), from {@code CONSUMER.INFO}, bounded by the connection's JetStream request timeout; -1 on failure.
     */
    @Override
    public long lag() {
        if (closed.get()) {
            return -1;
        }
        try {
            return backend.jsm().getConsumerInfo(stream, consumer).getNumPending();
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            log.debug("{}: consumer info of '{}' failed", JetStreamBackend.NAME, consumer, e);
            return -1;
        }
    }

    @Override
    public void wakeup() {
        idle.wakeup();
    }

    /**
     * Stops pulling, hands back (nak) every message pulled and not settled, and deletes a consumer of its own. With
     * unsettled messages it first waits (up to the pull expiry) for the outstanding pull request to end, so the
     * server cannot redeliver them into a pull nobody reads any more. A durable consumer's member that acked in the
     * last 150 ms waits for the server to write the consumer's state ({@link #awaitStateWritten()}).
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        keeper.cancel(false);
        pullLock.lock();
        try {
            Waiting w;
            while ((w = waiting.poll()) != null) {
                unsettled.put(w.message.metaData().streamSequence(), w.message);
            }
            IterableConsumer p = pulling;
            if (p != null) {
                p.stop();
                drain(p, unsettled.isEmpty() ? 0 : PULL_DRAIN_MS,
                        m -> unsettled.put(m.metaData().streamSequence(), m));
            }
            stopPulling();
            log.debug("{}: closing consumer '{}'; {} unsettled messages nak'ed for redelivery", JetStreamBackend.NAME,
                    consumer, unsettled.size());
            for (Message m : unsettled.values()) {
                m.nak();
            }
            unsettled.clear();
            backend.connector().flush(CLOSE_FLUSH);
            awaitAcksApplied();
            if (!own) {
                awaitStateWritten();
            }
            if (own) {
                backend.jsm().deleteConsumer(stream, consumer);
            }
        } catch (IOException | JetStreamApiException | TimeoutException | RuntimeException e) {
            log.debug("{}: cleaning up consumer '{}' of '{}' failed", JetStreamBackend.NAME, consumer, topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            pullLock.unlock();
            backend.forget(this);
        }
    }

    /**
     * Waits out {@link #STATE_WRITE_NANOS} from this member's last ack or term, so the server has written the
     * durable consumer's state before close returns (a consumer of its own is deleted instead). Why it matters: with
     * close waking the receive call at once, a close right after the last acks returned within a few ms, and a
     * server killed then redelivered those acks' messages after its restart (R17 failed 5 runs in 6).
     */
    private void awaitStateWritten() {
        long settled = lastSettledNanos;
        if (settled == 0) {
            return;
        }
        long left;
        while ((left = settled + STATE_WRITE_NANOS - System.nanoTime()) > 0) {
            LockSupport.parkNanos(this, left);
        }
    }

    /**
     * Acks are fire-and-forget messages, and the server applies them on the consumer's own queue after the flush
     * that confirms it received them; a server killed in between would redeliver acked messages. So close waits up
     * to {@link #ACK_APPLY_WAIT} until the consumer's ack floor has reached the highest sequence this member acked
     * (or nothing awaits an ack). With other members holding older messages of the group the floor stays below it,
     * and close gives up after that wait.
     */
    private void awaitAcksApplied() throws IOException, JetStreamApiException {
        long acked = highestAcked.get();
        if (acked == 0) {
            return;
        }
        long deadline = System.nanoTime() + ACK_APPLY_WAIT.toNanos();
        while (true) {
            ConsumerInfo info = backend.jsm().getConsumerInfo(stream, consumer);
            if (info.getNumAckPending() == 0 || info.getAckFloor().getStreamSequence() >= acked) {
                return;
            }
            if (System.nanoTime() > deadline) {
                log.debug("{}: consumer '{}' ack floor {} still below {} after {}", JetStreamBackend.NAME, consumer,
                        info.getAckFloor().getStreamSequence(), acked, ACK_APPLY_WAIT);
                return;
            }
            LockSupport.parkNanos(ACK_APPLY_POLL_NANOS);
        }
    }

    /**
     * Takes what a stopped pull still delivers into {@code sink}, waiting up to {@code waitMs} for its request to end.
     */
    private void drain(IterableConsumer p, long waitMs, Consumer<Message> sink) throws InterruptedException {
        long end = System.nanoTime() + waitMs * 1_000_000;
        try {
            while (true) {
                long left = end - System.nanoTime();
                Message m = p.nextMessage(left > 0 && !p.isFinished() ? Duration.ofNanos(Math.min(left, 50_000_000))
                        : POLL_NOW);
                if (m != null) {
                    sink.accept(m);
                } else if (left <= 0 || p.isFinished()) {
                    return;
                }
            }
        } catch (JetStreamStatusCheckedException | RuntimeException e) {
            log.debug("{}: draining the pull of '{}' failed", JetStreamBackend.NAME, consumer, e);
        }
    }

    @Override
    public String toString() {
        return "JetStreamReceiver{" + topic + ", stream=" + stream + ", consumer=" + consumer + "}";
    }
}
