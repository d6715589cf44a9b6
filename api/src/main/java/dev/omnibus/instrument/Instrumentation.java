package dev.omnibus.instrument;

/**
 * Turns what Omnibus does into metrics, traces or logs; implementations must be thread-safe, as one instance may
 * serve several connections at once. The portable layer calls it, so it sees the same events on every backend.
 *
 * <p>{@link #open(BusInfo)} is called once per {@link dev.omnibus.Omnibus} connection as it opens; the returned
 * {@link BusObserver} then hears about that connection's publishes, subscriptions and connection-state changes.
 * Enable an instrumentation in code with {@link dev.omnibus.Config.Builder#instrumentation(Instrumentation)}, or
 * put a module that registers an {@link InstrumentationProvider} on the classpath (see the {@code instrumentation}
 * option).
 *
 * <p>Observers run on the library's threads, on the hot path: they must be quick and must not block. An exception
 * thrown by an observer is logged (at most once per observer method) and otherwise ignored: instrumentation never
 * fails a publish or a delivery.
 */
public interface Instrumentation {
    /**
     * A short name ({@code micrometer}, {@code opentelemetry}) naming it in the {@code instrumentation} option and
     * in logs: 1 to 64 characters of {@code a-z 0-9 - _ .}.
     */
    String name();

    /**
     * A connection opened; returns what observes it ({@link BusObserver#NONE} to ignore it).
     *
     * @param bus the connection: its backend and state
     */
    BusObserver open(BusInfo bus);
}
