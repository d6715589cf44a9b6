package dev.omnibus.spi;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a driver builds for the library: events, unreadable messages, defaults and refusals. */
class ReceivedMessageTest {
    private static final CloudEvent EVENT = CloudEventBuilder.v1().withId("e1").withSource(URI.create("/s"))
            .withType("t").build();

    @Test
    void anEventCarriesWhatTheDriverSetAndDefaultsTheRest() {
        ReceivedMessage m = ReceivedMessage.event("orders", EVENT).deliveryCount(3).redeliveryKey("7")
                .orderingKey("k").position("7").handle("h").build();

        assertThat(m.isInvalid()).isFalse();
        assertThat(m.event()).isSameAs(EVENT);
        assertThat(m.deliveryCount()).isEqualTo(3);
        assertThat(m.redeliveryKey()).isEqualTo("7");
        assertThat(m.orderingKey()).isEqualTo("k");
        assertThat(m.position()).isEqualTo("7");
        assertThat(m.handle()).isEqualTo("h");

        ReceivedMessage plain = ReceivedMessage.event("orders", EVENT).build();
        assertThat(plain.deliveryCount()).as("not counted by the broker").isZero();
        assertThat(plain.redeliveryKey()).isNull();
        assertThat(plain.orderingKey()).isNull();
        assertThat(plain.position()).isNull();
        assertThat(plain.handle()).isNull();
    }

    /**
     * A position given as a source and a format is written on first use, once, and reads as the text would have;
     * the last of the two position setters wins. If this fails, check {@code ReceivedMessage.position()}.
     */
    @Test
    void aPositionGivenAsSourceAndFormatIsWrittenOnFirstUse() {
        AtomicInteger formatted = new AtomicInteger();
        long[] offset = {41};
        ReceivedMessage m = ReceivedMessage.event("orders", EVENT).position(offset, o -> {
            formatted.incrementAndGet();
            return "0:" + o[0];
        }).build();
        offset[0] = 42; // the format reads its source when asked, not at build

        assertThat(formatted).as("nothing formatted before anyone asks").hasValue(0);
        assertThat(m.position()).isEqualTo("0:42");
        assertThat(m.position()).isEqualTo("0:42");
        assertThat(formatted).as("formatted once, then kept").hasValue(1);
        assertThat(m.toString()).contains("position=0:42");

        assertThat(ReceivedMessage.event("orders", EVENT).position(offset, o -> "lazy").position("text").build()
                .position()).isEqualTo("text");
        assertThat(ReceivedMessage.event("orders", EVENT).position("text").position(offset, o -> "lazy").build()
                .position()).isEqualTo("lazy");
        assertThatThrownBy(() -> ReceivedMessage.event("orders", EVENT).position(null, o -> "x"))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("source");
        assertThatThrownBy(() -> ReceivedMessage.event("orders", EVENT).position(offset, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("format");
    }

    /**
     * The event's partition key orders its deliveries unless the driver names another key: a driver that forgot to
     * set it (the MQTT sample did) let the library's lanes reorder a key at concurrency 4, and R05 passed by luck.
     */
    @Test
    void theOrderingKeyDefaultsToTheEventsPartitionKey() {
        CloudEvent keyed = CloudEventBuilder.v1(EVENT).withExtension("partitionkey", "customer-7").build();
        assertThat(ReceivedMessage.event("orders", keyed).build().orderingKey()).isEqualTo("customer-7");
        assertThat(ReceivedMessage.event("orders", keyed).orderingKey("partition-2").build().orderingKey())
                .as("the driver's own key wins").isEqualTo("partition-2");
        assertThat(ReceivedMessage.event("orders", EVENT).build().orderingKey()).as("no key, no order").isNull();
    }

    @Test
    void anUnreadableMessageKeepsItsBytesAndHeadersAndHasNoOrderingKey() {
        Map<String, String> headers = new HashMap<>(Map.of("h", "v"));
        ReceivedMessage m = ReceivedMessage.invalid("raw", new byte[] {1, 2}, headers, "not JSON")
                .orderingKey("ignored").position("p").build();
        headers.put("later", "x");

        assertThat(m.isInvalid()).isTrue();
        assertThat(m.event()).isNull();
        assertThat(m.rawBody()).containsExactly(1, 2);
        assertThat(m.rawHeaders()).as("a copy, taken at build").containsOnlyKeys("h");
        assertThat(m.invalidReason()).isEqualTo("not JSON");
        assertThat(m.orderingKey()).isNull();
        assertThat(m.toString()).contains("invalid: not JSON").contains("position=p");

        ReceivedMessage empty = ReceivedMessage.invalid("raw", null, null, "empty").build();
        assertThat(empty.rawBody()).isEmpty();
        assertThat(empty.rawHeaders()).isEmpty();
    }

    @Test
    void missingOrImpossibleValuesAreRefusedByName() {
        assertThatThrownBy(() -> ReceivedMessage.event(null, EVENT)).hasMessage("topic");
        assertThatThrownBy(() -> ReceivedMessage.event("t", null)).hasMessage("event");
        assertThatThrownBy(() -> ReceivedMessage.invalid("t", null, null, null)).hasMessage("reason");
        assertThatThrownBy(() -> ReceivedMessage.event("t", EVENT).deliveryCount(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("deliveryCount")
                .hasMessageContaining("-1");
    }
}
