package dev.omnibus.spring.listener;

import dev.omnibus.OmnibusException;

import java.util.Optional;

/**
 * A snapshot of one listener's subscription, for health checks. Immutable.
 *
 * @param id         {@code <bean name>.<method name>}
 * @param connection the connection's name (empty: the primary one)
 * @param topic      the topic or pattern
 * @param group      the group, or {@code null}
 * @param state      where the subscription is
 * @param failure    why it ended, when it ended by an error
 */
public record ListenerStatus(String id, String connection, String topic, String group, State state,
                             Optional<OmnibusException> failure) {
    /** Where a listener's subscription is. */
    public enum State {
        /** Not subscribed yet: the context has not started, or the container was stopped. */
        STOPPED,
        /** Subscribed and receiving. */
        ACTIVE,
        /** Ended by an error while the container was running ({@link ListenerStatus#failure()} says why). */
        FAILED
    }
}
