package dev.omnibus.redis;

import dev.omnibus.tck.OmnibusTck;
import dev.omnibus.tck.TckHarness;

/** Runs the whole kit against a {@code redis-server} child process. */
class RedisTckTest extends OmnibusTck {
    @Override
    protected TckHarness createHarness() {
        return new RedisHarness();
    }
}
