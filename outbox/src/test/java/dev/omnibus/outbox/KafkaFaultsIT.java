package dev.omnibus.outbox;

import dev.omnibus.kafka.KafkaHarness;
import org.junit.jupiter.api.BeforeAll;

/** {@link BrokerFaults} on Kafka: a single-node KRaft broker in a child JVM (the backend's harness). */
class KafkaFaultsIT extends BrokerFaults {
    @BeforeAll
    static void start() throws Exception {
        KafkaHarness kafka = new KafkaHarness();
        startServers(kafka, kafka::killBroker, kafka::startBroker);
    }
}
