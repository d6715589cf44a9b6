package dev.omnibus.tck;

import dev.omnibus.Capability;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R17: after a broker restart mid-stream subscriptions resume unaided; at-least-once backends lose no event
 * whose publish completed and redeliver no acked one.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R17")
interface R17BrokerRestart {
    @Test
    default void R17_subscriptionResumesAfterABrokerRestart(Kit kit) throws Exception {
        kit.requiresRestart();
        String t = kit.topic("r17");
        Recorder r = kit.recorder();
        kit.subscribe(kit.caps().has(Capability.GROUPS) ? SubscribeOptions.topic(t).group("r17")
                : SubscribeOptions.topic(t), r);
        List<CloudEvent> before = TestEvents.many("r17-before", 10);
        kit.publishAll(t, before);
        kit.awaitAll(r, TestEvents.ids(before), "delivered before the restart");
        kit.harness().restartBroker();
        List<String> confirmed = new ArrayList<>();
        Publisher p = kit.bus().publisher();
        for (CloudEvent e : TestEvents.many("r17-after", 10)) {
            if (kit.publishWithRetry(p, t, e)) {
                confirmed.add(e.getId());
            }
        }
        assertThat(confirmed).as(kit.what("publishes confirmed after the broker came back")).isNotEmpty();
        if (kit.caps().has(Capability.AT_LEAST_ONCE)) {
            kit.awaitAll(r, confirmed, "every event confirmed after the restart is delivered");
        } else if (confirmed.stream().noneMatch(id -> r.count(id) > 0)) {
            kit.awaitReceiving(p, t, r, "the subscription receives again after the restart");
        }
    }

    @Test
    default void R17_noAckedEventIsRedeliveredAfterARestart(Kit kit) throws Exception {
        kit.requiresRestart();
        kit.requires(Capability.AT_LEAST_ONCE);
        kit.requires(Capability.DURABLE);
        kit.requires(Capability.GROUPS);
        String t = kit.topic("r17a");
        Recorder first = kit.recorder();
        Subscription s = kit.subscribe(SubscribeOptions.topic(t).group("r17a"), first);
        List<CloudEvent> events = TestEvents.many("r17a", 10);
        kit.publishAll(t, events);
        kit.awaitAll(first, TestEvents.ids(events), "delivered and acked before the restart");
        s.close(Duration.ofSeconds(10));
        kit.harness().restartBroker();
        Recorder second = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t).group("r17a"), second);
        CloudEvent marker = TestEvents.text("r17a-marker-" + UUID.randomUUID(), "marker");
        assertThat(kit.publishWithRetry(kit.bus().publisher(), t, marker)).as(kit.what("marker published")).isTrue();
        kit.await("marker delivered after the restart").until(() -> second.count(marker.getId()) > 0);
        assertThat(second.distinctIds()).as(kit.what("acked events redelivered after the restart"))
                .doesNotContainAnyElementsOf(TestEvents.ids(events));
    }
}
