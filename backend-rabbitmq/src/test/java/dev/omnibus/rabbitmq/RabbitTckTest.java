package dev.omnibus.rabbitmq;

import dev.omnibus.tck.OmnibusTck;
import dev.omnibus.tck.TckHarness;

/** Runs the whole kit against a {@code rabbitmq-server} node of its own (default options). */
class RabbitTckTest extends OmnibusTck {
    @Override
    protected TckHarness createHarness() {
        return new RabbitHarness();
    }
}
