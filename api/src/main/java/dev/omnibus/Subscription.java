package dev.omnibus;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A running subscription; thread-safe. It owns one receive thread ({@code omnibus-<backend>-recv-<topic>})
 * and, with {@code concurrency > 1}, that many handler threads ({@code omnibus-<backend>-handler-<topic>-<n>});
 * none outlives {@link #close(Duration)}.
 *
 * <p>It survives broker restarts and connection cuts on its own: receive errors that may pass are retried with
 * the shared {@link ReconnectPolicy}. A non-retryable error (the backend disconnecting it, say) ends it:
 * {@link #failure()} then tells why.
 */
public interface Subscription extends AutoCloseable {
    /** Default time {@link #close()} waits for running handlers. */
    Duration DEFAULT_DRAIN = Duration.ofSeconds(30);

    /** The options it was created with. */
    SubscribeOptions options();

    /** Whether it is still receiving. */
    boolean isActive();

    /** Why it ended, if it ended by an error rather than by {@code close}. */
    Optional<OmnibusException> failure();

    /** A snapshot of its counters. */
    SubscriptionStats stats();

    /**
     * The consumer lag: how many events on the broker this subscription (its group, if it has one) has yet to
     * receive, where the broker can tell (memory, Redis Streams {@code XINFO GROUPS}, JetStream {@code numPending},
     * Kafka); empty where it cannot, or when asking failed. It may be a round trip to the broker: meant for a metrics
     * scrape, not for a hot loop.
     */
    OptionalLong lag();

    /**
     * Stops fetching, waits up to {@code drain} for running handlers (their acks and dead-letter publishes go
     * through), hands deliveries not yet started back to the broker for redelivery, and stops every thread it owns.
     * Nothing is delivered to the handler after this returns. Idempotent.
     *
     * @return {@code true} if every running handler finished within {@code drain}
     */
    boolean close(Duration drain);

    /** {@link #close(Duration)} with {@link #DEFAULT_DRAIN}. */
    @Override
    default void close() {
        close(DEFAULT_DRAIN);
    }
}
