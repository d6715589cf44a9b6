package dev.omnibus.tck;

import dev.omnibus.Capability;
import dev.omnibus.Extensions;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R05: events with the same partition key arrive in publish order.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R05")
interface R05Ordering {
    @Test
    default void R05_sameKeyArrivesInPublishOrder(Kit kit) {
        assertPerKeyOrder(kit, 1);
    }

    @Test
    default void R05_orderHoldsWithConcurrentHandlers(Kit kit) {
        assertPerKeyOrder(kit, 4);
    }

    private void assertPerKeyOrder(Kit kit, int concurrency) {
        kit.requires(Capability.ORDERING);
        String t = kit.topic("r05");
        Recorder r = new Recorder(d -> Kit.work(Duration.ofMillis(d.event().getId().hashCode() & 1)));
        kit.subscribe(SubscribeOptions.topic(t).concurrency(concurrency), r);
        List<CloudEvent> events = new ArrayList<>();
        String run = UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < 50; i++) {
            for (String key : List.of("k1", "k2", "k3", "k4")) {
                events.add(TestEvents.keyed("r05-" + run + "-" + key + "-" + i, key, i));
            }
        }
        kit.publishAll(t, events);
        kit.awaitAll(r, TestEvents.ids(events), "all keyed events delivered");
        Map<String, List<Integer>> perKey = new LinkedHashMap<>();
        for (Recorder.Seen s : r.all()) {
            if (s.attempt == 1) {
                perKey.computeIfAbsent(String.valueOf(s.event.getExtension(Extensions.PARTITION_KEY)),
                        k -> new ArrayList<>()).add(Integer.parseInt(Kit.canonical(s.event.getExtension("seq"))));
            }
        }
        for (Map.Entry<String, List<Integer>> e : perKey.entrySet()) {
            assertThat(e.getValue()).as(kit.what("order of key " + e.getKey() + " with concurrency "
                    + concurrency)).isSorted();
        }
    }
}
