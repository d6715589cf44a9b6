package dev.omnibus;

/**
 * What a backend may be able to do; see {@link Capabilities}. Each has a TCK rule that proves it.
 */
public enum Capability {
    /** Every event whose publish completed is delivered until acked (else: at most once). Gates R06, R09, R10. */
    AT_LEAST_ONCE,
    /** Events survive a broker restart. */
    DURABLE,
    /** Subscriptions with the same group share the stream. Gates R04. */
    GROUPS,
    /** Subscriptions can start at EARLIEST or a point in time. Gates R13. */
    REPLAY,
    /** Events with the same partition key arrive in publish order. Gates R05. */
    ORDERING,
    /** {@code nack()} redelivers. Gates R07. */
    NACK,
    /** {@code nack(delay)} redelivers no earlier than the delay. Gates R08. */
    DELAYED_NACK,
    /** The broker dead-letters by itself (else the library does it where the backend is at-least-once). */
    NATIVE_DEAD_LETTER,
    /** A second publish of the same event id is dropped by the broker. Gates R14. */
    DEDUP,
    /** Subscriptions may use {@code *} (one token) and {@code >} (one or more tokens). Gates R19. */
    WILDCARDS,
    /** Per-subscription overflow policies (BLOCK, DROP, DISCONNECT) can be chosen. */
    OVERFLOW_POLICY
}
