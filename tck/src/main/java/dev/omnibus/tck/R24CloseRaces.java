package dev.omnibus.tck;

import dev.omnibus.AckMode;
import dev.omnibus.Capability;
import dev.omnibus.Delivery;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * R24: close from inside a handler, and close under concurrent acks, have a defined outcome: close from a
 * handler returns at once without waiting on itself and that handler's delivery is still settled; acks that
 * returned {@code true} while close ran are never redelivered, the others are not lost.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R24")
interface R24CloseRaces {
    @Test
    default void R24_closeFromInsideAHandlerReturnsAndSettlesThatDelivery(Kit kit) {
        String t = kit.topic("r24h");
        String group = kit.caps().has(Capability.GROUPS) ? "r24h" : null;
        AtomicReference<Subscription> self = new AtomicReference<>();
        AtomicReference<Boolean> returned = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(1);
        Recorder r = new Recorder(d -> {
            if (returned.get() == null) {
                ready.await(10, TimeUnit.SECONDS);
                long start = System.nanoTime();
                boolean result = self.get().close(Duration.ofSeconds(5));
                if (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2)) {
                    returned.set(result);
                }
            }
        });
        SubscribeOptions o = SubscribeOptions.topic(t).ackDeadline(Duration.ofSeconds(1));
        Subscription s = kit.subscribe(group == null ? o : o.group(group), r);
        self.set(s);
        ready.countDown();
        CloudEvent e = TestEvents.text("r24h-" + UUID.randomUUID(), "x");
        kit.publish(t, e);
        kit.await("close called from the handler returns within 2 s (does it wait on itself?)")
                .until(() -> returned.get() != null);
        kit.await("the subscription closed from its handler is no longer active").until(() -> !s.isActive());
        if (group != null && kit.caps().has(Capability.AT_LEAST_ONCE)) {
            Recorder next = kit.recorder();
            kit.subscribe(SubscribeOptions.topic(t).group(group).ackDeadline(Duration.ofSeconds(1)), next);
            CloudEvent marker = TestEvents.text("r24h-marker-" + UUID.randomUUID(), "m");
            kit.publish(t, marker);
            kit.await("the group's next member receives").until(() -> next.count(marker.getId()) > 0);
            kit.assertStays("the event whose handler closed the subscription was acked, not redelivered",
                    Duration.ofSeconds(2), () -> next.count(e.getId()) == 0);
        }
    }

    @Test
    default void R24_acksDuringCloseAreKeptOrLeftButNeverLost(Kit kit) throws Exception {
        kit.requires(Capability.AT_LEAST_ONCE);
        kit.requires(Capability.GROUPS);
        String t = kit.topic("r24a");
        List<Delivery> held = new CopyOnWriteArrayList<>();
        Recorder first = new Recorder(held::add);
        Duration deadline = Duration.ofSeconds(10);
        Subscription s = kit.subscribe(SubscribeOptions.topic(t).group("r24a").ackMode(AckMode.MANUAL)
                .maxInFlight(200).ackDeadline(deadline), first);
        List<CloudEvent> events = TestEvents.many("r24a", 120);
        kit.publishAll(t, events);
        kit.awaitAll(first, TestEvents.ids(events), "delivered and held unsettled");
        Set<String> ackedTrue = ConcurrentHashMap.newKeySet();
        ScheduledExecutorService acker = Kit.kitExecutor(1);
        try {
            Future<?> acking = acker.submit(() -> {
                for (Delivery d : held) {
                    if (d.ack()) {
                        ackedTrue.add(d.event().getId());
                    }
                }
            });
            s.close(Duration.ofSeconds(5));
            acking.get(kit.harness().timeout().toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            acker.shutdownNow();
        }
        Recorder second = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t).group("r24a").ackDeadline(deadline), second);
        Set<String> left = new HashSet<>(TestEvents.ids(events));
        left.removeAll(ackedTrue);
        // the broker may keep what close left unsettled until its deadline passes
        Awaitility.await(kit.what(left.size() + " events not acked before close are delivered to the next "
                + "member")).atMost(deadline.plus(kit.harness().timeout())).pollInterval(Duration.ofMillis(20))
                .until(() -> second.hasAll(left));
        kit.assertStays("events whose ack returned true during close are not redelivered",
                Duration.ofSeconds(2), () -> second.distinctIds().stream().noneMatch(ackedTrue::contains));
    }
}
