package dev.omnibus.internal;

import dev.omnibus.AckMode;
import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.DeliveryHandler;
import dev.omnibus.Extensions;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.InvalidMessagePolicy;
import dev.omnibus.OmnibusException;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.SubscriptionStats;
import dev.omnibus.UnsupportedCapabilityException;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The portable subscription: one receive thread pulls batches from the {@link Receiver} only while fewer than
 * {@code maxInFlight} deliveries are unsettled, runs the handler inline (concurrency 1) or on key-affine lanes,
 * settles per ack mode, counts attempts where the broker does not, dead-letters where the broker cannot, keeps
 * running handlers' deadlines extended and expires forgotten manual deliveries.
 */
final class SubscriptionImpl implements Subscription {
    private static final Logger log = LoggerFactory.getLogger(SubscriptionImpl.class);
    private static final int MAX_BATCH = 256;
    private static final Duration POLL = Duration.ofMillis(100);
    private static final long POLL_NANOS = POLL.toNanos();
    private static final int MAX_REASON = 1024;

    private final OmnibusImpl bus;
    private final Backend backend;
    private final Capabilities capabilities;
    private final Receiver receiver;
    private final SubscribeOptions options;
    private final DeliveryHandler handler;
    private final boolean libraryDeadLetter;
    private final long ackDeadlineNanos;
    private final Thread receiveThread;
    private final ThreadPoolExecutor[] lanes;
    private final Running[] running;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger roundRobin = new AtomicInteger();
    private final ConcurrentLinkedQueue<DeliveryImpl> awaitingSettle = new ConcurrentLinkedQueue<>();
    private final AttemptCounter attempts = new AttemptCounter();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder acked = new LongAdder();
    private final LongAdder nacked = new LongAdder();
    private final LongAdder redelivered = new LongAdder();
    private final LongAdder deadLettered = new LongAdder();
    private final LongAdder expired = new LongAdder();
    private final LongAdder invalid = new LongAdder();
    private final AtomicInteger deadLettering = new AtomicInteger();
    /** AUTO acks made on the receive thread while it runs a batch inline; flushed with one ackAll per batch. */
    private final List<DeliveryImpl> ackBatch = new ArrayList<>();
    private boolean batchingAcks;
    private volatile boolean stopping;
    private volatile boolean terminated;
    private volatile boolean drainedCleanly = true;
    private volatile OmnibusException failure;
    private ScheduledFuture<?> housekeeping;
    /** The instrumentations' observers; {@code null} when none is on (set before the receive thread starts). */
    private Observers.Sub observers;
    /**
     * Receive thread only, with observers: the clock reading that ended the previous inline handler of the current
     * batch, which the next delivery takes as its own start instead of reading the clock again (0: none).
     */
    private long clockHint;
    /** {@link Receiver#dropped()} when last reported to the observers (housekeeping thread only). */
    private long droppedReported;

