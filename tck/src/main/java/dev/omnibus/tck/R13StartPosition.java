package dev.omnibus.tck;

import dev.omnibus.Capability;
import dev.omnibus.StartPosition;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R13: EARLIEST replays retained events; LATEST sees only new ones; a time replays from that time.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R13")
interface R13StartPosition {
    @Test
    default void R13_earliestReplaysRetainedEvents(Kit kit) {
        kit.requires(Capability.REPLAY);
        String t = kit.topic("r13e");
        List<CloudEvent> events = TestEvents.many("r13e", 5);
        kit.publishAll(t, events);
        Recorder r = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t).startAt(StartPosition.earliest()), r);
        kit.awaitAll(r, TestEvents.ids(events), "EARLIEST replays events published before subscribing");
    }

    @Test
    default void R13_latestSeesOnlyNewEvents(Kit kit) {
        String t = kit.topic("r13l");
        List<CloudEvent> old = TestEvents.many("r13l-old", 3);
        kit.publishAll(t, old);
        Recorder r = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t), r);
        List<CloudEvent> fresh = TestEvents.many("r13l-new", 3);
        kit.publishAll(t, fresh);
        kit.awaitAll(r, TestEvents.ids(fresh), "LATEST receives events published after subscribing");
        kit.assertStays("LATEST does not replay older events", Duration.ofMillis(300), () -> r.size() == 3);
    }

    @Test
    default void R13_aPointInTimeReplaysFromThatTime(Kit kit) {
        kit.requires(Capability.REPLAY);
        String t = kit.topic("r13t");
        CloudEvent before = TestEvents.text("r13t-before-" + UUID.randomUUID(), "before");
        kit.publish(t, before);
        Instant cut = Instant.now().plusMillis(20);
        kit.await("clock passes the cut").until(() -> Instant.now().isAfter(cut.plusMillis(20)));
        CloudEvent after = TestEvents.text("r13t-after-" + UUID.randomUUID(), "after");
        kit.publish(t, after);
        Recorder r = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t).startAt(StartPosition.at(cut)), r);
        kit.await("replay from a time delivers the event published after it").until(() -> r.count(after.getId()) > 0);
        assertThat(r.distinctIds()).as(kit.what("replay from a time must skip earlier events"))
                .doesNotContain(before.getId());
    }
}
