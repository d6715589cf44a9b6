package dev.omnibus.kafka;

import dev.omnibus.tck.OmnibusTck;
import dev.omnibus.tck.TckHarness;

/** Runs the whole kit against a single-node KRaft broker in a child JVM, topics with two partitions. */
class KafkaTckTest extends OmnibusTck {
    @Override
    protected TckHarness createHarness() {
        return new KafkaHarness();
    }
}
