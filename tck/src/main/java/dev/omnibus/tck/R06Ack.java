package dev.omnibus.tck;

import dev.omnibus.AckMode;
import dev.omnibus.Capability;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R06: acked events are not redelivered, also after the subscriber restarts; unacked ones are.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R06")
interface R06Ack {
    @Test
    default void R06_ackedEventsAreNotRedelivered(Kit kit) {
        kit.requires(Capability.AT_LEAST_ONCE);
        String t = kit.topic("r06");
        Recorder r = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t).ackDeadline(kit.harness().ackDeadline()), r);
        List<CloudEvent> events = TestEvents.many("r06", 10);
        kit.publishAll(t, events);
        kit.awaitAll(r, TestEvents.ids(events), "all events delivered");
        kit.assertStays("acked events stay acked past the ack deadline (no redelivery)",
                kit.harness().ackDeadline().multipliedBy(2), () -> r.size() == 10);
    }

    @Test
    default void R06_ackedEventsStayAckedAfterTheSubscriberRestarts(Kit kit) {
        kit.requires(Capability.AT_LEAST_ONCE);
        kit.requires(Capability.GROUPS);
        String t = kit.topic("r06r");
        Recorder first = kit.recorder();
        Subscription s = kit.subscribe(SubscribeOptions.topic(t).group("g"), first);
        List<CloudEvent> events = TestEvents.many("r06r", 10);
        kit.publishAll(t, events);
        kit.awaitAll(first, TestEvents.ids(events), "all events delivered to the first subscriber");
        s.close(Duration.ofSeconds(10));
        Recorder second = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t).group("g"), second);
        CloudEvent marker = TestEvents.text("r06r-marker-" + UUID.randomUUID(), "marker");
        kit.publish(t, marker);
        kit.await("the restarted subscriber receives a new event").until(() -> second.count(marker.getId()) > 0);
        assertThat(second.distinctIds()).as(kit.what("events acked before the restart were redelivered"))
                .doesNotContainAnyElementsOf(TestEvents.ids(events));
    }

    @Test
    default void R06_unackedEventsGoToTheRestartedGroup(Kit kit) {
        kit.requires(Capability.AT_LEAST_ONCE);
        kit.requires(Capability.GROUPS);
        String t = kit.topic("r06u");
        List<CloudEvent> events = TestEvents.many("r06u", 6);
        Set<String> acked = new HashSet<>(TestEvents.ids(events).subList(0, 3));
        Recorder first = new Recorder(d -> {
            if (acked.contains(d.event().getId())) {
                d.ack();
            }
        });
        Subscription s = kit.subscribe(SubscribeOptions.topic(t).group("g").ackMode(AckMode.MANUAL), first);
        kit.publishAll(t, events);
        kit.awaitAll(first, TestEvents.ids(events), "all events delivered to the first subscriber");
        s.close(Duration.ofSeconds(10));
        Recorder second = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t).group("g").ackDeadline(kit.harness().ackDeadline()), second);
        List<String> unacked = TestEvents.ids(events).subList(3, 6);
        kit.awaitAll(second, unacked, "events left unacked are redelivered to the group after a restart");
        assertThat(second.distinctIds()).as(kit.what("acked events redelivered")).doesNotContainAnyElementsOf(acked);
    }

    @Test
    default void R06_manualAckFromAnotherThreadSticks(Kit kit) {
        kit.requires(Capability.AT_LEAST_ONCE);
        String t = kit.topic("r06m");
        ScheduledExecutorService acker = Kit.kitExecutor(2);
        try {
            Recorder r = new Recorder(d -> acker.execute(d::ack));
            kit.subscribe(SubscribeOptions.topic(t).ackMode(AckMode.MANUAL).ackDeadline(kit.harness().ackDeadline()),
                    r);
            List<CloudEvent> events = TestEvents.many("r06m", 10);
            kit.publishAll(t, events);
            kit.awaitAll(r, TestEvents.ids(events), "all events delivered");
            kit.assertStays("events acked from another thread are not redelivered",
                    kit.harness().ackDeadline().multipliedBy(2), () -> r.size() == 10);
        } finally {
            acker.shutdownNow();
        }
    }
}
