package dev.omnibus.internal;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lets one log line of a kind through per interval and counts the ones it holds back, so that a line logged per
 * event (a failed delivery settled as dropped, say) cannot flood the log when every event fails: the first passes at
 * once, the next one passing says how many were held back in between. Thread-safe and lock-free; the counts are
 * exact, the interval is kept within a race of a few calls.
 */
final class LogThrottle {
    private final long intervalNanos;
    private final AtomicLong nextNanos;
    private final AtomicLong heldBack = new AtomicLong();

    LogThrottle(Duration interval) {
        this.intervalNanos = interval.toNanos();
        this.nextNanos = new AtomicLong(System.nanoTime());
    }

    /**
     * Whether this line may be logged.
     *
     * @return -1 to hold it back (it is counted); otherwise how many were held back since the last line let through
     */
    long admit() {
        long now = System.nanoTime();
        long next = nextNanos.get();
        if (now - next >= 0 && nextNanos.compareAndSet(next, now + intervalNanos)) {
            return heldBack.getAndSet(0);
        }
        heldBack.incrementAndGet();
        return -1;
    }

    /** {@code ""}, or the note a line carries about the {@code heldBack} lines before it. */
    static String note(long heldBack) {
        return heldBack > 0 ? " (" + heldBack + " more like it since the last such line)" : "";
    }
}
