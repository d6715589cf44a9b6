package dev.omnibus.instrument;

import dev.omnibus.Capabilities;
import dev.omnibus.ConnectionState;

/** The connection an {@link Instrumentation} observes; thread-safe. */
public interface BusInfo {
    /** The backend's name ({@code memory}, {@code redis-streams}, ...): the {@code backend} tag of every meter. */
    String backend();

    /** The connection URL with secrets masked: safe for logs and span attributes. */
    String redactedUrl();

    /** What the backend can do. */
    Capabilities capabilities();

    /** The connection's current state. */
    ConnectionState connectionState();
}
