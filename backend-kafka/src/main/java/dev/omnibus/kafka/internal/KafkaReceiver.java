package dev.omnibus.kafka.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.StartPosition;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import dev.omnibus.spi.Topics;
import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.KafkaMessageFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidGroupIdException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * One subscription's KafkaConsumer, owned by a poll thread of its own ({@code omnibus-kafka-poll-<topic>}) that
 * polls continuously, so a slow handler never breaches {@code max.poll.interval.ms}: back-pressure pauses the
 * assigned partitions instead. Thread-safe: {@link #receive}, {@link #ack}, {@link #nack} and {@link #extend} only
 * touch the bookkeeping, under this receiver's lock; the consumer itself is used by the poll thread alone.
 *
 * <p>Bookkeeping per assigned partition: every offset fetched and not yet committable is an {@link Entry}
 * (buffered, in flight, waiting for redelivery, or acked). The committable position is the first entry that is not
 * acked, so a commit never passes an unacked offset whatever order handlers finish in. A nack marks its entry
 * waiting (later buffered entries of the same record key too, so that key keeps its order) until its delay is over;
 * then the poll thread seeks back to it and re-reads, skipping offsets that are acked, in flight or buffered.
 */
final class KafkaReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(KafkaReceiver.class);
    private static final long POLL_MS = 50;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);
    private static final Duration REBALANCE_POLL = Duration.ofMillis(100);
    private static final int MIN_TRACKED = 1024;
    private static final long REVOKE_DRAIN_MAX_MS = 2000;
    private static final long REVOKE_DRAIN_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final Duration LAG_WAIT = Duration.ofSeconds(1);

    private enum State { BUFFERED, INFLIGHT, WAITING, ACKED }

    private final KafkaBackend backend;
    private final ReceiverSpec spec;
    private final String topic;
    private final Pattern pattern;
    private final boolean privateGroup;
    private final String group;
    private final long ackDeadlineNanos;
    private final int capacity;
    /**
     * Buffered messages at which the partitions are paused (one poll's worth above {@code maxInFlight}); they are
     * resumed below half of {@code maxInFlight}, so that pausing does not flap with every batch the library takes.
     */
    private final int pauseAt;
    private final int resumeBelow;
    /**
     * Offsets one partition may track behind its first unsettled one (fetched, settled or not, not yet committable)
     * before it is paused: 4 x maxInFlight, at least {@value #MIN_TRACKED}. Each tracked acked offset costs a small
     * entry (its event is dropped once acked), so the bound is on bookkeeping, not on payloads.
     */
    private final int maxTracked;
    /** Where a partition without a committed offset starts: LATEST means "published after this subscription". */
    private final long startMillis;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread pollThread;

    private final Object lock = new Object();
    private final Map<TopicPartition, Part> parts = new HashMap<>();
    private final ArrayDeque<Entry> buffer = new ArrayDeque<>();
    private volatile boolean closed;
    private volatile OmnibusException failure;
    private boolean backPressure;
    private boolean commitInFlight;
    private long nextExpiryScan;

    KafkaReceiver(KafkaBackend backend, ReceiverSpec spec) {
        this.backend = backend;
        this.spec = spec;
        this.topic = spec.topic();
        boolean wildcard = Topics.isWildcard(topic);
        this.pattern = wildcard ? Pattern.compile(WildcardRegex.toRegex(topic)) : null;
        this.privateGroup = spec.group() == null;
        this.group = privateGroup ? "omnibus-private-" + UUID.randomUUID() : spec.group();
        this.ackDeadlineNanos = spec.ackDeadline().toNanos();
        this.capacity = Math.max(1, spec.maxInFlight());
        this.pauseAt = capacity + Math.min(500, capacity);
        this.resumeBelow = Math.max(1, capacity / 2);
        this.maxTracked = (int) Math.max(MIN_TRACKED, Math.min(Integer.MAX_VALUE, 4L * capacity));
        StartPosition start = spec.startPosition();
        this.startMillis = start.kind() == StartPosition.Kind.TIME ? start.time().toEpochMilli()
                : System.currentTimeMillis() + 1;
        if (!wildcard) {
            backend.ensureTopic(topic);
        }
        Map<String, Object> config = backend.consumerConfig(group, wildcard);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, pauseAt - capacity);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.pollThread = new Thread(this::pollLoop, "omnibus-kafka-poll-" + topic);
        pollThread.setDaemon(true);
    }

    void start() {
        pollThread.start();
    }

    // ------------------------------------------------------------------------------------ library side

    /**
     * Takes up to {@code max} buffered offsets under the lock, then decodes them into CloudEvents outside it, on the
     * library's receive thread: decoding then runs in parallel with the poll thread's next poll.
     */
    @Override
    public List<ReceivedMessage> receive(int max, Duration maxWait) throws InterruptedException {
        long end = System.nanoTime() + maxWait.toNanos();
        List<Entry> taken;
        int[] attempts;
        synchronized (lock) {
            while (true) {
                if (failure != null) {
                    throw failure;
                }
                if (closed) {
                    return List.of();
                }
                taken = take(max);
                if (!taken.isEmpty()) {
                    attempts = new int[taken.size()];
                    for (int i = 0; i < attempts.length; i++) {
                        attempts[i] = ++taken.get(i).deliveries;
                    }
                    break;
                }
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return List.of();
                }
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
        }
        List<ReceivedMessage> out = new ArrayList<>(taken.size());
        for (int i = 0; i < taken.size(); i++) {
            Entry e = taken.get(i);
            out.add(decode(e.record, e, attempts[i]));
        }
        synchronized (lock) {
            for (int i = 0; i < out.size(); i++) {
                Entry e = taken.get(i);
                if (e.state == State.INFLIGHT) {
                    e.current = out.get(i);
                    e.record = null;
                }
            }
        }
        return out;
    }

    /** Takes up to {@code max} live buffered entries and marks them in flight; under the lock. */
    private List<Entry> take(int max) {
        if (buffer.isEmpty()) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>(Math.min(max, buffer.size()));
        long deadline = System.nanoTime() + ackDeadlineNanos;
        Entry e;
        while (out.size() < max && (e = buffer.poll()) != null) {
            e.inBuffer = false;
            if (e.state != State.BUFFERED || e.part.revoking || e.part.removed) {
                continue;
            }
            e.state = State.INFLIGHT;
            e.deadline = deadline;
            out.add(e);
        }
        if (backPressure && buffer.size() < resumeBelow) {
            consumer.wakeup();
        }
        return out;
    }

    @Override
    public void ack(ReceivedMessage message) {
        synchronized (lock) {
            settle(message);
        }
    }

    @Override
    public void ackAll(List<ReceivedMessage> messages) {
        synchronized (lock) {
            for (ReceivedMessage m : messages) {
                settle(m);
            }
        }
    }

    private void settle(ReceivedMessage m) {
        Entry e = (Entry) m.handle();
        if (e.current != m || e.part.removed || (e.state != State.INFLIGHT && e.state != State.WAITING)) {
            return;
        }
        if (e.state == State.WAITING) {
            e.part.waiting--;
        }
        e.state = State.ACKED;
        // an acked entry waits only for the commit to pass it: drop the decoded event (payload included), so a
        // stuck offset before it holds back a few bytes per acked record, not every acked event
        e.current = null;
        e.part.advance();
        if (e.part.revoking) {
            lock.notifyAll();
        }
    }

    @Override
    public void nack(ReceivedMessage message, Duration delay) {
        synchronized (lock) {
            Entry e = (Entry) message.handle();
            if (e.current != message || e.part.removed || e.state != State.INFLIGHT) {
                return;
            }
            redeliverLater(e, System.nanoTime() + delay.toNanos());
            if (e.part.revoking) {
                lock.notifyAll();
            }
        }
        if (delay.isZero()) {
            consumer.wakeup();
        }
    }

    /**
     * Marks {@code e} waiting until {@code due}, with the buffered entries after it that share its record key (their
     * key keeps its order); the poll thread seeks back once {@code due} passes. Under the lock.
     */
    private void redeliverLater(Entry e, long due) {
        Part part = e.part;
        e.state = State.WAITING;
        e.due = due;
        part.waiting++;
        if (e.key != null) {
            for (Entry later : part.entries.tailMap(e.offset, false).values()) {
                if (later.state == State.BUFFERED && e.key.equals(later.key)) {
                    later.state = State.WAITING;
                    later.due = due;
                    part.waiting++;
                }
            }
            part.heldKeys.merge(e.key, due, Math::max);
        }
    }

    @Override
    public void extend(List<ReceivedMessage> messages) {
        long deadline = System.nanoTime() + ackDeadlineNanos;
        synchronized (lock) {
            for (ReceivedMessage m : messages) {
                Entry e = (Entry) m.handle();
                if (e.current == m && e.state == State.INFLIGHT) {
                    e.deadline = deadline;
                }
            }
        }
    }

    /**
     * The group's lag from the Admin client: end offset minus committed offset, summed over the partitions the group
     * has committed on this subscription's topics (a partition it never committed counts 0); -1 for a subscription
     * without a group (it never commits) or when the broker does not answer within a second.
     */
    @Override
    public long lag() {
        if (closed || privateGroup) {
            return -1;
        }
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = backend.admin().listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(LAG_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
            committed.forEach((tp, offset) -> {
                if (offset != null && (pattern != null ? pattern.matcher(tp.topic()).matches()
                        : tp.topic().equals(topic))) {
                    latest.put(tp, org.apache.kafka.clients.admin.OffsetSpec.latest());
                }
            });
            if (latest.isEmpty()) {
                return 0;
            }
            long lag = 0;
            for (var end : backend.admin().listOffsets(latest).all().get(LAG_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                    .entrySet()) {
                lag += Math.max(0, end.getValue().offset() - committed.get(end.getKey()).offset());
            }
            return lag;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.debug("{}: lag of '{}' unknown", KafkaBackend.NAME, topic, e);
            return -1;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        consumer.wakeup();
        try {
            pollThread.join(CLOSE_WAIT.multipliedBy(3).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (pollThread.isAlive()) {
            log.warn("{}: the poll thread of '{}' did not stop in time", KafkaBackend.NAME, topic);
        }
        backend.forget(this);
    }

    // ------------------------------------------------------------------------------------ poll thread

    private void pollLoop() {
        int failures = 0;
        try {
            if (pattern != null) {
                consumer.subscribe(pattern, new Rebalance());
            } else {
                consumer.subscribe(List.of(topic), new Rebalance());
            }
            while (!closed) {
                try {
                    long timeout = maintain();
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(timeout));
                    if (!records.isEmpty()) {
                        accept(records);
                    }
                    failures = 0;
                } catch (WakeupException e) {
                    // a nack, a free buffer or close wants the loop's attention
                } catch (AuthenticationException | AuthorizationException | InvalidGroupIdException e) {
                    failure = fatal(e);
                    log.error("{}: consuming '{}' failed for good: {}", KafkaBackend.NAME, topic, e.toString());
                    break;
                } catch (KafkaException e) {
                    failures++;
                    Duration delay = backend.context().reconnectPolicy().delay(failures);
                    log.warn("{}: polling '{}' failed (attempt {}), retrying in {}: {}", KafkaBackend.NAME, topic,
                            failures, delay, e.toString());
                    synchronized (lock) {
                        if (!closed) {
                            lock.wait(Math.max(1, delay.toMillis()));
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = fatal(e);
            log.error("{}: the poll loop of '{}' ended", KafkaBackend.NAME, topic, e);
        } finally {
            synchronized (lock) {
                lock.notifyAll();
            }
            shutdownConsumer();
        }
    }

    /** A failure that ends the subscription: never retryable, the library must not call receive again. */
    private OmnibusException fatal(Throwable e) {
        OmnibusException c = backend.classify(e);
        return new OmnibusException(c.code(), c.getMessage(), e, false);
    }

    /**
     * Once per loop: expires unsettled deliveries past their deadline, seeks back where redeliveries are due,
     * pauses or resumes for back-pressure and commits progress. Returns how long the next poll may wait.
     */
    private long maintain() {
        long timeout = POLL_MS;
        Map<TopicPartition, OffsetAndMetadata> commit = null;
        synchronized (lock) {
            long now = System.nanoTime();
            if (now - nextExpiryScan >= 0) {
                expire(now);
                nextExpiryScan = now + Math.max(TimeUnit.MILLISECONDS.toNanos(10), ackDeadlineNanos / 20);
            }
            for (Part part : parts.values()) {
                if (part.waiting > 0) {
                    long seekTo = -1;
                    long nextDue = Long.MAX_VALUE;
                    for (Entry e : part.entries.values()) {
                        if (e.state == State.WAITING) {
                            if (now - e.due >= 0) {
                                if (seekTo < 0) {
                                    seekTo = e.offset;
                                }
                            } else {
                                nextDue = Math.min(nextDue, e.due - now);
                            }
                        }
                    }
                    if (seekTo >= 0 && seekTo < part.position) {
                        consumer.seek(part.tp, seekTo);
                        part.position = seekTo;
                    }
                    if (nextDue != Long.MAX_VALUE) {
                        timeout = Math.max(1, Math.min(timeout, TimeUnit.NANOSECONDS.toMillis(nextDue) + 1));
                    }
                }
            }
            int buffered = buffer.size();
            boolean full = backPressure ? buffered >= resumeBelow : buffered >= pauseAt;
            if (full != backPressure) {
                backPressure = full;
                Set<TopicPartition> assigned = consumer.assignment();
                if (full) {
                    consumer.pause(assigned);
                } else {
                    Set<TopicPartition> resume = new java.util.HashSet<>(assigned);
                    for (Part part : parts.values()) {
                        if (part.heldBack) {
                            resume.remove(part.tp);
                        }
                    }
                    consumer.resume(resume);
                }
            }
            holdBackStuckPartitions();
            if (!privateGroup && !commitInFlight) {
                for (Part part : parts.values()) {
                    long next = part.committable();
                    if (next > part.committed) {
                        if (commit == null) {
                            commit = new HashMap<>();
                        }
                        commit.put(part.tp, new OffsetAndMetadata(next));
                    }
                }
            }
        }
        if (commit != null) {
            commitInFlight = true;
            Map<TopicPartition, OffsetAndMetadata> sent = commit;
            consumer.commitAsync(sent, (offsets, error) -> {
                synchronized (lock) {
                    commitInFlight = false;
                    if (error == null) {
                        for (Map.Entry<TopicPartition, OffsetAndMetadata> o : sent.entrySet()) {
                            Part part = parts.get(o.getKey());
                            if (part != null) {
                                part.committed = Math.max(part.committed, o.getValue().offset());
                            }
                        }
                    } else {
                        log.debug("{}: commit for '{}' failed, retried on the next poll: {}", KafkaBackend.NAME,
                                topic, error.toString());
                    }
                }
            });
        }
        return timeout;
    }

    /**
     * Bounded memory behind a stuck offset: Kafka commits only up to the first unsettled offset, so everything
     * fetched after it stays tracked until it settles (a long delayed nack, a stuck handler). A partition tracking
     * more than {@link #maxTracked} offsets is paused until it is back under half of that. Under the lock.
     */
    private void holdBackStuckPartitions() {
        for (Part part : parts.values()) {
            int tracked = part.entries.size();
            // after a seek back for a due redelivery the partition must fetch again (the stuck offset is among
            // what it re-reads), so it is never held back while re-reading
            boolean rereading = part.position < part.fetchedUpTo;
            if (part.heldBack && rereading) {
                part.heldBack = false;
                if (!backPressure) {
                    consumer.resume(List.of(part.tp));
                }
            } else if (!part.heldBack && !rereading && tracked > maxTracked) {
                part.heldBack = true;
                consumer.pause(List.of(part.tp));
                log.info("{}: partition {} of '{}' paused: {} offsets tracked behind the unsettled offset {} (bound "
                        + "{})", KafkaBackend.NAME, part.tp, topic, tracked, part.committable(), maxTracked);
            } else if (part.heldBack && tracked <= maxTracked / 2) {
                part.heldBack = false;
                if (!backPressure) {
                    consumer.resume(List.of(part.tp));
                }
                log.info("{}: partition {} of '{}' resumed", KafkaBackend.NAME, part.tp, topic);
            }
        }
    }

    /** In-flight deliveries past their deadline are redelivered (the library expired them too). Under the lock. */
    private void expire(long now) {
        for (Part part : parts.values()) {
            if (part.revoking) {
                continue;
            }
            for (Entry e : part.entries.values()) {
                if (e.state == State.INFLIGHT && now - e.deadline >= 0) {
                    redeliverLater(e, now);
                }
            }
        }
    }

    /** Takes a poll's records into the bookkeeping; decoding waits for {@link #receive}. Poll thread. */
    private void accept(ConsumerRecords<byte[], byte[]> records) {
        synchronized (lock) {
            long now = System.nanoTime();
            for (TopicPartition tp : records.partitions()) {
                Part part = parts.get(tp);
                if (part == null || part.removed) {
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> record : records.records(tp)) {
                    long offset = record.offset();
                    part.position = offset + 1;
                    if (offset < part.fetchedUpTo) {
                        Entry e = part.entries.get(offset);
                        if (e == null || e.state != State.WAITING || now - e.due < 0) {
                            continue;
                        }
                        part.waiting--;
                        buffer(e, record);
                        continue;
                    }
                    Entry e = new Entry(part, offset, keyOf(record));
                    part.entries.put(offset, e);
                    part.fetchedUpTo = offset + 1;
                    Long held = e.key == null || part.heldKeys.isEmpty() ? null : part.heldKeys.get(e.key);
                    if (held != null && now - held < 0) {
                        e.state = State.WAITING;
                        e.due = held;
                        part.waiting++;
                    } else {
                        buffer(e, record);
                    }
                }
                if (!part.heldKeys.isEmpty()) {
                    part.heldKeys.values().removeIf(due -> now - due >= 0);
                }
            }
            if (!buffer.isEmpty()) {
                lock.notifyAll();
            }
        }
    }

    private void buffer(Entry e, ConsumerRecord<byte[], byte[]> record) {
        e.state = State.BUFFERED;
        e.record = record;
        if (!e.inBuffer) {
            e.inBuffer = true;
            buffer.add(e);
        }
    }

    private static String keyOf(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }

    /**
     * Decodes a record with the Kafka binding. The attempt is this receiver's count of deliveries of the offset
     * (kept in memory: it starts again at 1 when the consumer restarts or the partition moves to another member).
     */
    private ReceivedMessage decode(ConsumerRecord<byte[], byte[]> record, Entry e, int attempt) {
        String position = record.partition() + ":" + record.offset();
        CloudEvent event;
        try {
            event = KafkaMessageFactory.createReader(record).toEvent();
        } catch (RuntimeException ex) {
            return ReceivedMessage.invalid(record.topic(), record.value(), headers(record),
                    "not a CloudEvent in the Kafka binding: " + ex.getMessage()).deliveryCount(attempt)
                    .position(position).handle(e).build();
        }
        return ReceivedMessage.event(record.topic(), event).deliveryCount(attempt).orderingKey(e.part.orderingKey)
                .position(position).handle(e).build();
    }

    private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> record) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Header h : record.headers()) {
            out.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    /**
     * Runs a blocking consumer call that must not be cut short by a {@link KafkaConsumer#wakeup()} meant for the poll
     * (a nack, a freed buffer or close): a wakeup is one-shot, so the call is simply made again. Poll thread only.
     */
    private static <T> T unwoken(java.util.function.Supplier<T> call) {
        for (int attempt = 1; ; attempt++) {
            try {
                return call.get();
            } catch (WakeupException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    /**
     * Commits what is committable for good (group subscriptions) and closes the consumer; poll thread only.
     *
     * <p>A member closed while its group rebalances gets {@link RebalanceInProgressException} for that commit. Kafka's
     * own advice is to keep polling so the rebalance completes, then commit again; giving up instead handed about
     * half of what the member had acked to the next owner. So, within {@link #CLOSE_WAIT}, it polls with every
     * partition paused (no new records: nothing more is taken), which completes the rebalance — revoked partitions
     * are committed by {@link Rebalance#onPartitionsRevoked} — and then commits what it still owns.
     */
    private void shutdownConsumer() {
        if (!privateGroup) {
            long end = System.nanoTime() + CLOSE_WAIT.toNanos();
            while (true) {
                Map<TopicPartition, OffsetAndMetadata> last = committableNow();
                if (last.isEmpty()) {
                    break;
                }
                try {
                    Duration left = Duration.ofNanos(Math.max(1, end - System.nanoTime()));
                    unwoken(() -> {
                        consumer.commitSync(last, left);
                        return null;
                    });
                    break;
                } catch (RebalanceInProgressException e) {
                    if (System.nanoTime() - end >= 0) {
                        log.warn("{}: the last commit for '{}' did not get through the group's rebalance within {}; "
                                + "acked events after the last commit will be redelivered", KafkaBackend.NAME, topic,
                                CLOSE_WAIT);
                        break;
                    }
                    log.debug("{}: the last commit for '{}' met a rebalance; polling until it completes",
                            KafkaBackend.NAME, topic);
                    try {
                        consumer.pause(consumer.assignment());
                        unwoken(() -> consumer.poll(REBALANCE_POLL));
                    } catch (RuntimeException pollFailed) {
                        log.debug("{}: polling through the rebalance of '{}' failed", KafkaBackend.NAME, topic,
                                pollFailed);
                    }
                } catch (RuntimeException e) {
                    log.warn("{}: the last commit for '{}' failed; acked events after the last commit will be "
                            + "redelivered: {}", KafkaBackend.NAME, topic, e.toString());
                    break;
                }
            }
        }
        try {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(CLOSE_WAIT));
        } catch (RuntimeException e) {
            log.debug("{}: closing the consumer of '{}' failed", KafkaBackend.NAME, topic, e);
        }
    }

    /** Offsets past the last commit that may be committed now, for the partitions this member still owns. */
    private Map<TopicPartition, OffsetAndMetadata> committableNow() {
        Map<TopicPartition, OffsetAndMetadata> last = new HashMap<>();
        synchronized (lock) {
            for (Part part : parts.values()) {
                long next = part.committable();
                if (!part.removed && next > part.committed) {
                    last.put(part.tp, new OffsetAndMetadata(next));
                }
            }
        }
        return last;
    }

    /**
     * Starts partitions without a committed offset (every partition of a private group) at the start position, and
     * commits on revocation; runs on the poll thread inside {@code poll}.
     */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
            if (assigned.isEmpty()) {
                return;
            }
            synchronized (lock) {
                for (TopicPartition tp : assigned) {
                    parts.put(tp, new Part(tp));
                }
                if (backPressure) {
                    consumer.pause(assigned);
                }
            }
            Set<TopicPartition> fresh = new HashSet<>(assigned);
            if (!privateGroup) {
                Map<TopicPartition, OffsetAndMetadata> committed = unwoken(() ->
                        consumer.committed(new HashSet<>(assigned)));
                committed.forEach((tp, offset) -> {
                    if (offset != null) {
                        fresh.remove(tp);
                        synchronized (lock) {
                            Part part = parts.get(tp);
                            part.committed = offset.offset();
                        }
                    }
                });
            }
            if (fresh.isEmpty()) {
                return;
            }
            if (spec.startPosition().kind() == StartPosition.Kind.EARLIEST) {
                consumer.seekToBeginning(fresh);
                return;
            }
            // the end first: an event published after offsetsForTimes found none is then still delivered
            Map<TopicPartition, Long> ends = unwoken(() -> consumer.endOffsets(fresh));
            Map<TopicPartition, Long> times = new HashMap<>();
            for (TopicPartition tp : fresh) {
                times.put(tp, startMillis);
            }
            Map<TopicPartition, OffsetAndTimestamp> found = unwoken(() -> consumer.offsetsForTimes(times));
            for (TopicPartition tp : fresh) {
                OffsetAndTimestamp at = found.get(tp);
                consumer.seek(tp, at != null ? at.offset() : ends.get(tp));
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
            if (revoked.isEmpty()) {
                return;
            }
            Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
            synchronized (lock) {
                List<Part> going = new ArrayList<>();
                for (TopicPartition tp : revoked) {
                    Part part = parts.get(tp);
                    if (part != null) {
                        part.revoking = true;
                        going.add(part);
                    }
                }
                // let the library settle what it holds of these partitions, so that the next owner redelivers
                // little: wait while settling makes progress (each settle wakes this wait), up to a quiet spell of
                // min(2 s, ack deadline) without one, and 10 s at most. A fixed spell was too short for the queue
                // a slow inline handler works through (8 x 150 ms): the rest went to the new owner as well
                long start = System.nanoTime();
                long quiet = TimeUnit.MILLISECONDS.toNanos(Math.min(REVOKE_DRAIN_MAX_MS,
                        TimeUnit.NANOSECONDS.toMillis(ackDeadlineNanos)));
                long progressAt = start;
                int held = inFlight(going);
                try {
                    while (held > 0 && !closed) {
                        long now = System.nanoTime();
                        long left = Math.min(start + REVOKE_DRAIN_LIMIT_NANOS, progressAt + quiet) - now;
                        if (left <= 0) {
                            break;
                        }
                        TimeUnit.NANOSECONDS.timedWait(lock, left);
                        int still = inFlight(going);
                        if (still < held) {
                            held = still;
                            progressAt = System.nanoTime();
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (Part part : going) {
                    long next = part.committable();
                    if (next > part.committed) {
                        commit.put(part.tp, new OffsetAndMetadata(next));
                    }
                }
            }
            if (!privateGroup && !commit.isEmpty()) {
                try {
                    unwoken(() -> {
                        consumer.commitSync(commit, CLOSE_WAIT);
                        return null;
                    });
                } catch (RuntimeException e) {
                    log.warn("{}: commit on revoking {} of '{}' failed; their acked events after the last commit "
                            + "will be redelivered: {}", KafkaBackend.NAME, revoked, topic, e.toString());
                }
            }
            drop(revoked);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> lost) {
            drop(lost);
        }

        /** Offsets of {@code going} the library holds (handed out, not settled). Under the lock. */
        private int inFlight(List<Part> going) {
            int n = 0;
            for (Part part : going) {
                for (Entry e : part.entries.values()) {
                    if (e.state == State.INFLIGHT) {
                        n++;
                    }
                }
            }
            return n;
        }

        private void drop(Collection<TopicPartition> gone) {
            synchronized (lock) {
                for (TopicPartition tp : gone) {
                    Part part = parts.remove(tp);
                    if (part != null) {
                        part.removed = true;
                    }
                }
            }
        }
    }

    /** An assigned partition's bookkeeping; guarded by the receiver's lock. */
    private static final class Part {
        final TopicPartition tp;
        final String orderingKey;
        /** Offsets fetched and not yet below the committable position, in order. */
        final TreeMap<Long, Entry> entries = new TreeMap<>();
        /** Record keys held back until a redelivery of that key is due (key order), with the due time. */
        final Map<String, Long> heldKeys = new HashMap<>();
        /** The offset after the highest one ever fetched (-1: none): lower offsets are re-reads. */
        long fetchedUpTo = -1;
        /** The consumer's fetch position as far as this receiver moved it. */
        long position = Long.MAX_VALUE;
        /** The last offset the group committed (-1: none known). */
        long committed = -1;
        int waiting;
        boolean revoking;
        boolean removed;
        /** Paused for tracking too many offsets behind an unsettled one (see holdBackStuckPartitions). */
        boolean heldBack;

        Part(TopicPartition tp) {
            this.tp = tp;
            this.orderingKey = tp.topic() + ":" + tp.partition();
        }

        /** Drops the acked prefix. */
        void advance() {
            while (!entries.isEmpty() && entries.firstEntry().getValue().state == State.ACKED) {
                entries.pollFirstEntry();
            }
        }

        /** The offset to commit: the first not acked, or past everything fetched; -1 when nothing was fetched. */
        long committable() {
            return entries.isEmpty() ? fetchedUpTo : entries.firstKey();
        }
    }

    /** One fetched offset; its {@link #current} message is what the library holds. Guarded by the lock. */
    private static final class Entry {
        final Part part;
        final long offset;
        final String key;
        State state;
        /** The message the library holds (set when taken), or {@code null} before. */
        ReceivedMessage current;
        /** The record to decode while buffered. */
        ConsumerRecord<byte[], byte[]> record;
        boolean inBuffer;
        long deadline;
        long due;
        /** How many times this offset was handed to the library. */
        int deliveries;

        Entry(Part part, long offset, String key) {
            this.part = Objects.requireNonNull(part);
            this.offset = offset;
            this.key = key;
        }
    }

    @Override
    public String toString() {
        return "KafkaReceiver{" + topic + ", group=" + (privateGroup ? "(private)" : group) + "}";
    }
}
