package dev.omnibus.internal;

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
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The portable subscription: one receive thread pulls batches from the {@link Receiver} only while fewer than
 * {@code maxInFlight} deliveries are unsettled, runs the handler inline (concurrency 1) or on key-affine lanes
 * ({@link Handlers}), settles per ack mode ({@link Settler}), counts attempts where the broker does not
 * ({@link AttemptCounter}), dead-letters where the broker cannot ({@link DeadLetters}), keeps every message it holds
 * alive at the broker ({@link Leases}) and expires manual deliveries a handler left unsettled past the ack deadline
 * ({@link Housekeeping}). This class receives, and starts and ends the rest.
 *
 * <p>Threads: the receive thread ({@code omnibus-<backend>-recv-<topic>}) receives, converts and, inline, runs the
 * handler; lane threads ({@code omnibus-<backend>-handler-<topic>-<n>}) run handlers when concurrency is above 1;
 * the bus's scheduler runs housekeeping (expiry and lease renewal, never user code). Settling may come from any
 * thread.
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
    /** How long a mid-batch top-up waits for the driver: it takes only what is already there. */
    private static final Duration TOP_UP_WAIT = Duration.ofMillis(1);
    /** Most time an inline batch runs between top-ups (less with a short ack deadline: see topUpEveryNanos). */
    private static final long TOP_UP_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    /** How long close waits beyond the drain for threads that are not running a handler (receive calls). */
    private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final OmnibusImpl bus;
    private final Backend backend;
    private final Capabilities capabilities;
    private final Receiver receiver;
    private final SubscribeOptions options;
    private final Thread receiveThread;
    private final Leases leases;
    private final SettleGate gate = new SettleGate();
    private final AttemptCounter attempts = new AttemptCounter();
    /** AUTO acks made inline, sent by the receive thread (receive thread only). */
    private final AckBatch acks;
    /** Least time between two mid-batch top-ups of an inline batch (see runBatch). */
    private final long topUpEveryNanos;
    private final Settler settler;
    private final Housekeeping housekeeping;
    private final Handlers handlers;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final LongAdder redelivered = new LongAdder();
    private final LongAdder invalid = new LongAdder();
    /** Counts {@link #receiveNow()} calls, so a backoff pause notices one that came while it started. */
    private volatile int wakeups;
    private volatile boolean stopping;
    private volatile boolean terminated;
    private volatile boolean drainedCleanly = true;
    /** An interrupt arrived while close was waiting; close sets the caller's status again on return. */
    private volatile boolean closeInterrupted;
    private volatile OmnibusException failure;
    /** The instrumentations' observers; {@code null} when none is on (set before the receive thread starts). */
    private Observers.Sub observers;

    SubscriptionImpl(OmnibusImpl bus, Receiver receiver, SubscribeOptions options, DeliveryHandler handler) {
        this.bus = bus;
        this.backend = bus.driver();
        this.capabilities = bus.capabilities();
        this.receiver = receiver;
        this.options = options;
        long ackDeadlineNanos = options.ackDeadline().toNanos();
        this.leases = new Leases(ackDeadlineNanos);
        this.acks = new AckBatch(Math.min(TimeUnit.MILLISECONDS.toNanos(100), ackDeadlineNanos / 10));
        this.topUpEveryNanos = Math.min(TOP_UP_EVERY_NANOS, ackDeadlineNanos / 8);
        this.receiveThread = new Thread(this::receiveLoop, "omnibus-" + backend.name() + "-recv-" + options.topic());
        this.receiveThread.setDaemon(true);
        this.settler = new Settler(backend, receiver, capabilities, options, leases, attempts, acks, gate,
                receiveThread);
        this.housekeeping = new Housekeeping(receiver, leases, gate, settler, backend.name(), options.topic());
        this.handlers = new Handlers(handler, options, capabilities, backend, settler, housekeeping, acks,
                () -> stopping, receiveThread);
    }

    void start() {
        Observers.Bus busObservers = bus.observers();
        if (busObservers != null) {
            observers = busObservers.subscribed(this);
        }
        settler.observe(observers);
        handlers.observe(observers);
        housekeeping.start(bus.scheduler(), options.ackDeadline().toNanos(), observers);
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
        return new SubscriptionStats(handlers.delivered(), settler.acked(), settler.nacked(), redelivered.sum(),
                settler.deadLettered(), housekeeping.expired(), invalid.sum(), receiver.dropped(),
                settler.inFlight());
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
            int free = options.maxInFlight() - settler.inFlight();
            if (free <= 0) {
                if (acks.pending()) {
                    settler.flushAcks(); // acks carried over from the last batch hold slots: free them first
                    continue;
                }
                // the settle that frees a slot below the bound unparks this thread (Settler.release), as close does
                LockSupport.parkNanos(this, POLL_NANOS);
                continue;
            }
            List<ReceivedMessage> batch;
            // read before the receive: a reconnect reported between a failed receive and its backoff pause ends the
            // pause too (read at the pause's start, that wakeup was lost and the loop slept out the whole backoff:
            // SubscriptionImplTest.aReportedReconnectEndsTheReceiveBackoff failed so once in a full run)
            int wokenBefore = wakeups;
            try {
                batch = receiver.receive(Math.min(free, MAX_BATCH), acks.pending() ? TOP_UP_WAIT : POLL);
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
                settler.flushAcks(); // not held through the backoff; if the broker is away they fail and are logged
                failures++;
                Duration delay = bus.reconnectPolicy().delay(failures);
                log.warn("{}: receive on '{}' failed (attempt {}), retrying in {}: {}", backend.name(),
                        options.topic(), failures, delay, error.getMessage());
                pause(delay, wokenBefore);
                continue;
            }
            if (!batch.isEmpty()) {
                runBatch(batch);
            } else {
                settler.flushAcks(); // nothing more came within the carry wait: the carried acks go now
            }
        }
        settler.flushAcks();
    }

    private void runBatch(List<ReceivedMessage> batch) {
        if (!handlers.inline()) {
            for (DeliveryImpl d : take(batch)) {
                offer(d);
            }
            return;
        }
        // Inline: the batch is a rolling queue. Acks are sent while it runs (whenever the AckBatch says they are
        // due), which frees broker credit, so a driver that reads ahead (jnats' pull buffer, Pub/Sub's stream,
        // Kafka's fetch) holds more messages before this thread could ask for them; after each mid-batch flush the
        // thread takes what the freed slots allow, so those messages come under the library's leases at once instead
        // of waiting in the driver, unrenewed, until the batch ends.
        // A top-up may wait TOP_UP_WAIT when the driver holds nothing, so it runs only once the batch has run
        // topUpEveryNanos since the last one: a batch of fast handlers finishes before any message could sit in the
        // driver long enough to matter, and is not stalled a millisecond every 128 acks (memory, 1,000-event bursts
        // to one subscription: 210 k deliveries/s with a top-up after every flush). A message waits in the driver at
        // most an eighth of the ack deadline plus one handler before it is under a lease, well before a quarter
        // deadline, when renewals start.
        ArrayDeque<DeliveryImpl> queue = new ArrayDeque<>(take(batch));
        long lastTopUp = System.nanoTime();
        acks.begin();
        try {
            DeliveryImpl d;
            while ((d = queue.poll()) != null) {
                offer(d);
                if (acks.due()) {
                    settler.flushAcks();
                    long now = System.nanoTime();
                    if (now - lastTopUp >= topUpEveryNanos) {
                        topUp(queue);
                        lastTopUp = now;
                    }
                }
            }
        } finally {
            acks.end();
            if (!carryAcks()) {
                settler.flushAcks();
            }
        }
    }

    /**
     * Whether the acks still gathered when an inline batch ends may wait for the next batch instead of going now.
     * Why: a driver that hands over a few messages at a time (a broker slower than the handler, e.g. RabbitMQ
     * pushing with prefetch) made one ack call per small batch: ~20 events per {@code basic.ack} against the raw
     * client's 128, and the broker, busy with the extra acks, delivered at 0.76 of raw. They wait only while none is
     * due ({@link AckBatch}: 128 gathered or the oldest at its maximum age), while room for a whole ack batch is left
     * under {@code maxInFlight} (the carried acks hold their slots; a smaller bound flushes as before), and only
     * while messages keep coming: the next receive waits {@link #TOP_UP_WAIT} (1 ms) at most, and when nothing came
     * the acks go (receiveUntilStopped). So an idle subscription's last acks are late by a millisecond, not by a
     * receive poll. Close and a failed receive send them too.
     */
    private boolean carryAcks() {
        return !stopping && !acks.due() && settler.inFlight() + AckBatch.MAX_ACKS <= options.maxInFlight();
    }

    /** Dispatches {@code d}, or hands it back once close began. Receive thread. */
    private void offer(DeliveryImpl d) {
        if (stopping) {
            if (d.expire()) {
                settler.handBack(d);
            }
        } else {
            dispatch(d);
        }
    }

    /** Turns a received batch into deliveries under lease; counts it in flight. Receive thread. */
    private List<DeliveryImpl> take(List<ReceivedMessage> batch) {
        int size = batch.size();
        settler.taken(size);
        long now = System.nanoTime();
        acks.clock(now);
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
        int free = options.maxInFlight() - settler.inFlight();
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

    /**
     * Waits out a retry backoff, ending early on close or when the bus says the broker is back: at once if it said so
     * since {@code woken} (the wakeup count read before the receive that failed).
     */
    private void pause(Duration delay, int woken) {
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
        int attempt = attempts.attempt(m);
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
        settler.release();
    }

    /** Runs the handler on {@code d}, or dead-letters it: a raw message under onInvalidMessage(DEAD_LETTER). */
    private void dispatch(DeliveryImpl d) {
        if (d.isRaw()) {
            invalid.increment();
            if (options.onInvalidMessage() == InvalidMessagePolicy.DEAD_LETTER) {
                if (d.expire()) {
                    settler.deadLetter(d, "not a valid CloudEvent: " + d.message.invalidReason());
                }
                return;
            }
        }
        handlers.dispatch(d);
    }

    // ---------------------------------------------------------------- settling (DeliveryImpl's entry points)

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
        settler.ack(d);
    }

    void settleNack(DeliveryImpl d, Duration delay, String reason) {
        settler.nack(d, delay, reason);
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
        wakeReceiver();
    }

    /** Makes a receive call in progress return now, where the driver can (Receiver.wakeup). */
    private void wakeReceiver() {
        try {
            receiver.wakeup();
        } catch (RuntimeException e) {
            log.debug("{}: waking the receiver of '{}' failed; close waits out its receive call", backend.name(),
                    options.topic(), e);
        }
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

    /** Whether the calling thread runs one of this subscription's handlers (close then finishes on its own thread). */
    boolean calledFromOwnHandler() {
        return handlers.onHandlerThread();
    }

    /** {@link #close(Duration)} with an absolute deadline, which the bus shares among its subscriptions. */
    boolean close(long deadlineNanos, Duration drain) {
        if (handlers.onHandlerThread()) {
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
     *
     * <p>Why in this order: each step waits for what could still reach the receiver through the steps after it.
     * Handlers settle their deliveries (and may publish dead letters) until they end; dead-letter outcomes settle on
     * the source; housekeeping hands back and renews. Only once those are done, or given up, is the gate shut, and
     * only behind the gate is the receiver closed, so an ack that returned {@code true} reached it. The first close
     * does the work; a concurrent one waits for it to finish (the receive thread, ending on a failure, does not wait
     * for a close that is waiting for it).
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
            wakeReceiver();
        }
        for (DeliveryImpl d : handlers.shutdownLanes()) {
            if (d.expire()) {
                settler.handBack(d);
            }
        }
        // keep waiting on an interrupt; close(...) sets the status again on return
        Runnable interrupted = () -> closeInterrupted = true;
        boolean finished = handlers.await(self, deadlineNanos, interrupted);
        if (!finished) {
            if (drain.isZero()) {
                log.debug("{}: closing '{}' with no drain; interrupting its running handlers", backend.name(),
                        options.topic());
            } else {
                log.warn("{}: handlers of '{}' still running after the drain of {}; interrupting them",
                        backend.name(), options.topic(), Durations.format(drain));
            }
            handlers.interrupt(self);
        }
        // whatever was not running a handler (a receive call, the final ack flush) gets a grace period
        handlers.await(self, System.nanoTime() + GRACE_NANOS, interrupted);
        finished &= settler.awaitDeadLetters(deadlineNanos);
        drainedCleanly = finished;
        housekeeping.stop();
        gate.shut(GRACE_NANOS);
        housekeeping.releaseWatched();
        housekeeping.reportDrops();
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

    @Override
    public String toString() {
        return "Subscription{" + backend.name() + ", " + options.topic()
                + (options.group() == null ? "" : ", group=" + options.group()) + (isActive() ? "" : ", closed") + "}";
    }
}
