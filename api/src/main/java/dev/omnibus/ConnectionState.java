package dev.omnibus;

/** The state of a backend's connection, reported the same way on every backend. */
public enum ConnectionState {
    /** Connected for the first time. */
    CONNECTED,
    /** The connection was lost; the backend is reconnecting with the shared backoff. */
    DISCONNECTED,
    /** The connection is back after a loss; subscriptions resume by themselves. */
    RECONNECTED,
    /** Closed by the user; final. */
    CLOSED
}
