package dev.omnibus.gcp.internal;

import com.google.pubsub.v1.PubsubMessage;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class PubSubBindingTest {
    private final PubSubBinding binary = new PubSubBinding(false);

    @Test
    void binaryModeAttributesAreTheContextInOrderAndNothingElse() {
        CloudEvent e = CloudEventBuilder.v1().withId("id-1").withSource(URI.create("/src")).withType("t.x")
                .withSubject("subj").withTime(OffsetDateTime.of(2026, 12, 5, 3, 4, 5, 600_000_000, ZoneOffset.UTC))
                .withDataSchema(URI.create("https://schema/x")).withExtension("partitionkey", "k")
                .withExtension("count", 7).withExtension("flag", true)
                .withData("text/plain", "hi".getBytes(StandardCharsets.UTF_8)).build();
        PubsubMessage m = binary.encode(e, "k");
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("ce-specversion", "1.0");
        expected.put("ce-id", "id-1");
        expected.put("ce-source", "/src");
        expected.put("ce-type", "t.x");
        expected.put("content-type", "text/plain");
        expected.put("ce-dataschema", "https://schema/x");
        expected.put("ce-subject", "subj");
        expected.put("ce-time", "2026-12-05T03:04:05.6Z");
        expected.put("ce-partitionkey", "k");
        expected.put("ce-count", "7");
        expected.put("ce-flag", "true");
        assertThat(m.getAttributesMap()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(m.getOrderingKey()).isEqualTo("k");
        assertThat(m.getData().toStringUtf8()).isEqualTo("hi");
        assertThat(binary.decode("t", m, 1, null).event()).as("extensions come back as their text")
                .isEqualTo(CloudEventBuilder.v1(e).withExtension("count", "7").withExtension("flag", "true").build());
    }

    @Test
    void anEventBeyondTheAttributeLimitsIsStructuredWithNoBinaryAttributeLeft() {
        CloudEventBuilder b = CloudEventBuilder.v1().withId("id-2").withSource(URI.create("/src")).withType("t.x");
        for (int i = 0; i < PubSubBinding.MAX_ATTRIBUTES; i++) {
            b.withExtension("x" + i, "v");
        }
        PubsubMessage m = binary.encode(b.build(), "key");
        assertThat(m.getAttributesMap()).containsOnlyKeys("content-type");
        assertThat(m.getOrderingKey()).as("the ordering key stays").isEqualTo("key");
        assertThat(binary.decode("t", m, 1, null).event()).isEqualTo(b.build());

        CloudEvent wide = CloudEventBuilder.v1().withId("id-3").withSource(URI.create("/src")).withType("t.x")
                .withExtension("note", "é".repeat(PubSubBinding.MAX_VALUE_BYTES / 2 + 1)).build();
        assertThat(binary.encode(wide, null).getAttributesMap()).containsOnlyKeys("content-type");
        CloudEvent fits = CloudEventBuilder.v1(wide).withExtension("note", "é".repeat(PubSubBinding.MAX_VALUE_BYTES / 2))
                .build();
        assertThat(binary.encode(fits, null).getAttributesMap()).containsKey("ce-note");
    }

    @Test
    void fitsBytesAgreesWithTheUtf8EncoderOnEveryKindOfText() {
        Random random = new Random(5);
        char[] kinds = {'a', 'é', '€', '\uD83D', '\uDE00'};
        for (int n = 0; n < 20_000; n++) {
            int length = random.nextInt(600);
            StringBuilder text = new StringBuilder(length);
            for (int i = 0; i < length; i++) {
                int k = random.nextInt(kinds.length + 1);
                if (k == kinds.length) {
                    text.append("\uD83D\uDE00"); // a pair: four bytes
                } else {
                    text.append(kinds[k]); // lone surrogates included: the encoder writes '?'
                }
            }
            String s = text.toString();
            int bytes = s.getBytes(StandardCharsets.UTF_8).length;
            for (int max : new int[] {bytes - 1, bytes, bytes + 1, 256, 1024}) {
                assertThat(PubSubBinding.fitsBytes(s, max)).as("%d bytes within %d: %s", bytes, max, s)
                        .isEqualTo(bytes <= max);
            }
        }
    }
}
