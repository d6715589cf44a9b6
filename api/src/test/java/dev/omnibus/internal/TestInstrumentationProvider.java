package dev.omnibus.internal;

import dev.omnibus.instrument.BusInfo;
import dev.omnibus.instrument.BusObserver;
import dev.omnibus.instrument.Instrumentation;
import dev.omnibus.instrument.InstrumentationProvider;

/** A discoverable instrumentation named {@code recording} for the option-resolution tests; its create can fail. */
public final class TestInstrumentationProvider implements InstrumentationProvider {
    /** When set, {@link #create()} throws (for the failure test; reset it afterwards). */
    static volatile boolean failing;

    @Override
    public String name() {
        return "recording";
    }

    @Override
    public Instrumentation create() {
        if (failing) {
            throw new IllegalStateException("no registry configured");
        }
        return new Named("recording");
    }

    /** An instrumentation that observes nothing, under a given name. */
    record Named(String name) implements Instrumentation {
        @Override
        public BusObserver open(BusInfo bus) {
            return BusObserver.NONE;
        }
    }
}
