package dev.omnibus.bench;

/**
 * A broker started for a latency comparison and the two clients on it: the raw client ({@code null} where there is
 * none, as for the in-process broker) and Omnibus. {@link #close()} closes the clients, then stops the broker. Not
 * thread-safe.
 *
 * @param name    the backend's label in the report
 * @param raw     the raw client, or {@code null}
 * @param omnibus the Omnibus client
 * @param broker  stops the broker
 */
record LatencyBackend(String name, LatencyClient raw, LatencyClient omnibus, Stopper broker) implements AutoCloseable {
    /** Stops a broker. */
    @FunctionalInterface
    interface Stopper {
        void stop() throws Exception;
    }

    /** Makes a client. */
    @FunctionalInterface
    interface ClientFactory {
        LatencyClient create() throws Exception;
    }

    /**
     * Makes both clients for a started broker; if either fails, closes what was made and stops the broker before
     * rethrowing, so a failed set-up leaves no process behind.
     *
     * @param raw the raw client's factory, or {@code null} for none
     */
    static LatencyBackend open(String name, Stopper broker, ClientFactory raw, ClientFactory omnibus)
            throws Exception {
        LatencyClient r = null;
        try {
            r = raw == null ? null : raw.create();
            return new LatencyBackend(name, r, omnibus.create(), broker);
        } catch (Exception | Error e) {
            try {
                if (r != null) {
                    r.close();
                }
            } finally {
                broker.stop();
            }
            throw e;
        }
    }

    @Override
    public void close() throws Exception {
        try (LatencyClient r = raw; LatencyClient o = omnibus) {
            // both closed by try-with-resources, Omnibus first
        } finally {
            broker.stop();
        }
    }
}
