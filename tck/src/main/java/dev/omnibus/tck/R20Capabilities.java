package dev.omnibus.tck;

import dev.omnibus.AckMode;
import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.OverflowPolicy;
import dev.omnibus.PublishReceipt;
import dev.omnibus.StartPosition;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.UnsupportedCapabilityException;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * R20: declared capabilities are true: denied ones are refused with {@link UnsupportedCapabilityException},
 * claimed ones work, and the declaration is consistent.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R20")
interface R20Capabilities {
    @Test
    default void R20_deniedCapabilitiesAreRefused(Kit kit) {
        String t = kit.topic("r20");
        Map<Capability, SubscribeOptions> asks = new LinkedHashMap<>();
        asks.put(Capability.GROUPS, SubscribeOptions.topic(t).group("g"));
        asks.put(Capability.REPLAY, SubscribeOptions.topic(t).startAt(StartPosition.earliest()));
        asks.put(Capability.WILDCARDS, SubscribeOptions.topic(t + ".*"));
        asks.put(Capability.OVERFLOW_POLICY, SubscribeOptions.topic(t).overflow(OverflowPolicy.drop()));
        asks.put(Capability.AT_LEAST_ONCE, SubscribeOptions.topic(t).deadLetter(t + "-dlq", 3));
        for (Map.Entry<Capability, SubscribeOptions> ask : asks.entrySet()) {
            if (!kit.caps().has(ask.getKey())) {
                assertThatThrownBy(() -> kit.subscribe(ask.getValue(), d -> { }))
                        .as(kit.what("asking for denied " + ask.getKey()))
                        .isInstanceOf(UnsupportedCapabilityException.class);
            }
        }
        List<Throwable> nackErrors = new CopyOnWriteArrayList<>();
        AtomicInteger tried = new AtomicInteger();
        Recorder r = new Recorder(d -> {
            for (Runnable nack : List.<Runnable>of(d::nack, () -> d.nack(Duration.ofSeconds(1)))) {
                try {
                    nack.run();
                } catch (RuntimeException e) {
                    nackErrors.add(e);
                }
            }
            tried.incrementAndGet();
            d.ack();
        });
        kit.subscribe(SubscribeOptions.topic(t).ackMode(AckMode.MANUAL), r);
        kit.publish(t, TestEvents.text("r20-" + UUID.randomUUID(), "x"));
        // the recorder counts a delivery before its handler runs: wait for the handler to have tried both nacks
        kit.await("delivered and both nacks tried").until(() -> tried.get() >= 1);
        long expectedRefusals = (kit.caps().has(Capability.NACK) ? 0 : 1)
                + (kit.caps().has(Capability.NACK) || kit.caps().has(Capability.DELAYED_NACK) ? 0 : 1);
        assertThat(nackErrors).as(kit.what("nack on a backend denying NACK/DELAYED_NACK is refused"))
                .hasSize((int) expectedRefusals).allMatch(e -> e instanceof UnsupportedCapabilityException);
    }

    @Test
    default void R20_theDeclarationIsConsistent(Kit kit) {
        Capabilities again = kit.connect(Map.of()).capabilities();
        assertThat(again.supported()).as(kit.what("capabilities differ between two connections"))
                .isEqualTo(kit.caps().supported());
        if (kit.caps().has(Capability.DELAYED_NACK)) {
            assertThat(kit.caps().has(Capability.NACK)).as(kit.what("DELAYED_NACK without NACK")).isTrue();
        }
        for (Capability c : List.of(Capability.DURABLE, Capability.NATIVE_DEAD_LETTER, Capability.NACK)) {
            if (kit.caps().has(c)) {
                assertThat(kit.caps().has(Capability.AT_LEAST_ONCE)).as(kit.what(c + " without AT_LEAST_ONCE"))
                        .isTrue();
            }
        }
        for (Capability c : Capability.values()) {
            if (!kit.caps().has(c)) {
                assertThat(kit.caps().denialReason(c)).as(kit.what("denied " + c + " needs a reason")).isNotBlank();
            }
        }
        assertThat(kit.caps().maxPayloadBytes()).as(kit.what("max payload")).isGreaterThanOrEqualTo(1024);
    }

    @Test
    default void R20_claimedDedupHolds(Kit kit) {
        kit.requires(Capability.DEDUP);
        String t = kit.topic("r20d");
        Recorder r = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t), r);
        String id = "r20d-" + UUID.randomUUID();
        PublishReceipt first = kit.publish(t, TestEvents.text(id, "a"));
        PublishReceipt second = kit.publish(t, TestEvents.text(id, "b"));
        CloudEvent marker = TestEvents.text("r20d-marker-" + UUID.randomUUID(), "m");
        kit.publish(t, marker);
        kit.await("marker delivered").until(() -> r.count(marker.getId()) > 0);
        assertThat(r.count(id)).as(kit.what("claims DEDUP but delivered a duplicate id")).isEqualTo(1);
        assertThat(second.duplicate() || second.position().equals(first.position()))
                .as(kit.what("claims DEDUP but the second receipt looks like a new event")).isTrue();
    }

    @Test
    default void R20_claimedReplayAndWildcardsWork(Kit kit) {
        String t = kit.topic("r20r");
        CloudEvent e = TestEvents.text("r20r-" + UUID.randomUUID(), "x");
        kit.publish(t + ".a", e);
        List<Recorder> recorders = new ArrayList<>();
        if (kit.caps().has(Capability.REPLAY)) {
            Recorder r = kit.recorder();
            recorders.add(r);
            kit.subscribe(SubscribeOptions.topic(t + ".a").startAt(StartPosition.earliest()), r);
        }
        if (kit.caps().has(Capability.WILDCARDS)) {
            Recorder r = kit.recorder();
            recorders.add(r);
            kit.subscribe(SubscribeOptions.topic(t + ".*"), r);
            kit.publish(t + ".a", TestEvents.text("r20w-" + UUID.randomUUID(), "x"));
        }
        for (Recorder r : recorders) {
            kit.await("a claimed capability (replay / wildcards) delivers").until(() -> r.size() >= 1);
        }
    }
}
