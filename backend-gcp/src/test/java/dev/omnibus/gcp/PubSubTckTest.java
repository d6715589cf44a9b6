package dev.omnibus.gcp;

import dev.omnibus.tck.OmnibusTck;
import dev.omnibus.tck.TckHarness;

/** Runs the whole kit against Google's Pub/Sub emulator (a child JVM), through the real google-cloud-pubsub client. */
class PubSubTckTest extends OmnibusTck {
    @Override
    protected TckHarness createHarness() {
        return new PubSubEmulator();
    }
}
