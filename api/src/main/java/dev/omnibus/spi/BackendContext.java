package dev.omnibus.spi;

import dev.omnibus.ConfigOption;
import dev.omnibus.ConnectionState;
import dev.omnibus.ReconnectPolicy;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the library hands a backend when it opens; thread-safe. Options are already parsed and validated.
 */
public interface BackendContext {
    /** The URL scheme. */
    String scheme();

    /**
     * The part of the URL between {@code ://} and {@code ?}:
     * {@code [user[:password]@]host[:port][,host[:port]...][/path]}. May contain a password: never log it; use
     * {@link #redactedUrl()} in messages.
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

    /**
     * The options under the provider's {@link BackendProvider#passThroughPrefix() pass-through prefix}, with the
     * prefix taken off, in name order; empty when it has none. Values may be secrets: never log them.
     */
    default Map<String, String> passThrough() {
        return Map.of();
    }

    /** Reports a connection-state change; the library fans it out to listeners. */
    void connectionState(ConnectionState state, Throwable cause);

    /** The library's shared scheduler, for short timer tasks only (never block on it). Stopped on close. */
    ScheduledExecutorService scheduler();

    /**
     * The broker is reachable again: every subscription whose receive loop is waiting out its retry backoff after a
     * failed {@code receive} calls {@code receive} now instead. The library does this itself when a reconnect is
     * reported; a driver may call it when it learns of reachability some other way before it can report the
     * reconnect (none does yet: on Google's emulator, calling it when the channel is READY made the kit's R18 fail
     * more often, see docs/backends/gcppubsub.md, Faults). Any thread; cheap; never blocks.
     */
    void receiveNow();
}
