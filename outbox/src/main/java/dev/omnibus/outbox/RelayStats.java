package dev.omnibus.outbox;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What one {@link OutboxRelay} did since it started; thread-safe, cheap to read (counters only, no database query;
 * for the rows waiting in the table see {@link OutboxBacklog#of}).
 */
public final class RelayStats {
    final AtomicLong published = new AtomicLong();
    final AtomicLong parked = new AtomicLong();
    final AtomicLong retried = new AtomicLong();
    final AtomicLong batches = new AtomicLong();
    final AtomicLong failures = new AtomicLong();

    RelayStats() {
    }

    /**
     * Rows the broker confirmed and this relay marked sent (or deleted).
     *
     * @return a count
     */
    public long published() {
        return published.get();
    }

    /**
     * Rows the broker refused for good, parked with their reason by this relay.
     *
     * @return a count
     */
    public long parked() {
        return parked.get();
    }

    /**
     * Publishes not confirmed (broker unavailable, timed out), left pending for another try.
     *
     * @return a count
     */
    public long retried() {
        return retried.get();
    }

    /**
     * Claim transactions this relay committed.
     *
     * @return a count
     */
    public long batches() {
        return batches.get();
    }

    /**
     * Database or broker failures this relay backed off after.
     *
     * @return a count
     */
    public long failures() {
        return failures.get();
    }

    @Override
    public String toString() {
        return "RelayStats{published=" + published() + ", parked=" + parked() + ", retried=" + retried()
                + ", batches=" + batches() + ", failures=" + failures() + "}";
    }
}
