package dev.omnibus.tck;

import dev.omnibus.Capability;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R14: a second publish of the same event id is dropped.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R14")
interface R14Dedup {
    @Test
    default void R14_aSecondPublishOfTheSameIdIsDropped(Kit kit) {
        kit.requires(Capability.DEDUP);
        String t = kit.topic("r14");
        Recorder r = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t), r);
        String id = "r14-" + UUID.randomUUID();
        kit.publish(t, TestEvents.text(id, "first"));
        kit.publish(t, TestEvents.text(id, "second"));
        CloudEvent marker = TestEvents.text("r14-marker-" + UUID.randomUUID(), "marker");
        kit.publish(t, marker);
        kit.await("marker delivered").until(() -> r.count(marker.getId()) > 0);
        assertThat(r.count(id)).as(kit.what("deliveries of an id published twice")).isEqualTo(1);
        assertThat(TestEvents.dataText(r.of(id).get(0).event)).as(kit.what("the first publish wins"))
                .isEqualTo("first");
    }

    @Test
    default void R14_differentIdsAreNotDropped(Kit kit) {
        kit.requires(Capability.DEDUP);
        String t = kit.topic("r14d");
        Recorder r = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t), r);
        List<CloudEvent> events = TestEvents.many("r14d", 10);
        kit.publishAll(t, events);
        kit.awaitAll(r, TestEvents.ids(events), "distinct ids all delivered");
    }
}
