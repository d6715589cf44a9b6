package dev.omnibus.tck;

import dev.omnibus.AckMode;
import dev.omnibus.Capability;
import dev.omnibus.PublishReceipt;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R16: many publisher threads and many subscriptions at once lose and corrupt nothing.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R16")
interface R16Concurrency {
    @Test
    default void R16_manyPublisherThreadsAndSubscriptionsLoseNothing(Kit kit) throws Exception {
        String t = kit.topic("r16");
        List<Recorder> fanOut = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Recorder r = kit.recorder();
            fanOut.add(r);
            kit.subscribe(SubscribeOptions.topic(t).concurrency(i + 1), r);
        }
        List<Recorder> group = new ArrayList<>();
        if (kit.caps().has(Capability.GROUPS)) {
            for (int i = 0; i < 2; i++) {
                Recorder r = kit.recorder();
                group.add(r);
                kit.subscribe(SubscribeOptions.topic(t).group("r16"), r);
            }
        }
        int threads = 8;
        int perThread = 200;
        ExecutorService pool = Kit.kitExecutor(threads);
        List<String> ids = new CopyOnWriteArrayList<>();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int th = 0; th < threads; th++) {
                int thread = th;
                done.add(pool.submit(() -> {
                    Publisher p = kit.bus().publisher();
                    List<CompletableFuture<PublishReceipt>> sent = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        String id = "r16-" + thread + "-" + i + "-" + UUID.randomUUID();
                        sent.add(p.publish(t, TestEvents.text(id, id)).toCompletableFuture());
                        ids.add(id);
                    }
                    sent.forEach(CompletableFuture::join);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(kit.harness().timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        for (int i = 0; i < fanOut.size(); i++) {
            Recorder r = fanOut.get(i);
            kit.await("subscription " + i + " receives all " + ids.size() + " concurrently published events")
                    .until(() -> r.hasAll(ids));
            for (Recorder.Seen s : r.all()) {
                assertThat(TestEvents.dataText(s.event)).as(kit.what("data of " + s.id())).isEqualTo(s.id());
            }
        }
        if (!group.isEmpty()) {
            kit.await("the group receives all events across members").until(() ->
                    group.stream().flatMap(r -> r.distinctIds().stream()).collect(Collectors.toSet())
                            .containsAll(ids));
        }
    }

    @Test
    default void R16_concurrentSettlingFromManyThreads(Kit kit) {
        String t = kit.topic("r16s");
        ScheduledExecutorService settlers = Kit.kitExecutor(4);
        try {
            Recorder r = new Recorder(d -> settlers.execute(() -> {
                d.ack();
                d.ack();
            }));
            Subscription s = kit.subscribe(SubscribeOptions.topic(t).ackMode(AckMode.MANUAL).concurrency(4)
                    .maxInFlight(16), r);
            List<CloudEvent> events = TestEvents.many("r16s", 300);
            kit.publishAll(t, events);
            kit.awaitAll(r, TestEvents.ids(events), "all events delivered while settled from other threads");
            kit.await("every delivery settled exactly once").until(() -> s.stats().acked() == r.size());
        } finally {
            settlers.shutdownNow();
        }
    }
}
