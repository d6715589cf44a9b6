package dev.omnibus.outbox;

import dev.omnibus.outbox.internal.EventCodec;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

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

    /**
     * {@code OffsetDateTime.toString} leaves out zero seconds and fractions ({@code 21:00+02:00}), which the fast
     * path of {@code EventTime.parse} hands to the SDK: the attribute and a time extension come back equal.
     */
    @Test
    void timesWithoutSecondsOrFractionsRoundTrip() {
        for (OffsetDateTime time : List.of(OffsetDateTime.of(2026, 12, 3, 21, 0, 0, 0, ZoneOffset.ofHours(2)),
                OffsetDateTime.of(2026, 12, 3, 21, 0, 7, 0, ZoneOffset.UTC),
                OffsetDateTime.of(2026, 12, 3, 21, 0, 7, 500_000_000, ZoneOffset.ofHoursMinutes(-9, -30)))) {
            CloudEvent event = CloudEventBuilder.v1().withId("t").withSource(URI.create("/s")).withType("t")
                    .withTime(time).withExtension("seen", time).build();
            assertThat(EventCodec.decode(EventCodec.encode(event))).isEqualTo(event);
        }
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
