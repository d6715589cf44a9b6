package dev.omnibus.tck;

import dev.omnibus.AckMode;
import dev.omnibus.Capability;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R25: nothing failed or left unsettled stalls a subscription, whatever the backend declares. Several times as many
 * deliveries as {@code maxInFlight} fail, or are left unsettled in MANUAL mode, and the events after them are still
 * delivered; on an at-least-once backend the failed ones come again. No capability skips this rule: a backend
 * without a nack is settled by the library (see the SPI's call contract), and a driver that frees its broker's
 * in-flight window only on ack stalls here.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R25")
interface R25NeverStalls {
    /** The subscriptions' {@code maxInFlight}: small, so a leaked slot shows after a few failures. */
    int WINDOW = 2;
    /** How many windows' worth of deliveries fail or are left unsettled. */
    int WINDOWS_SPOILT = 3;

    @Test
    default void R25_deliveriesWhoseHandlerThrowsNeverStallTheSubscription(Kit kit) {
        String t = kit.topic("r25f");
        String failing = "r25f-fail";
        // each failing event throws on its first delivery only: on a backend that redelivers, an event that always
        // failed would come back for ever and prove nothing about the slots
        Recorder r = new Recorder(d -> {
            if (d.event().getId().startsWith(failing) && d.attempt() == 1) {
                throw new IllegalStateException("R25: fails its first delivery");
            }
        });
        Subscription s = kit.subscribe(SubscribeOptions.topic(t).maxInFlight(WINDOW)
                .ackDeadline(kit.harness().ackDeadline())
                .retryBackoff(Duration.ofMillis(50), Duration.ofMillis(100)), r);
        List<CloudEvent> spoilt = TestEvents.many(failing, spoilt(kit));
        kit.publishAll(t, spoilt);
        CloudEvent after = TestEvents.text("r25f-after-" + UUID.randomUUID(), "x");
        kit.publish(t, after);
        awaitAfter(kit, s, r, after, spoilt.size() + " deliveries whose handler threw (" + windows(kit) + ")");
        if (kit.caps().has(Capability.AT_LEAST_ONCE)) {
            awaitRedelivered(kit, r, spoilt, "failed");
        }
    }

    @Test
    default void R25_manualDeliveriesLeftUnsettledNeverStallTheSubscription(Kit kit) {
        String t = kit.topic("r25m");
        String held = "r25m-held";
        Recorder r = new Recorder(d -> {
            if (!d.event().getId().startsWith(held) || d.attempt() > 1) {
                d.ack();
            }
            // else: returns without settling; the library expires it at its deadline
        });
        Subscription s = kit.subscribe(SubscribeOptions.topic(t).ackMode(AckMode.MANUAL).maxInFlight(WINDOW)
                .ackDeadline(kit.harness().ackDeadline()), r);
        List<CloudEvent> spoilt = TestEvents.many(held, spoilt(kit));
        kit.publishAll(t, spoilt);
        CloudEvent after = TestEvents.text("r25m-after-" + UUID.randomUUID(), "x");
        kit.publish(t, after);
        awaitAfter(kit, s, r, after, spoilt.size() + " MANUAL deliveries left unsettled (" + windows(kit)
                + ", ack deadline " + kit.harness().ackDeadline().toMillis() + "ms)");
        if (kit.caps().has(Capability.AT_LEAST_ONCE)) {
            awaitRedelivered(kit, r, spoilt, "left unsettled");
        }
    }

    /**
     * How many deliveries are spoilt: three windows' worth of the larger window, this rule's {@code maxInFlight} or
     * the broker's own ({@link TckHarness#brokerWindow()}), so a slot leaked per failure shows whichever it is.
     */
    private static int spoilt(Kit kit) {
        return WINDOWS_SPOILT * Math.max(WINDOW, kit.harness().brokerWindow());
    }

    private static String windows(Kit kit) {
        int broker = kit.harness().brokerWindow();
        return "maxInFlight " + WINDOW + (broker > 0 ? ", the broker's own window " + broker : "");
    }

    /**
     * What the spoilt deliveries may cost in time: a deadline per {@code maxInFlight} of them (the library holds no
     * more at once), twice over, plus the timeout.
     */
    private static Duration allowance(Kit kit) {
        return kit.harness().ackDeadline().multipliedBy(2L * spoilt(kit) / WINDOW + 2).plus(kit.harness().timeout());
    }

    private static void awaitAfter(Kit kit, Subscription s, Recorder r, CloudEvent after, String spoilt) {
        kit.awaitOrFail(allowance(kit), () -> r.count(after.getId()) > 0 || s.failure().isPresent(),
                () -> "an event published after " + spoilt + " was not delivered within " + allowance(kit).toMillis()
                        + "ms; the handler saw " + r.size() + " deliveries of " + r.distinctIds().size() + " events (a "
                        + "slot of the broker's in-flight window that a nack, an expiry or the library's settling "
                        + "should have freed?)");
        assertThat(s.failure()).as(kit.what("the subscription failed after " + spoilt)).isEmpty();
        assertThat(s.isActive()).as(kit.what("active after " + spoilt)).isTrue();
    }

    private static void awaitRedelivered(Kit kit, Recorder r, List<CloudEvent> spoilt, String how) {
        kit.awaitOrFail(allowance(kit), () -> spoilt.stream().allMatch(e -> r.count(e.getId()) >= 2),
                () -> "every delivery " + how + " comes again (at-least-once); "
                        + spoilt.stream().filter(x -> r.count(x.getId()) >= 2).count() + " of " + spoilt.size()
                        + " did within " + allowance(kit).toMillis() + "ms");
    }
}
