package dev.omnibus.bench;

import dev.omnibus.Delivery;
import dev.omnibus.DeliveryHandler;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Lets one benchmark thread wait until every subscription has received every event it just published; reusable,
 * one round at a time.
 *
 * <p>Each subscription gets its own {@linkplain #newHandler() counting handler}, written only by that
 * subscription's receive thread (concurrency 1), so the hot path touches no shared counter: the handler that
 * brings its subscription to the expected total decrements the number of pending subscriptions, and the last one
 * unparks the waiter. The waiter polls for up to a millisecond, first busy-spinning, then yielding the CPU to
 * runnable threads (with fan-out 16 on few cores, the receive threads need it), and only then parks until it is
 * unparked, at most {@link #PARK_SLICE_NANOS} at a time, until its deadline passes. Polling first keeps the waiter's
 * own wake-up out of the measurement: a parked waiter adds a futex wake-up (several to tens of microseconds) to every
 * round trip, which is not the library's latency.
 */
final class FanOutLatch {
    /** How long {@link #await(long)} busy-spins before it starts yielding. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
    /** How long {@link #await(long)} keeps polling (yielding the CPU to runnable threads) before it parks. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /**
     * The longest single park: the waiter's unpark permit can be consumed by a park elsewhere on its thread (a lock
     * acquired inside {@code publish}), so it re-checks at least this often instead of trusting one wake-up.
     */
    private static final long PARK_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private final List<CountingHandler> handlers = new ArrayList<>();
    private final AtomicInteger pendingSubscriptions = new AtomicInteger();
    private volatile long expected;
    private volatile Thread waiter;

    /** A handler for one more subscription; create them all before the first {@link #arm(int)}. */
    DeliveryHandler newHandler() {
        CountingHandler h = new CountingHandler();
        handlers.add(h);
        return h;
    }

    /**
     * Starts a round: the calling thread will publish {@code events} more events and then {@link #await(long)} them
     * on every subscription. The previous round must have completed.
     */
    void arm(int events) {
        waiter = Thread.currentThread();
        pendingSubscriptions.set(handlers.size());
        expected += events; // single writer: the benchmark thread; published to handlers by this volatile write
    }

    /**
     * Waits until every subscription has received every event of the round.
     *
     * @throws IllegalStateException if that takes longer than {@code timeoutNanos}, with each subscription's count
     */
    void await(long timeoutNanos) {
        long start = System.nanoTime();
        while (pendingSubscriptions.get() > 0) {
            long waited = System.nanoTime() - start;
            if (waited < SPIN_NANOS) {
                Thread.onSpinWait();
            } else if (waited < POLL_NANOS) {
                Thread.yield();
            } else if (waited >= timeoutNanos) {
                throw new IllegalStateException(shortfall(timeoutNanos));
            } else {
                LockSupport.parkNanos(this, Math.min(PARK_SLICE_NANOS, timeoutNanos - waited));
            }
        }
    }

    private String shortfall(long timeoutNanos) {
        StringBuilder sb = new StringBuilder("deliveries did not complete within ")
                .append(TimeUnit.NANOSECONDS.toMillis(timeoutNanos)).append(" ms; expected ").append(expected)
                .append(" per subscription, received:");
        for (CountingHandler h : handlers) {
            sb.append(' ').append(h.received);
        }
        return sb.toString();
    }

    /** Counts one subscription's deliveries; called only on that subscription's receive thread. */
    private final class CountingHandler implements DeliveryHandler {
        /** Written by one thread; volatile so a timeout report reads current values. */
        private volatile long received;

        @Override
        public void handle(Delivery delivery) {
            long n = received + 1;
            received = n;
            if (n == expected && pendingSubscriptions.decrementAndGet() == 0) {
                LockSupport.unpark(waiter);
            }
        }
    }
}
