package dev.omnibus.opentelemetry;

import dev.omnibus.instrument.Instrumentation;
import dev.omnibus.instrument.InstrumentationProvider;

/**
 * Turns {@link OmnibusTracing} on for every connection when this module is on the classpath, with
 * {@link io.opentelemetry.api.GlobalOpenTelemetry} once the application (or the OpenTelemetry Java agent) sets it;
 * stateless and thread-safe. Give {@code OmnibusTracing.of(openTelemetry)} in code to use another instance, or set
 * {@code instrumentation=none} to turn discovery off.
 */
public final class OpenTelemetryInstrumentationProvider implements InstrumentationProvider {
    @Override
    public String name() {
        return OmnibusTracing.NAME;
    }

    @Override
    public Instrumentation create() {
        return OmnibusTracing.global();
    }
}
