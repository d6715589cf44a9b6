package dev.omnibus.spi;

import dev.omnibus.ConfigOption;
import dev.omnibus.ConnectionState;
import dev.omnibus.ReconnectPolicy;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the library hands a backend when it opens; thread-safe. Options are already parsed and validated.
 */
public interface BackendContext {
    /** The URL scheme. */
    String scheme();

    /**
     * The part of the URL between {@code ://} and {@code ?}: {@code [user[:password]@]host[:port][,host[:port]...][/path]}.
     * May contain a password: never log it; use {@link #redactedUrl()} in messages.
     */
    String address();

    /** The URL with secrets masked, for messages and logs. */
    String redactedUrl();

    /** The resolved value of {@code option} (its default when no source set it). */
    <T> T get(ConfigOption<T> option);

    /**
     * The {@code publish.timeout} option: the library fails a publish not confirmed by then, so a client's own
     * command or delivery timeout should not be longer.
     */
    Duration publishTimeout();

    /** The shared reconnect policy, to configure the client's own reconnect. */
    ReconnectPolicy reconnectPolicy();

    /** Reports a connection-state change; the library fans it out to listeners. */
    void connectionState(ConnectionState state, Throwable cause);

    /** The library's shared scheduler, for short timer tasks only (never block on it). Stopped on close. */
    ScheduledExecutorService scheduler();
}
