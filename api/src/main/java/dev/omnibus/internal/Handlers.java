package dev.omnibus.internal;

import dev.omnibus.AckMode;
import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.DeliveryHandler;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.UnsupportedCapabilityException;
import dev.omnibus.spi.Backend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * Runs a subscription's handler: inline on the receive thread (concurrency 1) or on {@link HandlerLanes} (above 1),
 * and is what close waits for and interrupts. A handler's {@link Throwable}, an {@link Error} included, fails only its
 * own delivery (nacked with the retry delay of its attempt); AUTO mode acks a delivery whose handler returned; a
 * MANUAL delivery left unsettled goes to {@link Housekeeping}, which expires it at its deadline.
 *
 * <p>Threads: {@link #dispatch} is the receive thread's; handlers run on the receive thread or the lanes' threads;
 * the close methods ({@link #shutdownLanes}, {@link #await}, {@link #interrupt}) may run on any thread, one close at
 * a time.
 */
final class Handlers {
    private static final Logger log = LoggerFactory.getLogger(Handlers.class);
    private static final int MAX_REASON = 1024;
    /** How long one wait for the threads lasts before the handler slots are looked at again. */
    private static final long WAIT_STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final DeliveryHandler handler;
    private final SubscribeOptions options;
    private final Capabilities capabilities;
    private final String backendName;
    private final long ackDeadlineNanos;
    private final Settler settler;
    private final Housekeeping housekeeping;
    private final AckBatch acks;
    /** Whether close began: a delivery whose handler has not started is handed back instead. */
    private final BooleanSupplier stopping;
    private final Thread receiveThread;
    /** The handler threads when {@code concurrency} is above 1; {@code null} when handlers run inline. */
    private final HandlerLanes<DeliveryImpl> lanes;
    /** What each lane (or the inline receive thread, slot 0) is running now: close looks here for busy handlers. */
    private final Running[] running;
    private final LongAdder delivered = new LongAdder();
    /** Set by {@link #observe} before the receive thread starts; {@code null} when no instrumentation is on. */
    private Observers.Sub observers;

    Handlers(DeliveryHandler handler, SubscribeOptions options, Capabilities capabilities, Backend backend,
            Settler settler, Housekeeping housekeeping, AckBatch acks, BooleanSupplier stopping, Thread receiveThread) {
        this.handler = handler;
        this.options = options;
        this.capabilities = capabilities;
        this.backendName = backend.name();
        this.ackDeadlineNanos = options.ackDeadline().toNanos();
        this.settler = settler;
        this.housekeeping = housekeeping;
        this.acks = acks;
        this.stopping = stopping;
        this.receiveThread = receiveThread;
        int n = options.concurrency();
        this.running = new Running[n];
        for (int i = 0; i < n; i++) {
            running[i] = new Running();
        }
        this.lanes = n == 1 ? null : new HandlerLanes<>(n, "omnibus-" + backendName + "-handler-" + options.topic(),
                d -> d.message.orderingKey(), this::run);
    }

    void observe(Observers.Sub observers) {
        this.observers = observers;
    }

    /** Whether handlers run on the receive thread. */
    boolean inline() {
        return lanes == null;
    }

    /** Deliveries whose handler started. */
    long delivered() {
        return delivered.sum();
    }

    /** Runs {@code d}'s handler now (inline) or queues it on its lane. Receive thread. */
    void dispatch(DeliveryImpl d) {
        if (lanes == null) {
            run(d, 0);
        } else if (!lanes.dispatch(d) && d.expire()) {
            // close shut the lanes between the receive thread's check of stopping and now: hand it back, as close does
            settler.handBack(d);
        }
    }

    /**
     * Runs the handler on {@code d}; the ack deadline starts now (the handler's time, not the time it waited for its
     * turn). Catches every {@link Throwable} the handler throws: it fails only this delivery.
     */
    private void run(DeliveryImpl d, int lane) {
        if (stopping.getAsBoolean()) {
            if (d.expire()) {
                settler.handBack(d);
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
            failed(d, t);
        } finally {
            long end = System.nanoTime();
            if (lanes == null) {
                acks.clock(end);
            }
            if (observers != null) {
                observers.handled(d, token, end - start, error);
            }
            slot.delivery = null;
            if (d.isPending()) {
                housekeeping.watch(d);
            }
        }
    }

    private void failed(DeliveryImpl d, Throwable t) {
        if (t instanceof UnsupportedCapabilityException) {
            log.error("{}: handler on '{}' asked for an unsupported capability", backendName, options.topic(), t);
        } else if (t instanceof Error && !(t instanceof AssertionError)) {
            log.error("{}: handler on '{}' threw an Error for event {}; the delivery fails, the subscription goes on",
                    backendName, options.topic(), Redaction.printable(d.event().getId()), t);
        } else {
            log.debug("{}: handler on '{}' failed for event {}", backendName, options.topic(),
                    Redaction.printable(d.event().getId()), t);
        }
        Duration delay = capabilities.has(Capability.DELAYED_NACK) ? options.retryDelay(d.attempt) : Duration.ZERO;
        try {
            d.failed(delay, reason(t));
        } catch (RuntimeException e) {
            log.warn("{}: settling the failed delivery of event {} on '{}' failed", backendName,
                    Redaction.printable(d.event().getId()), options.topic(), e);
        }
    }

    private static String reason(Throwable t) {
        String s = "handler threw " + t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        return s.length() > MAX_REASON ? s.substring(0, MAX_REASON) : s;
    }

    // ---------------------------------------------------------------- close

    /** Whether the calling thread runs this subscription's handlers. */
    boolean onHandlerThread() {
        Thread me = Thread.currentThread();
        return me == receiveThread || lanes != null && lanes.runs(me);
    }

    /** Shuts the lanes down: returns the deliveries queued on them that no handler started (none inline). */
    List<DeliveryImpl> shutdownLanes() {
        return lanes == null ? List.of() : lanes.shutdown();
    }

    /**
     * Waits, uninterruptibly, until {@code deadlineNanos} for the receive thread (unless {@code self}: the caller is
     * it) and the lanes to end; true when no handler is running at the end (a receive thread still inside
     * {@code receive} is not handler work). An interrupt does not end the wait: it is passed to
     * {@code onInterrupt}, so close can set the caller's status again on return.
     */
    boolean await(boolean self, long deadlineNanos, Runnable onInterrupt) {
        long left;
        while ((left = deadlineNanos - System.nanoTime()) > 0 && !allEnded(self)) {
            try {
                if (!self && receiveThread.isAlive()) {
                    TimeUnit.NANOSECONDS.timedJoin(receiveThread, Math.min(left, WAIT_STEP_NANOS));
                } else if (lanes != null) {
                    lanes.awaitTermination(Math.min(left, WAIT_STEP_NANOS));
                } else {
                    break;
                }
            } catch (InterruptedException e) {
                onInterrupt.run();
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

    /** Interrupts the handlers still running (and the receive thread, unless {@code self}). */
    void interrupt(boolean self) {
        if (!self) {
            receiveThread.interrupt();
        }
        if (lanes != null) {
            lanes.interrupt();
        }
    }

    /** What a handler slot is running now. */
    private static final class Running {
        volatile DeliveryImpl delivery;
    }
}
