package dev.omnibus.tck;

import dev.omnibus.Capability;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

/**
 * R03: subscriptions without a shared group each get every event.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R03")
interface R03FanOut {
    @Test
    default void R03_everySubscriptionWithoutAGroupGetsEveryEvent(Kit kit) {
        String t = kit.topic("r03");
        List<Recorder> rs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Recorder r = kit.recorder();
            rs.add(r);
            kit.subscribe(SubscribeOptions.topic(t), r);
        }
        List<CloudEvent> events = TestEvents.many("r03", 20);
        kit.publishAll(t, events);
        for (int i = 0; i < rs.size(); i++) {
            kit.awaitAll(rs.get(i), TestEvents.ids(events), "subscription " + i + " receives every event");
        }
    }

    @Test
    default void R03_differentGroupsEachGetEveryEvent(Kit kit) {
        kit.requires(Capability.GROUPS);
        String t = kit.topic("r03g");
        Recorder a = kit.recorder();
        Recorder b = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t).group("alpha"), a);
        kit.subscribe(SubscribeOptions.topic(t).group("beta"), b);
        List<CloudEvent> events = TestEvents.many("r03g", 20);
        kit.publishAll(t, events);
        kit.awaitAll(a, TestEvents.ids(events), "group alpha receives every event");
        kit.awaitAll(b, TestEvents.ids(events), "group beta receives every event");
    }
}
