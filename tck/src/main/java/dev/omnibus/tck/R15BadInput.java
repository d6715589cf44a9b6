package dev.omnibus.tck;

import dev.omnibus.Capability;
import dev.omnibus.ConfigException;
import dev.omnibus.Extensions;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.InvalidEventException;
import dev.omnibus.InvalidMessagePolicy;
import dev.omnibus.Omnibus;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * R15: bad input is refused before the wire with a clear, typed error; a non-CloudEvents message on the wire
 * does not kill a subscription.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R15")
interface R15BadInput {
    @Test
    default void R15_eventsMissingARequiredAttributeAreRefused(Kit kit) {
        for (String attribute : List.of("id", "source", "type", "specversion")) {
            assertThatThrownBy(() -> kit.bus().publisher().publish(kit.topic("r15"),
                    HandMadeEvent.without(TestEvents.text("r15-" + attribute, "x"), attribute)))
                    .as(kit.what("event without " + attribute)).isInstanceOf(InvalidEventException.class)
                    .hasMessageContaining(attribute);
        }
        assertThatThrownBy(() -> kit.bus().publisher().publish(kit.topic("r15"), null))
                .as(kit.what("null event")).isInstanceOf(InvalidEventException.class);
    }

    @Test
    default void R15_oversizeDataIsRefusedNamingTheLimit(Kit kit) {
        byte[] tooBig = new byte[kit.caps().maxPayloadBytes() + 1];
        CloudEvent e = TestEvents.builder("r15-big").withData("application/octet-stream", tooBig).build();
        assertThatThrownBy(() -> kit.bus().publisher().publish(kit.topic("r15"), e))
                .as(kit.what("data one byte over the limit")).isInstanceOf(InvalidEventException.class)
                .hasMessageContaining(String.valueOf(kit.caps().maxPayloadBytes()));
    }

    @Test
    default void R15_invalidExtensionNamesAreRefused(Kit kit) {
        CloudEvent e = HandMadeEvent.withExtensions(TestEvents.text("r15-ext", "x"), Map.of("Bad_Name", "v"));
        assertThatThrownBy(() -> kit.bus().publisher().publish(kit.topic("r15"), e))
                .as(kit.what("extension name with upper case and underscore"))
                .isInstanceOf(InvalidEventException.class).hasMessageContaining("Bad_Name");
    }

    @Test
    default void R15_nonPortableTopicNamesAreRefused(Kit kit) {
        List<String> bad = List.of("", "orders created", "orders..created", ".orders", "orders.",
                "orders.*", "orders.>", "grüße", "orders/created", "x".repeat(250));
        for (String name : bad) {
            assertThatThrownBy(() -> kit.bus().publisher().publish(name, TestEvents.text("r15-topic", "x")))
                    .as(kit.what("publish to topic '" + name + "'")).isInstanceOf(InvalidArgumentException.class)
                    .hasMessageContaining("portable topic");
        }
        for (String pattern : List.of("orders.>.created", "orders created", "")) {
            assertThatThrownBy(() -> kit.bus().subscriber().subscribe(SubscribeOptions.topic(pattern), d -> { }))
                    .as(kit.what("subscribe to '" + pattern + "'")).isInstanceOf(InvalidArgumentException.class);
        }
    }

    @Test
    default void R15_malformedUnknownAndMisconfiguredUrlsAreRefused(Kit kit) {
        assertThatThrownBy(() -> Omnibus.connect(Kit.config("not a url", Map.of())))
                .as(kit.what("malformed URL")).isInstanceOf(ConfigException.class).hasMessageContaining("malformed");
        assertThatThrownBy(() -> Omnibus.connect(Kit.config("nosuchbroker://host", Map.of())))
                .as(kit.what("unknown scheme")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("nosuchbroker").hasMessageContaining("installed backends");
        assertThatThrownBy(() -> Omnibus.connect(Kit.config(kit.harness().url(), Map.of("no.such.option", "1",
                "publish.timeout", "soon"))))
                .as(kit.what("unknown option and bad value reported together")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("no.such.option").hasMessageContaining("publish.timeout")
                .satisfies(e -> assertThat(((ConfigException) e).problems()).hasSize(2));
    }

    @Test
    default void R15_aForeignMessageDoesNotKillTheSubscription(Kit kit) throws Exception {
        kit.requiresRaw();
        String t = kit.topic("r15raw");
        Recorder r = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t), r);
        byte[] body = "not a cloudevent".getBytes(StandardCharsets.UTF_8);
        kit.harness().injectRaw(t, body, Map.of("content-type", "text/plain"));
        CloudEvent after = TestEvents.text("r15-after-" + UUID.randomUUID(), "x");
        kit.publish(t, after);
        kit.await("a valid event after a foreign message is still delivered").until(() -> r.count(after.getId()) > 0);
        List<Recorder.Seen> raw = r.all().stream().filter(s -> s.raw).collect(Collectors.toList());
        assertThat(raw).as(kit.what("the foreign message delivered raw")).hasSize(1);
        assertThat(Kit.bytes(raw.get(0).event)).as(kit.what("raw body")).isEqualTo(body);
        assertThat(raw.get(0).event.getType()).isEqualTo(Extensions.RAW_EVENT_TYPE);
    }

    @Test
    default void R15_aForeignMessageCanBeDeadLettered(Kit kit) throws Exception {
        kit.requires(Capability.AT_LEAST_ONCE);
        kit.requiresRaw();
        String t = kit.topic("r15dl");
        String dlq = kit.topic("r15dl-dlq");
        Recorder dead = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(dlq), dead);
        Recorder r = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(t).deadLetter(dlq, 3).onInvalidMessage(InvalidMessagePolicy.DEAD_LETTER),
                r);
        kit.harness().injectRaw(t, "garbage".getBytes(StandardCharsets.UTF_8), Map.of());
        CloudEvent after = TestEvents.text("r15dl-after-" + UUID.randomUUID(), "x");
        kit.publish(t, after);
        kit.await("the foreign message is dead-lettered").until(() -> dead.size() >= 1);
        kit.await("valid events keep flowing").until(() -> r.count(after.getId()) > 0);
        assertThat(r.all().stream().anyMatch(s -> s.raw)).as(kit.what("raw message reached the handler"))
                .isFalse();
    }
}
