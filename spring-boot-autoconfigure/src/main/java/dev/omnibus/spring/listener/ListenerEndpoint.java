package dev.omnibus.spring.listener;

import dev.omnibus.SubscribeOptions;

import java.util.Objects;

/**
 * One {@link OmnibusListener} method, resolved and checked: what to subscribe to, on which connection, and the method
 * to call. Immutable and thread-safe.
 *
 * @param id         {@code <bean name>.<method name>}, naming the listener in logs and health details
 * @param connection the connection's name under {@code omnibus.connections}, or empty for {@code omnibus.url}'s
 * @param options    the subscription's options, placeholders resolved
 * @param method     calls the method
 */
public record ListenerEndpoint(String id, String connection, SubscribeOptions options, ListenerMethod method) {
    /** Checks that nothing is null. */
    public ListenerEndpoint {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(method, "method");
    }
}
