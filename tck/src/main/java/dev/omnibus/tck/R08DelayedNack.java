package dev.omnibus.tck;

import dev.omnibus.AckMode;
import dev.omnibus.Capability;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R08: a delayed nack is not redelivered before its delay; other events keep flowing meanwhile.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R08")
interface R08DelayedNack {
    @Test
    default void R08_delayedNackIsNotRedeliveredBeforeItsDelay(Kit kit) {
        kit.requires(Capability.DELAYED_NACK);
        Duration delay = Duration.ofMillis(1500);
        String t = kit.topic("r08");
        AtomicReference<Long> nackedAt = new AtomicReference<>();
        Recorder r = new Recorder(d -> {
            if (d.attempt() == 1) {
                nackedAt.set(System.nanoTime());
                d.nack(delay);
            } else {
                d.ack();
            }
        });
        kit.subscribe(SubscribeOptions.topic(t).ackMode(AckMode.MANUAL), r);
        CloudEvent e = TestEvents.text("r08-" + UUID.randomUUID(), "x");
        kit.publish(t, e);
        kit.await("event redelivered after its nack delay").until(() -> r.count(e.getId()) >= 2);
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(r.of(e.getId()).get(1).nanos - nackedAt.get());
        assertThat(waitedMs).as(kit.what("ms between nack(" + delay.toMillis() + "ms) and redelivery"))
                .isGreaterThanOrEqualTo(delay.toMillis() - 50);
    }

    @Test
    default void R08_otherEventsFlowDuringTheDelay(Kit kit) {
        kit.requires(Capability.DELAYED_NACK);
        String t = kit.topic("r08o");
        Recorder r = new Recorder(d -> {
            if (d.event().getId().startsWith("r08o-slow") && d.attempt() == 1) {
                d.nack(Duration.ofSeconds(2));
            } else {
                d.ack();
            }
        });
        kit.subscribe(SubscribeOptions.topic(t).ackMode(AckMode.MANUAL), r);
        String slow = "r08o-slow-" + UUID.randomUUID();
        String fast = "r08o-fast-" + UUID.randomUUID();
        kit.publish(t, TestEvents.text(slow, "x"));
        kit.await("first delivery").until(() -> r.count(slow) >= 1);
        kit.publish(t, TestEvents.text(fast, "y"));
        kit.await("the delayed event comes back").until(() -> r.count(slow) >= 2);
        List<String> order = r.ids();
        assertThat(order.indexOf(fast)).as(kit.what("an event published during another's nack delay is "
                + "delivered before the delayed redelivery")).isLessThan(order.lastIndexOf(slow));
    }
}
