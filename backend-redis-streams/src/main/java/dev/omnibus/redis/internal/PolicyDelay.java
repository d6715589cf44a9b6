package dev.omnibus.redis.internal;

import dev.omnibus.ReconnectPolicy;
import io.lettuce.core.resource.Delay;

import java.time.Duration;

/** Lettuce's reconnect delay computed by the shared jittered {@link ReconnectPolicy}; thread-safe. */
final class PolicyDelay extends Delay {
    private final ReconnectPolicy policy;

    PolicyDelay(ReconnectPolicy policy) {
        this.policy = policy;
    }

    @Override
    public Duration createDelay(long attempt) {
        return policy.delay((int) Math.min(Integer.MAX_VALUE, Math.max(1, attempt)));
    }
}
