package dev.omnibus.nats;

import dev.omnibus.tck.OmnibusTck;
import dev.omnibus.tck.TckHarness;

/** Runs the whole kit against a {@code nats-server} child process over NATS core (at most once). */
class NatsTckTest extends OmnibusTck {
    @Override
    protected TckHarness createHarness() {
        return new NatsHarness("nats", "");
    }
}
