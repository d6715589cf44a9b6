package dev.omnibus.jetstream;

import dev.omnibus.nats.NatsHarness;
import dev.omnibus.tck.OmnibusTck;
import dev.omnibus.tck.TckHarness;

/** Runs the whole kit against a {@code nats-server -js} child process over JetStream (file storage). */
class JetStreamTckTest extends OmnibusTck {
    @Override
    protected TckHarness createHarness() {
        return new NatsHarness("jetstream", "");
    }
}
