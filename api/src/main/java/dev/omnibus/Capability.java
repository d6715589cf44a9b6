package dev.omnibus;

/**
 * What a backend may be able to do; see {@link Capabilities}. Each names the kit rule that proves it; a capability
 * changes more rules than that one (without it some tests of other rules are skipped, with it some check more):
 * the table under "Capabilities are promises" in the kit's README (tck/README.md) lists them all, and the kit's
 * self-test checks that table against the rules' code.
 */
public enum Capability {
    /** Every event whose publish completed is delivered until acked (else: at most once). Proved by R06, R09, R10. */
    AT_LEAST_ONCE,
    /** Events survive a broker restart. Proved by R17 and R23. */
    DURABLE,
    /** Subscriptions with the same group share the stream. Proved by R04. */
    GROUPS,
    /** Subscriptions can start at EARLIEST or a point in time. Proved by R13. */
    REPLAY,
    /**
     * Events with the same partition key arrive in publish order, within one subscription (not across the members of
     * a group). Proved by R05.
     */
    ORDERING,
    /** {@code nack()} redelivers. Proved by R07. */
    NACK,
    /** {@code nack(delay)} redelivers no earlier than the delay. Proved by R08. */
    DELAYED_NACK,
    /** The broker dead-letters by itself (else the library does it where the backend is at-least-once). */
    NATIVE_DEAD_LETTER,
    /** A second publish of the same event id is dropped by the broker. Proved by R14. */
    DEDUP,
    /** Subscriptions may use {@code *} (one token) and {@code >} (one or more tokens). Proved by R19. */
    WILDCARDS,
    /** Per-subscription overflow policies (BLOCK, DROP, DISCONNECT) can be chosen. Proved by R02 and R22. */
    OVERFLOW_POLICY
}
