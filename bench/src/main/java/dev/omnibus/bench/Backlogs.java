package dev.omnibus.bench;

import dev.omnibus.AckMode;
import dev.omnibus.DeliveryHandler;
import dev.omnibus.Omnibus;
import dev.omnibus.StartPosition;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.SubscriptionStats;

import java.time.Duration;

/**
 * The Omnibus side of the broker benchmarks' consume measurements, the same for every broker: a group subscription
 * that reads a prefilled backlog from its start, and the check after it. Stateless and thread-safe.
 */
final class Backlogs {
    private Backlogs() {
    }

    /** Subscribes {@code handler} in {@code group} at the earliest event: AUTO ack, concurrency 1. */
    static Subscription subscribe(Omnibus bus, String topic, String group, int maxInFlight, DeliveryHandler handler) {
        return bus.subscriber().subscribe(SubscribeOptions.topic(topic).group(group).startAt(StartPosition.earliest())
                .ackMode(AckMode.AUTO).concurrency(1).maxInFlight(maxInFlight), handler);
    }

    /**
     * Collects the garbage an invocation's set-up left (writing a backlog of tens of thousands of events makes
     * plenty) before the measured part, so that a young collection it caused does not land, for one side and not
     * the other, inside a measurement of a few tens of milliseconds.
     */
    static void collectSetUpGarbage() {
        System.gc();
    }

    /**
     * Closes {@code subscription} (which sends its last acks) and fails unless it delivered and acked exactly
     * {@code events} events without failing.
     */
    static void closeAndRequireAllAcked(Subscription subscription, int events) {
        subscription.close(Duration.ofSeconds(10));
        SubscriptionStats stats = subscription.stats();
        if (subscription.failure().isPresent() || stats.acked() != events || stats.delivered() != events) {
            throw new IllegalStateException("subscription misbehaved: " + stats, subscription.failure().orElse(null));
        }
    }
}
