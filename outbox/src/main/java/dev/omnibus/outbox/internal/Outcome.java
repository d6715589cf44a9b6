package dev.omnibus.outbox.internal;

/**
 * What became of one claimed row in a batch; immutable.
 *
 * @param row the row
 * @param kind sent, to retry, or parked
 * @param reason why not sent (null when sent)
 */
public record Outcome(ClaimedRow row, Kind kind, String reason) {
    /** The fates of a row. */
    public enum Kind {
        /** The broker confirmed it: mark it sent (or delete it). */
        SENT,
        /** Not confirmed (broker unavailable, timed out, or an earlier row of its key was not): stays pending. */
        RETRY,
        /** Refused for good: parked with the reason, not retried. */
        PARKED,
        /** The relay's publisher is closed: stays pending, and the relay stops. */
        CLOSED
    }
}
