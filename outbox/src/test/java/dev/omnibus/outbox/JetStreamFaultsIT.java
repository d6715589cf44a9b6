package dev.omnibus.outbox;

import dev.omnibus.nats.NatsHarness;
import org.junit.jupiter.api.BeforeAll;

/** {@link BrokerFaults} on JetStream: a {@code nats-server -js} child process with file storage. */
class JetStreamFaultsIT extends BrokerFaults {
    @BeforeAll
    static void start() throws Exception {
        NatsHarness jetstream = new NatsHarness("jetstream", "");
        startServers(jetstream, jetstream::killBroker, jetstream::startBroker);
    }
}
