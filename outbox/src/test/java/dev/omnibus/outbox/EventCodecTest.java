package dev.omnibus.outbox;

import dev.omnibus.outbox.internal.EventCodec;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventCodecTest {
    @Test
    void everyAttributeExtensionAndTheDataBytesRoundTrip() {
        CloudEvent event = Events.full("e-1");
        Events.assertRoundTrip(EventCodec.decode(EventCodec.encode(event)), event);
    }

    @Test
    void noDataAndEmptyDataStayApart() {
        CloudEvent none = CloudEventBuilder.v1().withId("a").withSource(URI.create("/s")).withType("t").build();
        CloudEvent empty = CloudEventBuilder.v1(none).withData("text/plain", new byte[0]).build();
        CloudEvent v03 = CloudEventBuilder.v03().withId("b").withSource(URI.create("/s")).withType("t")
                .withDataSchema(URI.create("https://x/s")).build();
        assertThat(EventCodec.decode(EventCodec.encode(none)).getData()).isNull();
        assertThat(EventCodec.decode(EventCodec.encode(empty)).getData().toBytes()).isEmpty();
        assertThat(EventCodec.decode(EventCodec.encode(v03))).isEqualTo(v03);
    }

    @Test
    void aDamagedRowIsRefusedWithAReason() {
        byte[] stored = EventCodec.encode(Events.plain("x"));
        byte[] cut = java.util.Arrays.copyOf(stored, stored.length - 3);
        assertThatThrownBy(() -> EventCodec.decode(cut)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot be read");
        assertThatThrownBy(() -> EventCodec.decode(new byte[] {9})).hasMessageContaining("unknown outbox event format");
    }
}
