package dev.omnibus.internal;

import dev.omnibus.instrument.SubscriptionObserver;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A subscription's periodic work, on the bus's scheduler every eighth of the ack deadline (20 ms to 1 s); it never
 * runs user code, so a slow handler cannot delay it:
 * <ul>
 *   <li>expires MANUAL deliveries a handler returned without settling once their ack deadline passes, handing them
 *       back so the broker redelivers them now, rather than after a deadline the library kept extending (their
 *       leases are renewed like any other held message until then); on a backend without a nack they are settled
 *       as {@link Settler#expired} says, never left holding the broker's in-flight slot;</li>
 *   <li>renews the leases of every message the library holds ({@link Leases}): the broker's deadline never runs out
 *       for an event waiting its turn in a batch or a lane;</li>
 *   <li>reports to the observers what the backend dropped since the last report.</li>
 * </ul>
 *
 * <p>Threads: {@link #watch} is called from handler threads, a tick runs on the scheduler, {@link #stop},
 * {@link #releaseWatched} and {@link #reportDrops} from close. What a tick sends to the receiver (hand-backs, lease
 * renewals) passes the {@link SettleGate}, so nothing reaches a closed receiver; an exception in a tick is logged
 * and the next tick runs as usual.
 */
final class Housekeeping {
    private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);

    private final Receiver receiver;
    private final Leases leases;
    private final SettleGate gate;
    private final Settler settler;
    private final String backendName;
    private final String topic;
    /** MANUAL deliveries their handler returned without settling (settled ones are dropped at the next tick). */
    private final ConcurrentLinkedQueue<DeliveryImpl> awaitingSettle = new ConcurrentLinkedQueue<>();
    private final LongAdder expired = new LongAdder();
    /** {@link Receiver#dropped()} when last reported; guarded by this object (a tick and close may report at once). */
    private long droppedReported;
    private Observers.Sub observers;
    private ScheduledFuture<?> task;

    Housekeeping(Receiver receiver, Leases leases, SettleGate gate, Settler settler, String backendName, String topic) {
        this.receiver = receiver;
        this.leases = leases;
        this.gate = gate;
        this.settler = settler;
        this.backendName = backendName;
        this.topic = topic;
    }

    /** Starts the ticks; {@code observers} may be {@code null}. Before the receive thread starts. */
    void start(ScheduledExecutorService scheduler, long ackDeadlineNanos, Observers.Sub observers) {
        this.observers = observers;
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(20), Math.min(ackDeadlineNanos / 8,
                TimeUnit.SECONDS.toNanos(1)));
        task = scheduler.scheduleAtFixedRate(this::tick, period, period, TimeUnit.NANOSECONDS);
    }

    /** {@code d}'s handler returned without settling it: it expires at its deadline unless settled before. */
    void watch(DeliveryImpl d) {
        awaitingSettle.add(d);
    }

    /** Deliveries expired so far. */
    long expired() {
        return expired.sum();
    }

    private void tick() {
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
                            settler.expired(d);
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
            log.warn("{}: housekeeping of '{}' failed", backendName, topic, e);
        }
    }

    /** Tells the observers of events the backend dropped since the last report. */
    void reportDrops() {
        if (observers == null) {
            return;
        }
        synchronized (this) {
            long now = receiver.dropped();
            if (now > droppedReported) {
                observers.dropped(SubscriptionObserver.OVERFLOW, now - droppedReported);
                droppedReported = now;
            }
        }
    }

    /** No more ticks (one running now finishes; close then shuts the settle gate, which waits for it). */
    void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }

    /**
     * Gives up the watched deliveries once the settle gate is shut: still pending, they are expired, their leases
     * end and their slots are freed, with nothing sent (the receiver is about to close; the broker redelivers them).
     */
    void releaseWatched() {
        for (DeliveryImpl d : awaitingSettle) {
            if (d.expire()) {
                leases.end(d);
                settler.release();
            }
        }
        awaitingSettle.clear();
    }
}
