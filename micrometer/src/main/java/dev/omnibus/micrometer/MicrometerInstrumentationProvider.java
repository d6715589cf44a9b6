package dev.omnibus.micrometer;

import dev.omnibus.instrument.Instrumentation;
import dev.omnibus.instrument.InstrumentationProvider;
import io.micrometer.core.instrument.Metrics;

/**
 * Turns {@link OmnibusMetrics} on for every connection when this module is on the classpath, reporting to
 * {@link Metrics#globalRegistry} (where Spring Boot, for one, adds its registry); stateless and thread-safe. Give
 * {@code OmnibusMetrics.of(registry)} in code to use another registry, or set {@code instrumentation=none} to turn
 * discovery off.
 */
public final class MicrometerInstrumentationProvider implements InstrumentationProvider {
    private static final OmnibusMetrics GLOBAL = OmnibusMetrics.of(Metrics.globalRegistry);

    @Override
    public String name() {
        return OmnibusMetrics.NAME;
    }

    @Override
    public Instrumentation create() {
        return GLOBAL;
    }
}
