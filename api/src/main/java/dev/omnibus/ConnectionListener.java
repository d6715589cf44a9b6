package dev.omnibus;

/**
 * Receives connection-state changes. Called on a library or client thread, one call at a time per
 * {@link Omnibus}; implementations must be quick and must not block. Exceptions thrown are logged and ignored.
 */
@FunctionalInterface
public interface ConnectionListener {
    /** The connection moved to {@code state}; {@code cause} is the error behind a disconnect, or {@code null}. */
    void onStateChange(ConnectionState state, Throwable cause);
}
