package dev.omnibus.instrument;

/**
 * Supplies an {@link Instrumentation} found on the classpath by {@link java.util.ServiceLoader}; implementations
 * must be thread-safe and have a public no-argument constructor (register them in
 * {@code META-INF/services/dev.omnibus.instrument.InstrumentationProvider}).
 *
 * <p>With the {@code instrumentation} option at its default {@code auto}, every provider found is used; a list of
 * names picks some; {@code none} turns discovery off. An instrumentation given in code under the same name
 * replaces the discovered one.
 */
public interface InstrumentationProvider {
    /** The name of the instrumentation it creates; the same rules as {@link Instrumentation#name()}. */
    String name();

    /**
     * The instrumentation with its defaults (the global meter registry, the global OpenTelemetry, ...). Called at
     * most once per connection.
     *
     * @throws RuntimeException if it cannot be created; the connection then fails with a
     *                          {@link dev.omnibus.ConfigException} naming the provider
     */
    Instrumentation create();
}
