package dev.omnibus.instrument;

import dev.omnibus.ConnectionState;
import dev.omnibus.Subscription;

/**
 * Observes one connection: its publishes, subscriptions and state; thread-safe, as publishes and subscriptions run
 * on many threads. Every method has a no-op default.
 */
public interface BusObserver {
    /** Observes nothing. */
    BusObserver NONE = new BusObserver() {
    };

    /**
     * A valid event is about to be sent (not called for publishes refused by validation, which throw to the caller,
     * nor for the library's own dead-letter publishes, see {@link SubscriptionObserver#deadLettered}). May replace
     * the event in {@code publish}.
     *
     * @return what hears the outcome: {@link PublishObserver#NONE} when not interested
     */
    default PublishObserver publishing(PublishContext publish) {
        return PublishObserver.NONE;
    }

    /**
     * A subscription started. {@code subscription} gives its options (topic, group), its
     * {@linkplain Subscription#stats() counters} and its {@linkplain Subscription#lag() lag}; the returned observer
     * hears about each delivery.
     */
    default SubscriptionObserver subscribed(Subscription subscription) {
        return SubscriptionObserver.NONE;
    }

    /** The connection's state changed; {@code cause} is the error behind a loss of connection, if known. */
    default void connectionStateChanged(ConnectionState state, Throwable cause) {
    }

    /** The connection closed; nothing more is reported. */
    default void closed() {
    }
}