    SubscriptionImpl(OmnibusImpl bus, Receiver receiver, SubscribeOptions options, DeliveryHandler handler) {
        this.bus = bus;
        this.backend = bus.driver();
        this.capabilities = bus.capabilities();
        this.receiver = receiver;
        this.options = options;
        this.handler = handler;
        this.libraryDeadLetter = options.deadLetterTopic() != null
                && !capabilities.has(Capability.NATIVE_DEAD_LETTER);
        this.ackDeadlineNanos = options.ackDeadline().toNanos();
        String base = "omnibus-" + backend.name() + "-";
        this.receiveThread = new Thread(this::receiveLoop, base + "recv-" + options.topic());
        this.receiveThread.setDaemon(true);
        int n = options.concurrency();
        this.running = new Running[n];
        for (int i = 0; i < n; i++) {
            running[i] = new Running();
        }
        if (n == 1) {
            this.lanes = null;
        } else {
            this.lanes = new ThreadPoolExecutor[n];
            for (int i = 0; i < n; i++) {
                String name = base + "handler-" + options.topic() + "-" + i;
                lanes[i] = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, name);
                    t.setDaemon(true);
                    return t;
                });
            }
        }
    }

    void start() {
        Observers.Bus busObservers = bus.observers();
        if (busObservers != null) {
            observers = busObservers.subscribed(this);
        }
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(20), Math.min(ackDeadlineNanos / 4,
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
                deadLettered.sum(), expired.sum(), invalid.sum(), receiver.dropped(), inFlight.get());
    }

    // ---------------------------------------------------------------- receiving

    private void receiveLoop() {
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
            int size = batch.size();
            if (size == 0) {
                continue;
            }
            inFlight.addAndGet(size);
            batchingAcks = lanes == null;
            clockHint = 0;
            try {
                for (int i = 0; i < size; i++) {
                    ReceivedMessage m = batch.get(i);
                    if (stopping) {
                        handBack(m);
                        continue;
                    }
                    dispatch(newDelivery(m));
                }
            } finally {
                batchingAcks = false;
                flushAcks();
            }
        }
        if (failure != null) {
            shutdown(Duration.ofSeconds(5), true);
        }
    }

    private void pause(Duration delay) {
        long end = System.nanoTime() + delay.toNanos();
        long left;
        while (!stopping && (left = end - System.nanoTime()) > 0) {
            LockSupport.parkNanos(this, left);
        }
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
        long now = clockHint;
        if (now == 0) {
            now = System.nanoTime();
        } else {
            clockHint = 0;
        }
        return new DeliveryImpl(this, m, attempt, now, now + ackDeadlineNanos);
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
    private void forgetAttempts(ReceivedMessage m) {
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
            return;
        }
        String key = d.message.orderingKey();
        int lane = key != null ? Math.floorMod(key.hashCode(), lanes.length)
                : Math.floorMod(roundRobin.getAndIncrement(), lanes.length);
        lanes[lane].execute(new Dispatch(d, lane));
    }

    private final class Dispatch implements Runnable {
        final DeliveryImpl delivery;
        final int lane;

        Dispatch(DeliveryImpl delivery, int lane) {
            this.delivery = delivery;
            this.lane = lane;
        }

        @Override
        public void run() {
            runHandler(delivery, lane);
        }
    }

    private void runHandler(DeliveryImpl d, int lane) {
        if (stopping) {
            if (d.expire()) {
                handBack(d.message);
            }
            return;
        }
        Running slot = running[lane];
        slot.delivery = d;
        delivered.increment();
        Observers.Sub observers = this.observers;
        if (observers != null) {
            runObserved(observers, d, slot);
            return;
        }
        try {
            handler.handle(d);
            if (options.ackMode() == AckMode.AUTO) {
                d.ack();
            }
        } catch (Throwable t) {
            handlerFailed(d, t);
        } finally {
            slot.delivery = null;
            if (d.isPending()) {
                awaitingSettle.add(d);
            }
        }
    }

    /**
     * {@link #runHandler} with the observers told before and after, and the handler timed. Inline, the delivery's
     * creation (just before) is the start and the end becomes the next delivery's creation time: timing costs no
     * clock reading beyond the one every delivery takes for its deadline.
     */
    private void runObserved(Observers.Sub observers, DeliveryImpl d, Running slot) {
        Object token = observers.handling(d);
        boolean inline = lanes == null;
        long start = inline ? d.createdNanos : System.nanoTime();
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
            if (inline) {
                clockHint = end;
            }
            observers.handled(d, token, end - start, error);
            slot.delivery = null;
            if (d.isPending()) {
                awaitingSettle.add(d);
            }
        }
    }

    private void handlerFailed(DeliveryImpl d, Throwable t) {
        if (t instanceof UnsupportedCapabilityException) {
            log.error("{}: handler on '{}' asked for an unsupported capability", backend.name(), options.topic(), t);
        } else {
            log.debug("{}: handler on '{}' failed for event {}", backend.name(), options.topic(), d.event().getId(),
                    t);
        }
        d.failed(Duration.ZERO, reason(t));
        if (t instanceof Error && !(t instanceof AssertionError)) {
            throw (Error) t;
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

    void settleAck(DeliveryImpl d) {
        if (batchingAcks && Thread.currentThread() == receiveThread) {
            ackBatch.add(d);
            return;
        }
        try {
            receiver.ack(d.message);
        } catch (RuntimeException e) {
            log.warn("{}: ack of {} failed; the broker will redeliver it", backend.name(), d.message, e);
        }
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
                observers.dropped(dev.omnibus.instrument.SubscriptionObserver.NOT_REDELIVERABLE, 1);
            }
        }
        release();
    }

    /** Publishes {@code d} to the dead-letter topic, then settles it on the source; on failure leaves it for redelivery. */
    private void deadLetter(DeliveryImpl d, String reason) {
        CloudEvent dead;
        try {
            dead = CloudEventBuilder.from(d.event())
                    .withExtension(Extensions.DEAD_LETTER_REASON, reason.length() > MAX_REASON
                            ? reason.substring(0, MAX_REASON) : reason)
                    .withExtension(Extensions.DEAD_LETTER_TOPIC, d.topic())
                    .withExtension(Extensions.DEAD_LETTER_ATTEMPTS, d.attempt)
                    .build();
        } catch (RuntimeException e) {
            log.error("{}: cannot build the dead letter for {}", backend.name(), d.message, e);
            receiver.nack(d.message, Duration.ZERO);
            release();
            return;
        }
        deadLettering.incrementAndGet();
        backend.send(options.deadLetterTopic(), dead).whenComplete((receipt, error) -> {
            try {
                if (error == null) {
                    receiver.deadLettered(d.message);
                    deadLettered.increment();
                    forgetAttempts(d.message);
                    if (observers != null) {
                        observers.deadLettered(d, options.deadLetterTopic(), reason);
                    }
                } else {
                    log.warn("{}: publishing event {} to dead-letter topic '{}' failed; it stays on '{}' for "
                            + "redelivery", backend.name(), d.event().getId(), options.deadLetterTopic(), d.topic(),
                            error);
                    receiver.nack(d.message, Duration.ZERO);
                }
            } catch (RuntimeException e) {
                log.warn("{}: settling dead-lettered {} failed", backend.name(), d.message, e);
            } finally {
                release();
                if (deadLettering.decrementAndGet() == 0) {
                    synchronized (deadLettering) {
                        deadLettering.notifyAll();
                    }
                }
            }
        });
    }

    /** Gives a not-yet-delivered message back to the broker (closing). */
    private void handBack(ReceivedMessage m) {
        try {
            if (capabilities.has(Capability.NACK)) {
                receiver.nack(m, Duration.ZERO);
            }
        } catch (RuntimeException e) {
            log.debug("{}: handing back {} failed; the broker redelivers it after the deadline", backend.name(), m, e);
        }
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
                    release();
                }
            }
            reportDrops();
            List<ReceivedMessage> extend = null;
            for (Running slot : running) {
                DeliveryImpl d = slot.delivery;
                if (d != null && d.deadlineNanos - now < ackDeadlineNanos / 2) {
                    d.deadlineNanos = now + ackDeadlineNanos;
                    if (extend == null) {
                        extend = new ArrayList<>();
                    }
                    extend.add(d.message);
                }
            }
            if (extend != null) {
                receiver.extend(extend);
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
                observers.dropped(dev.omnibus.instrument.SubscriptionObserver.OVERFLOW, now - droppedReported);
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

    @Override
    public boolean close(Duration drain) {
        if (drain == null || drain.isNegative()) {
            throw new InvalidArgumentException("drain must be zero or positive, was " + drain);
        }
        shutdown(drain, false);
        return drainedCleanly;
    }

    private void shutdown(Duration drain, boolean fromReceiveThread) {
        if (!closing.compareAndSet(false, true)) {
            if (!fromReceiveThread) {
                awaitTerminated(drain.plusSeconds(5));
            }
            return;
        }
        stopping = true;
        long deadline = System.nanoTime() + drain.toNanos();
        if (!fromReceiveThread) {
            LockSupport.unpark(receiveThread);
        }
        if (lanes != null) {
            for (ThreadPoolExecutor lane : lanes) {
                List<Runnable> pending = new ArrayList<>();
                lane.getQueue().drainTo(pending);
                for (Runnable r : pending) {
                    DeliveryImpl d = ((Dispatch) r).delivery;
                    if (d.expire()) {
                        handBack(d.message);
                    }
                }
                lane.shutdown();
            }
        }
        boolean finished = true;
        try {
            if (!fromReceiveThread) {
                receiveThread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                finished = !receiveThread.isAlive();
            }
            if (lanes != null) {
                for (ThreadPoolExecutor lane : lanes) {
                    finished &= lane.awaitTermination(Math.max(0, deadline - System.nanoTime()),
                            TimeUnit.NANOSECONDS);
                }
            }
            if (!finished) {
                log.warn("{}: handlers of '{}' still running after the drain of {}; interrupting them",
                        backend.name(), options.topic(), drain);
                if (!fromReceiveThread) {
                    receiveThread.interrupt();
                }
                if (lanes != null) {
                    for (ThreadPoolExecutor lane : lanes) {
                        lane.shutdownNow();
                    }
                }
                if (!fromReceiveThread) {
                    receiveThread.join(5_000);
                }
                if (lanes != null) {
                    for (ThreadPoolExecutor lane : lanes) {
                        lane.awaitTermination(5, TimeUnit.SECONDS);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        finished &= awaitDeadLetters(deadline);
        drainedCleanly = finished;
        if (housekeeping != null) {
            housekeeping.cancel(false);
        }
        for (DeliveryImpl d : awaitingSettle) {
            if (d.expire()) {
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

    /** Waits until dead-letter publishes started by handlers have settled, or the drain deadline passes. */
    private boolean awaitDeadLetters(long deadline) {
        synchronized (deadLettering) {
            long left;
            while (deadLettering.get() > 0 && (left = deadline - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(deadLettering, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return deadLettering.get() == 0;
        }
    }

    private synchronized void awaitTerminated(Duration max) {
        long end = System.nanoTime() + max.toNanos();
        long left;
        while (!terminated && (left = end - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** What a handler slot is running now, for deadline extension. */
    private static final class Running {
        volatile DeliveryImpl delivery;
    }

    @Override
    public String toString() {
        return "Subscription{" + backend.name() + ", " + options.topic()
                + (options.group() == null ? "" : ", group=" + options.group()) + (isActive() ? "" : ", closed") + "}";
    }
}
