package dev.omnibus.internal;

import dev.omnibus.AckMode;
import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.DeliveryHandler;
import dev.omnibus.ErrorCode;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.InvalidMessagePolicy;
import dev.omnibus.OmnibusException;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.SubscriptionStats;
import dev.omnibus.UnsupportedCapabilityException;
import dev.omnibus.instrument.SubscriptionObserver;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The portable subscription: one receive thread pulls batches from the {@link Receiver} only while fewer than
 * {@code maxInFlight} deliveries are unsettled, runs the handler inline (concurrency 1) or on key-affine lanes,
 * settles per ack mode, counts attempts where the broker does not, dead-letters where the broker cannot
 * ({@link DeadLetters}), keeps every message it holds alive at the broker ({@link Leases}) and expires manual
 * deliveries a handler left unsettled past the ack deadline.
 *
 * <p>Threads: the receive thread ({@code omnibus-<backend>-recv-<topic>}) receives, converts and, inline, runs the
 * handler; lane threads ({@code omnibus-<backend>-handler-<topic>-<n>}) run handlers when concurrency is above 1;
 * the bus's scheduler runs {@link #housekeeping} (expiry and lease renewal, never user code). Settling may come
 * from any thread.
 *
 * <p>Nothing ends a subscription silently: a handler's {@link Throwable}, an {@link Error} included, fails only its
 * own delivery; a message that cannot be turned into a delivery is handed back on its own; anything that still
 * escapes the receive loop sets {@link #failure()}, makes {@link #isActive()} false and is logged at ERROR once.
 */
final class SubscriptionImpl implements Subscription {
    private static final Logger log = LoggerFactory.getLogger(SubscriptionImpl.class);
    private static final int MAX_BATCH = 256;
    private static final Duration POLL = Duration.ofMillis(100);
    private static final long POLL_NANOS = POLL.toNanos();
    private static final int MAX_REASON = 1024;
    /** Inline AUTO acks are sent once this many are gathered, or once the oldest waited {@link #ackFlushNanos}. */
    private static final int ACK_FLUSH_COUNT = 128;
    /** How long a mid-batch top-up waits for the driver: it takes only what is already there. */
    private static final Duration TOP_UP_WAIT = Duration.ofMillis(1);
    /** How long close waits beyond the drain for threads that are not running a handler (receive calls). */
    private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final OmnibusImpl bus;
    private final Backend backend;
    private final Capabilities capabilities;
    private final Receiver receiver;
    private final SubscribeOptions options;
    private final DeliveryHandler handler;
    private final long ackDeadlineNanos;
    private final long ackFlushNanos;
    private final Thread receiveThread;
    /** The handler threads when {@code concurrency} is above 1; {@code null} when handlers run inline. */
    private final HandlerLanes<DeliveryImpl> lanes;
    private final Running[] running;
    private final Leases leases;
    /** Dead-lettering after {@code maxAttempts} is the library's (the broker has no native dead letter). */
    private final boolean libraryDeadLetter;
    private final DeadLetters deadLetters;
    private final SettleGate gate = new SettleGate();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final ConcurrentLinkedQueue<DeliveryImpl> awaitingSettle = new ConcurrentLinkedQueue<>();
    private final AttemptCounter attempts = new AttemptCounter();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder acked = new LongAdder();
    private final LongAdder nacked = new LongAdder();
    private final LongAdder redelivered = new LongAdder();
    private final LongAdder expired = new LongAdder();
    private final LongAdder invalid = new LongAdder();
    /**
     * AUTO acks made on the receive thread while it runs a batch inline, sent with one ackAll when
     * {@link #ACK_FLUSH_COUNT} are gathered, when the oldest has waited {@link #ackFlushNanos}, and at the end of the
     * batch (receive thread only). Their leases stay held until they are sent.
     */
    private final List<DeliveryImpl> ackBatch = new ArrayList<>();
    private long ackBatchSinceNanos;
    private boolean batchingAcks;
    /** Receive thread only: the clock reading that ended the last inline handler. */
    private long lastClockNanos;
    /** Counts {@link #receiveNow()} calls, so a backoff pause notices one that came while it started. */
    private volatile int wakeups;
    private volatile boolean stopping;
    private volatile boolean terminated;
    private volatile boolean drainedCleanly = true;
    /** An interrupt arrived while close was waiting; close sets the caller's status again on return. */
    private volatile boolean closeInterrupted;
    private volatile OmnibusException failure;
    private ScheduledFuture<?> housekeeping;
    /** The instrumentations' observers; {@code null} when none is on (set before the receive thread starts). */
    private Observers.Sub observers;
    /** {@link Receiver#dropped()} when last reported to the observers (housekeeping and close only). */
    private long droppedReported;

    SubscriptionImpl(OmnibusImpl bus, Receiver receiver, SubscribeOptions options, DeliveryHandler handler) {
        this.bus = bus;
        this.backend = bus.driver();
        this.capabilities = bus.capabilities();
        this.receiver = receiver;
        this.options = options;
        this.handler = handler;
        this.ackDeadlineNanos = options.ackDeadline().toNanos();
        this.ackFlushNanos = Math.min(TimeUnit.MILLISECONDS.toNanos(100), ackDeadlineNanos / 10);
        this.leases = new Leases(ackDeadlineNanos);
        this.libraryDeadLetter = options.deadLetterTopic() != null
                && !capabilities.has(Capability.NATIVE_DEAD_LETTER);
        // also with a native dead letter: raw messages under onInvalidMessage(DEAD_LETTER) are published by the library
        this.deadLetters = options.deadLetterTopic() == null ? null
                : new DeadLetters(backend, receiver, options, gate, capabilities.has(Capability.DELAYED_NACK));
        String base = "omnibus-" + backend.name() + "-";
        this.receiveThread = new Thread(this::receiveLoop, base + "recv-" + options.topic());
        this.receiveThread.setDaemon(true);
        int n = options.concurrency();
        this.running = new Running[n];
        for (int i = 0; i < n; i++) {
            running[i] = new Running();
        }
        this.lanes = n == 1 ? null : new HandlerLanes<>(n, base + "handler-" + options.topic(),
                d -> d.message.orderingKey(), this::runHandler);
    }

    void start() {
        Observers.Bus busObservers = bus.observers();
        if (busObservers != null) {
            observers = busObservers.subscribed(this);
        }
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(20), Math.min(ackDeadlineNanos / 8,
                TimeUnit.SECONDS.toNanos(1)));
        housekeeping = bus.scheduler().scheduleAtFixedRate(this::housekeeping, period, period, TimeUnit.NANOSECONDS);
        receiveThread.start();
    }

    @Override
    public SubscribeOptions options() {
        return options;
    }

    @Override
    public boolean isActive() {
        return !closing.get() && !stopping && failure == null;
    }

    @Override
    public Optional<OmnibusException> failure() {
        return Optional.ofNullable(failure);
    }

    @Override
    public OptionalLong lag() {
        long lag;
        try {
            lag = receiver.lag();
        } catch (RuntimeException e) {
            log.debug("{}: lag of '{}' unknown", backend.name(), options.topic(), e);
            return OptionalLong.empty();
        }
        return lag < 0 ? OptionalLong.empty() : OptionalLong.of(lag);
    }

    @Override
    public SubscriptionStats stats() {
        return new SubscriptionStats(delivered.sum(), acked.sum(), nacked.sum(), redelivered.sum(),
                deadLetters == null ? 0 : deadLetters.count(), expired.sum(), invalid.sum(), receiver.dropped(),
                inFlight.get());
    }

    /** Messages the library holds at the broker now (received, not yet settled there); for tests. */
    int leasesHeld() {
        return leases.held();
    }

    // ---------------------------------------------------------------- receiving

    private void receiveLoop() {
        try {
            receiveUntilStopped();
        } catch (Throwable t) {
            // A bug in the library or the driver; without this the thread would end while isActive() stayed true.
            OmnibusException error = t instanceof OmnibusException ? (OmnibusException) t
                    : new OmnibusException(ErrorCode.INTERNAL, "the receive loop of '" + options.topic()
                    + "' failed: " + t, t, false);
            fail(error);
        }
        if (failure != null) {
            shutdown(System.nanoTime() + TimeUnit.SECONDS.toNanos(5), Duration.ofSeconds(5));
        }
    }

    private void receiveUntilStopped() {
        int failures = 0;
        while (!stopping) {
            int free = options.maxInFlight() - inFlight.get();
            if (free <= 0) {
                LockSupport.parkNanos(this, POLL_NANOS);
                continue;
            }
            List<ReceivedMessage> batch;
            try {
                batch = receiver.receive(Math.min(free, MAX_BATCH), POLL);
                failures = 0;
            } catch (InterruptedException e) {
                if (stopping) {
                    break;
                }
                continue;
            } catch (RuntimeException e) {
                if (stopping) {
                    break;
                }
                OmnibusException error = backend.classify(e);
                if (!error.isRetryable()) {
                    fail(error);
                    break;
                }
                failures++;
                Duration delay = bus.reconnectPolicy().delay(failures);
                log.warn("{}: receive on '{}' failed (attempt {}), retrying in {}: {}", backend.name(),
                        options.topic(), failures, delay, error.getMessage());
                pause(delay);
                continue;
            }
            if (!batch.isEmpty()) {
                runBatch(batch);
            }
        }
    }

    private void runBatch(List<ReceivedMessage> batch) {
        if (lanes != null) {
            for (DeliveryImpl d : take(batch)) {
                offer(d);
            }
            return;
        }
        // Inline: the batch is a rolling queue. Acks are sent while it runs (at least every ackFlushNanos), which
        // frees broker credit, so a driver that reads ahead (jnats' pull buffer, Pub/Sub's stream, Kafka's fetch)
        // holds more messages before this thread could ask for them; after each mid-batch flush the thread takes what
        // the freed slots allow, so those messages come under the library's leases at once instead of waiting in
        // the driver, unrenewed, until the batch ends.
        ArrayDeque<DeliveryImpl> queue = new ArrayDeque<>(take(batch));
        batchingAcks = true;
        try {
            DeliveryImpl d;
            while ((d = queue.poll()) != null) {
                offer(d);
                if (!ackBatch.isEmpty() && (ackBatch.size() >= ACK_FLUSH_COUNT
                        || lastClockNanos - ackBatchSinceNanos >= ackFlushNanos)) {
                    flushAcks();
                    topUp(queue);
                }
            }
        } finally {
            batchingAcks = false;
            flushAcks();
        }
    }

    /** Dispatches {@code d}, or hands it back once close began. Receive thread. */
    private void offer(DeliveryImpl d) {
        if (stopping) {
            if (d.expire()) {
                handBack(d);
            }
        } else {
            dispatch(d);
        }
    }

    /** Turns a received batch into deliveries under lease; counts it in flight. Receive thread. */
    private List<DeliveryImpl> take(List<ReceivedMessage> batch) {
        int size = batch.size();
        inFlight.addAndGet(size);
        long now = System.nanoTime();
        lastClockNanos = now;
        DeliveryImpl[] deliveries = new DeliveryImpl[size];
        int n = 0;
        for (int i = 0; i < size; i++) {
            ReceivedMessage m = batch.get(i);
            try {
                deliveries[n] = newDelivery(m);
                n++;
            } catch (Throwable t) {
                unconvertible(m, t);
            }
        }
        if (n < size) {
            deliveries = Arrays.copyOf(deliveries, n);
        }
        leases.hold(deliveries, now);
        return Arrays.asList(deliveries);
    }

    /** Mid-batch: takes what the driver already holds, as far as free slots allow, into the inline queue. */
    private void topUp(ArrayDeque<DeliveryImpl> queue) {
        int free = options.maxInFlight() - inFlight.get();
        if (free <= 0 || stopping) {
            return;
        }
        List<ReceivedMessage> more;
        try {
            more = receiver.receive(Math.min(free, MAX_BATCH), TOP_UP_WAIT);
        } catch (InterruptedException e) {
            return; // close interrupts only handlers it gave up on; the loop sees stopping
        } catch (RuntimeException e) {
            log.debug("{}: taking more from '{}' mid-batch failed; the receive loop retries", backend.name(),
                    options.topic(), e);
            return;
        }
        if (!more.isEmpty()) {
            queue.addAll(take(more));
        }
    }

    /** Waits out a retry backoff, ending early on close or when the bus says the broker is back. */
    private void pause(Duration delay) {
        int woken = wakeups;
        long end = System.nanoTime() + delay.toNanos();
        long left;
        while (!stopping && wakeups == woken && (left = end - System.nanoTime()) > 0) {
            LockSupport.parkNanos(this, left);
        }
    }

    /** The broker is reachable again: a receive loop waiting out its backoff retries now. Any thread. */
    void receiveNow() {
        wakeups++;
        LockSupport.unpark(receiveThread);
    }

    private DeliveryImpl newDelivery(ReceivedMessage m) {
        int attempt = m.deliveryCount();
        if (attempt == 0) {
            String key = attemptKey(m);
            attempt = key == null ? 1 : attempts.next(key);
        }
        if (attempt > 1) {
            redelivered.increment();
        }
        return new DeliveryImpl(this, m, attempt);
    }

    /**
     * A message that could not become a delivery (a driver handed over something the library cannot read): it
     * affects only itself. It is handed back for redelivery after the retry backoff where the broker can, so a
     * driver that recovers delivers it, and the loop goes on.
     */
    private void unconvertible(ReceivedMessage m, Throwable t) {
        invalid.increment();
        log.error("{}: a message on '{}' could not be turned into a delivery ({}); handing it back", backend.name(),
                options.topic(), m, t);
        try {
            if (capabilities.has(Capability.DELAYED_NACK)) {
                receiver.nack(m, options.retryDelay(1));
            } else if (capabilities.has(Capability.NACK)) {
                receiver.nack(m, Duration.ZERO);
            }
        } catch (RuntimeException e) {
            log.debug("{}: handing back {} failed; the broker redelivers it after the deadline", backend.name(), m, e);
        }
        release();
    }

    /**
     * The key the library counts attempts under when the broker keeps no count: the driver's redelivery key, else
     * the topic and event id (a raw message's position). {@code null} when there is none: never counted.
     */
    private static String attemptKey(ReceivedMessage m) {
        if (m.redeliveryKey() != null) {
            return m.redeliveryKey();
        }
        String id = m.isInvalid() ? m.position() : m.event().getId();
        return id == null ? null : m.topic() + "/" + id;
    }

    /** Stops counting attempts of {@code m}: it is settled for good. */
    void forgetAttempts(ReceivedMessage m) {
        if (m.deliveryCount() == 0) {
            String key = attemptKey(m);
            if (key != null) {
                attempts.forget(key);
            }
        }
    }

    private void dispatch(DeliveryImpl d) {
        if (d.isRaw()) {
            invalid.increment();
            if (options.onInvalidMessage() == InvalidMessagePolicy.DEAD_LETTER) {
                if (d.expire()) {
                    deadLetter(d, "not a valid CloudEvent: " + d.message.invalidReason());
                }
                return;
            }
        }
        if (lanes == null) {
            runHandler(d, 0);
        } else if (!lanes.dispatch(d) && d.expire()) {
            // close shut the lanes between this thread's check of stopping and now: hand it back, as close does
            handBack(d);
        }
    }

    /**
     * Runs the handler on {@code d}; the ack deadline starts now (the handler's time, not the time it waited for its
     * turn). Catches every {@link Throwable} the handler throws: it fails only this delivery.
     */
    private void runHandler(DeliveryImpl d, int lane) {
        if (stopping) {
            if (d.expire()) {
                handBack(d);
            }
            return;
        }
        Running slot = running[lane];
        long start = System.nanoTime();
        d.deadlineNanos = start + ackDeadlineNanos;
        slot.delivery = d;
        delivered.increment();
        Observers.Sub observers = this.observers;
        Object token = observers == null ? null : observers.handling(d);
        Throwable error = null;
        try {
            handler.handle(d);
            if (options.ackMode() == AckMode.AUTO) {
                d.ack();
            }
        } catch (Throwable t) {
            error = t;
            handlerFailed(d, t);
        } finally {
            long end = System.nanoTime();
            if (lanes == null) {
                lastClockNanos = end;
            }
            if (observers != null) {
                observers.handled(d, token, end - start, error);
            }
            slot.delivery = null;
            if (d.isPending()) {
                awaitingSettle.add(d);
            }
        }
    }

    private void handlerFailed(DeliveryImpl d, Throwable t) {
        if (t instanceof UnsupportedCapabilityException) {
            log.error("{}: handler on '{}' asked for an unsupported capability", backend.name(), options.topic(), t);
        } else if (t instanceof Error && !(t instanceof AssertionError)) {
            log.error("{}: handler on '{}' threw an Error for event {}; the delivery fails, the subscription goes on",
                    backend.name(), options.topic(), d.event().getId(), t);
        } else {
            log.debug("{}: handler on '{}' failed for event {}", backend.name(), options.topic(), d.event().getId(),
                    t);
        }
        Duration delay = capabilities.has(Capability.DELAYED_NACK) ? options.retryDelay(d.attempt) : Duration.ZERO;
        try {
            d.failed(delay, reason(t));
        } catch (RuntimeException e) {
            log.warn("{}: settling the failed delivery of event {} on '{}' failed", backend.name(), d.event().getId(),
                    options.topic(), e);
        }
    }

    private static String reason(Throwable t) {
        String s = "handler threw " + t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        return s.length() > MAX_REASON ? s.substring(0, MAX_REASON) : s;
    }

    // ---------------------------------------------------------------- settling

    void requireNack(Capability capability) {
        capabilities.require(backend.name(), capability);
    }

    /** Admits one settle call (see {@link SettleGate}); false once close has closed the receiver's door. */
    boolean enterSettle() {
        return gate.enter();
    }

    void exitSettle() {
        gate.exit();
    }

    void settleAck(DeliveryImpl d) {
        if (batchingAcks && Thread.currentThread() == receiveThread) {
            if (ackBatch.isEmpty()) {
                ackBatchSinceNanos = lastClockNanos;
            }
            ackBatch.add(d);
            return;
        }
        try {
            receiver.ack(d.message);
        } catch (RuntimeException e) {
            log.warn("{}: ack of {} failed; the broker will redeliver it", backend.name(), d.message, e);
        }
        leases.end(d);
        acked(d);
        release();
    }

    /** Sends the acks batched during an inline batch; called by the receive thread only. */
    private void flushAcks() {
        int n = ackBatch.size();
        if (n == 0) {
            return;
        }
        List<ReceivedMessage> messages = new ArrayList<>(n);
        for (DeliveryImpl d : ackBatch) {
            messages.add(d.message);
        }
        try {
            receiver.ackAll(messages);
        } catch (RuntimeException e) {
            log.warn("{}: ack of {} messages failed; the broker will redeliver them", backend.name(), n, e);
        }
        for (DeliveryImpl d : ackBatch) {
            leases.end(d);
            acked(d);
        }
        ackBatch.clear();
        releaseAll(n);
    }

    private void acked(DeliveryImpl d) {
        acked.increment();
        forgetAttempts(d.message);
        if (observers != null) {
            observers.acked(d);
        }
    }

    void settleNack(DeliveryImpl d, Duration delay, String reason) {
        nacked.increment();
        if (observers != null) {
            observers.nacked(d, delay, reason);
        }
        if (libraryDeadLetter && d.attempt >= options.maxAttempts()) {
            deadLetter(d, reason);
            return;
        }
        if (capabilities.has(Capability.NACK)) {
            try {
                receiver.nack(d.message, capabilities.has(Capability.DELAYED_NACK) ? delay : Duration.ZERO);
            } catch (RuntimeException e) {
                log.warn("{}: nack of {} failed; the broker will redeliver it after the deadline", backend.name(),
                        d.message, e);
            }
        } else {
            log.warn("{}: event {} on '{}' failed and cannot be redelivered (at-most-once backend): {}",
                    backend.name(), d.event().getId(), d.topic(), reason);
            if (observers != null) {
                observers.dropped(SubscriptionObserver.NOT_REDELIVERABLE, 1);
            }
        }
        leases.end(d);
        release();
    }

    /** Publishes {@code d} to the dead-letter topic, then settles it on the source (see {@link DeadLetters}). */
    private void deadLetter(DeliveryImpl d, String reason) {
        if (deadLetters == null) {
            // raw messages with onInvalidMessage(DEAD_LETTER) and no dead-letter topic never get here (checked at
            // subscribe time); stay safe and leave the message to the broker
            handBack(d);
            return;
        }
        deadLetters.publish(d, reason, succeeded -> {
            if (succeeded) {
                forgetAttempts(d.message);
                if (observers != null) {
                    observers.deadLettered(d, options.deadLetterTopic(), reason);
                }
            }
            leases.end(d);
            release();
        });
    }

    /** Gives a delivery no handler will settle back to the broker (closing, expired). */
    private void handBack(DeliveryImpl d) {
        try {
            if (capabilities.has(Capability.NACK)) {
                receiver.nack(d.message, Duration.ZERO);
            }
        } catch (RuntimeException e) {
            log.debug("{}: handing back {} failed; the broker redelivers it after the deadline", backend.name(),
                    d.message, e);
        }
        leases.end(d);
        release();
    }

    private void release() {
        releaseAll(1);
    }

    private void releaseAll(int n) {
        int now = inFlight.addAndGet(-n);
        if (now < options.maxInFlight() && now + n >= options.maxInFlight()) {
            LockSupport.unpark(receiveThread);
        }
    }

    /**
     * Runs on the bus's scheduler every eighth of a deadline (20 ms to 1 s): expires manual deliveries their handler
     * left unsettled past the ack deadline (handing them back, so the broker redelivers them now rather than after
     * a deadline the library kept extending), renews the leases of everything else held, and reports drops. Never
     * runs user code.
     */
    private void housekeeping() {
        try {
            long now = System.nanoTime();
            for (DeliveryImpl d : awaitingSettle) {
                if (!d.isPending()) {
                    awaitingSettle.remove(d);
                } else if (now - d.deadlineNanos >= 0 && d.expire()) {
                    awaitingSettle.remove(d);
                    expired.increment();
                    if (observers != null) {
                        observers.expired(d);
                    }
                    if (gate.enter()) {
                        try {
                            handBack(d);
                        } finally {
                            gate.exit();
                        }
                    }
                }
            }
            reportDrops();
            List<ReceivedMessage> due = leases.renew(now);
            if (!due.isEmpty() && gate.enter()) {
                try {
                    receiver.extend(due);
                } finally {
                    gate.exit();
                }
            }
        } catch (RuntimeException e) {
            log.warn("{}: housekeeping of '{}' failed", backend.name(), options.topic(), e);
        }
    }

    /** Tells the observers of events the backend dropped since the last report (housekeeping and close only). */
    private void reportDrops() {
        if (observers == null) {
            return;
        }
        synchronized (running) {
            long now = receiver.dropped();
            if (now > droppedReported) {
                observers.dropped(SubscriptionObserver.OVERFLOW, now - droppedReported);
                droppedReported = now;
            }
        }
    }

    // ---------------------------------------------------------------- ending

    private void fail(OmnibusException error) {
        failure = error;
        stopping = true;
        log.error("{}: subscription to '{}' ended: {}", backend.name(), options.topic(), error.getMessage(), error);
    }

    /** Stops taking new messages at once (the bus starts every subscription's drain together this way). */
    void beginClose() {
        stopping = true;
        LockSupport.unpark(receiveThread);
    }

    /** Whether the calling thread runs this subscription's handlers. */
    private boolean onHandlerThread() {
        Thread me = Thread.currentThread();
        return me == receiveThread || lanes != null && lanes.runs(me);
    }

    /**
     * Closes: see {@link Subscription#close(Duration)}. Three cases need care:
     * <ul>
     *   <li>From one of this subscription's own handlers, close cannot wait for that handler (it would wait on
     *       itself): it stops fetching, finishes the close on a thread of its own once the handler returns (the
     *       handler's delivery is settled by its ack mode first, with the same drain for the others) and returns
     *       {@code false} at once, as nothing is drained yet.</li>
     *   <li>From an interrupted thread, it still waits the drain (an interrupt is not a shorter drain); the
     *       interrupt status is set again on return.</li>
     *   <li>With a zero drain, running handlers are interrupted at once, without a warning (that is what was
     *       asked); it returns {@code true} if none was running.</li>
     * </ul>
     */
    @Override
    public boolean close(Duration drain) {
        if (drain == null || drain.isNegative()) {
            throw new InvalidArgumentException("drain must be zero or positive, was " + drain);
        }
        return close(System.nanoTime() + drain.toNanos(), drain);
    }

    /** {@link #close(Duration)} with an absolute deadline, which the bus shares among its subscriptions. */
    boolean close(long deadlineNanos, Duration drain) {
        if (onHandlerThread()) {
            beginClose();
            Thread closer = new Thread(() -> shutdown(deadlineNanos, drain), receiveThread.getName() + "-close");
            closer.setDaemon(true);
            closer.start();
            return false;
        }
        // an interrupt is not a shorter drain: clear it for the waits below, set it again on return
        boolean interrupted = Thread.interrupted();
        try {
            shutdown(deadlineNanos, drain);
        } finally {
            if (interrupted || closeInterrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return drainedCleanly;
    }

    /**
     * Stops fetching, hands back what no handler has started, waits until {@code deadlineNanos} for running handlers
     * (their AUTO acks go out as usual), interrupts those still running, waits for dead-letter publishes, shuts the
     * settle gate so no ack races the receiver's close, then closes the receiver. Waits are uninterruptible: a
     * close must not return while handlers still run just because its thread was interrupted.
     */
    private void shutdown(long deadlineNanos, Duration drain) {
        if (!closing.compareAndSet(false, true)) {
            if (Thread.currentThread() != receiveThread) {
                awaitTerminated(Math.max(0, deadlineNanos - System.nanoTime()) + GRACE_NANOS * 2);
            }
            return;
        }
        stopping = true;
        boolean self = Thread.currentThread() == receiveThread;
        if (!self) {
            LockSupport.unpark(receiveThread);
        }
        if (lanes != null) {
            for (DeliveryImpl d : lanes.shutdown()) {
                if (d.expire()) {
                    handBack(d);
                }
            }
        }
        boolean finished = awaitHandlers(self, deadlineNanos);
        if (!finished) {
            if (drain.isZero()) {
                log.debug("{}: closing '{}' with no drain; interrupting its running handlers", backend.name(),
                        options.topic());
            } else {
                log.warn("{}: handlers of '{}' still running after the drain of {}; interrupting them",
                        backend.name(), options.topic(), Durations.format(drain));
            }
            interruptHandlers(self);
        }
        // whatever was not running a handler (a receive call, the final ack flush) gets a grace period
        awaitHandlers(self, System.nanoTime() + GRACE_NANOS);
        if (deadLetters != null) {
            finished &= deadLetters.await(deadlineNanos);
        }
        drainedCleanly = finished;
        if (housekeeping != null) {
            housekeeping.cancel(false);
        }
        gate.shut(GRACE_NANOS);
        for (DeliveryImpl d : awaitingSettle) {
            if (d.expire()) {
                leases.end(d);
                release();
            }
        }
        awaitingSettle.clear();
        reportDrops();
        try {
            receiver.close();
        } catch (RuntimeException e) {
            log.warn("{}: closing the receiver of '{}' failed", backend.name(), options.topic(), e);
        }
        bus.forget(this);
        if (observers != null) {
            observers.closed();
        }
        synchronized (this) {
            terminated = true;
            notifyAll();
        }
    }

    /**
     * Waits, uninterruptibly, until {@code deadlineNanos} for the receive thread (unless {@code self}) and the lanes
     * to end; true when no handler is running at the end (a receive thread still inside {@code receive} is not
     * handler work).
     */
    private boolean awaitHandlers(boolean self, long deadlineNanos) {
        long left;
        while ((left = deadlineNanos - System.nanoTime()) > 0 && !allEnded(self)) {
            try {
                if (!self && receiveThread.isAlive()) {
                    TimeUnit.NANOSECONDS.timedJoin(receiveThread, Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
                } else if (lanes != null) {
                    lanes.awaitTermination(Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
                } else {
                    break;
                }
            } catch (InterruptedException e) {
                closeInterrupted = true; // keep waiting; close(...) sets the status again on return
            }
        }
        for (Running r : running) {
            if (r.delivery != null && (lanes != null || !self)) {
                return false;
            }
        }
        return true;
    }

    private boolean allEnded(boolean self) {
        if (!self && receiveThread.isAlive()) {
            return false;
        }
        return lanes == null || lanes.isTerminated();
    }

    private void interruptHandlers(boolean self) {
        if (!self) {
            receiveThread.interrupt();
        }
        if (lanes != null) {
            lanes.interrupt();
        }
    }

    private synchronized void awaitTerminated(long maxNanos) {
        long end = System.nanoTime() + maxNanos;
        long left;
        while (!terminated && (left = end - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                closeInterrupted = true;
            }
        }
    }

    /** What a handler slot is running now. */
    private static final class Running {
        volatile DeliveryImpl delivery;
    }

    @Override
    public String toString() {
        return "Subscription{" + backend.name() + ", " + options.topic()
                + (options.group() == null ? "" : ", group=" + options.group()) + (isActive() ? "" : ", closed") + "}";
    }
}
