package dev.omnibus.tck;

import dev.omnibus.AckMode;
import dev.omnibus.Capability;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R09: an event neither acked nor nacked is redelivered after the ack deadline, not before; a handler still
 * running keeps its event.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R09")
interface R09AckDeadline {
    @Test
    default void R09_anUnsettledEventIsRedeliveredAfterTheDeadline(Kit kit) {
        kit.requires(Capability.AT_LEAST_ONCE);
        Duration deadline = kit.harness().ackDeadline();
        String t = kit.topic("r09");
        Recorder r = new Recorder(d -> {
            if (d.attempt() > 1) {
                d.ack();
            }
        });
        kit.subscribe(SubscribeOptions.topic(t).ackMode(AckMode.MANUAL).ackDeadline(deadline), r);
        CloudEvent e = TestEvents.text("r09-" + UUID.randomUUID(), "x");
        kit.publish(t, e);
        kit.await("unsettled event redelivered after the ack deadline").until(() -> r.count(e.getId()) >= 2);
        List<Recorder.Seen> seen = r.of(e.getId());
        long afterMs = TimeUnit.NANOSECONDS.toMillis(seen.get(1).nanos - seen.get(0).nanos);
        assertThat(afterMs).as(kit.what("ms before redelivery with a deadline of " + deadline.toMillis() + "ms"))
                .isGreaterThanOrEqualTo(deadline.toMillis() * 9 / 10);
        assertThat(seen.get(1).attempt).as(kit.what("attempt of the redelivery")).isEqualTo(2);
    }

    /**
     * The broker's own deadline: a live subscription hands back what its handler left unsettled, so only a
     * member that stops holding an event (closed, or its process gone) shows whether the broker redelivers.
     */
    @Test
    default void R09_anEventLeftUnsettledByAClosedMemberGoesToTheGroupAfterTheDeadline(Kit kit) {
        kit.requires(Capability.AT_LEAST_ONCE);
        kit.requires(Capability.GROUPS);
        Duration deadline = kit.harness().ackDeadline();
        String t = kit.topic("r09c");
        Recorder left = kit.recorder();
        Subscription first = kit.subscribe(SubscribeOptions.topic(t).group("r09c").ackMode(AckMode.MANUAL)
                .ackDeadline(deadline), left);
        CloudEvent e = TestEvents.text("r09c-" + UUID.randomUUID(), "x");
        kit.publish(t, e);
        kit.await("delivered to the first member").until(() -> left.count(e.getId()) > 0);
        first.close(Duration.ZERO);
        Recorder next = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t).group("r09c").ackDeadline(deadline), next);
        Awaitility.await(kit.what("an event a closed member left unsettled is redelivered to the group after "
                + "the ack deadline of " + deadline.toMillis() + "ms")).atMost(deadline.plus(kit.harness().timeout()))
                .pollInterval(Duration.ofMillis(20)).until(() -> next.count(e.getId()) > 0);
    }

    @Test
    default void R09_aRunningHandlerKeepsItsEvent(Kit kit) {
        kit.requires(Capability.AT_LEAST_ONCE);
        Duration deadline = kit.harness().ackDeadline();
        String t = kit.topic("r09l");
        Recorder r = new Recorder(d -> Kit.work(deadline.multipliedBy(5).dividedBy(2)));
        kit.subscribe(SubscribeOptions.topic(t).ackDeadline(deadline).concurrency(2), r);
        CloudEvent e = TestEvents.text("r09l-" + UUID.randomUUID(), "x");
        kit.publish(t, e);
        kit.await("delivered").until(() -> r.size() >= 1);
        kit.assertStays("an event whose handler is still running is not redelivered (deadline extension)",
                deadline.multipliedBy(3), () -> r.count(e.getId()) == 1);
    }
}
