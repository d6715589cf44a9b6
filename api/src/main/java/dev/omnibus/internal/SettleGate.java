package dev.omnibus.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The door between settle calls (ack, nack, dead-letter outcomes, lease renewals) and the receiver's close: close
 * {@link #shut shuts} it and waits for the calls already inside, so an ack that returned {@code true} has reached the
 * receiver before the receiver closes, and an ack made after that returns {@code false} instead of racing it.
 *
 * <p>Thread-safe and lock-free on the settle path: {@link #enter} is an increment and a volatile read. Why that is
 * enough: a settler increments, then reads {@code shut}; close writes {@code shut}, then reads the count. With
 * volatile accesses one of the two always sees the other, so no settle call slips past a close that saw zero.
 */
final class SettleGate {
    private final AtomicInteger inside = new AtomicInteger();
    private volatile boolean shut;

    /** Enters; false (and not inside) once the gate is shut. Pair a true with {@link #exit()}. */
    boolean enter() {
        inside.incrementAndGet();
        if (shut) {
            inside.decrementAndGet();
            return false;
        }
        return true;
    }

    void exit() {
        inside.decrementAndGet();
    }

    /**
     * Shuts the gate and waits up to {@code maxNanos} (uninterruptibly) for the calls inside to leave; true when
     * none is left.
     */
    boolean shut(long maxNanos) {
        shut = true;
        long end = System.nanoTime() + maxNanos;
        while (inside.get() > 0) {
            if (System.nanoTime() - end >= 0) {
                return false;
            }
            LockSupport.parkNanos(this, TimeUnit.MICROSECONDS.toNanos(200));
        }
        return true;
    }

    boolean isShut() {
        return shut;
    }
}
