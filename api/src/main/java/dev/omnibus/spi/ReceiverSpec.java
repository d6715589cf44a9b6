package dev.omnibus.spi;

import dev.omnibus.OverflowPolicy;
import dev.omnibus.StartPosition;

import java.time.Duration;

/**
 * What a receiver must consume, derived from the user's {@link dev.omnibus.SubscribeOptions}; immutable.
 *
 * @param topic           a topic, or a wildcard pattern (only when the backend declared wildcards)
 * @param group           the group, or {@code null} for a subscription of its own
 * @param ackDeadline     how long a delivery may stay unsettled before the broker redelivers it
 * @param startPosition   where a new subscription or group starts
 * @param maxInFlight     the library never holds more unsettled messages than this: a good prefetch size
 * @param overflow        the overflow policy, or {@code null} for the backend's default
 * @param bufferCapacity  per-subscription buffer capacity, where the backend has one
 * @param deadLetterTopic for backends with native dead-lettering: where to, else {@code null}
 * @param maxAttempts     for native dead-lettering: deliveries before dead-lettering (0 when off)
 */
public record ReceiverSpec(String topic, String group, Duration ackDeadline, StartPosition startPosition,
                           int maxInFlight, OverflowPolicy overflow, int bufferCapacity, String deadLetterTopic,
                           int maxAttempts) {
}
