package dev.omnibus.outbox;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Events for the outbox tests. */
final class Events {
    private Events() {
    }

    static CloudEvent plain(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/outbox-test")).withType("test.event")
                .withData("text/plain", id.getBytes(StandardCharsets.UTF_8)).build();
    }

    static CloudEvent keyed(String id, String key, int sequence) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/outbox-test")).withType("test.keyed")
                .withExtension("partitionkey", key).withExtension("seq", sequence)
                .withData("text/plain", (key + ":" + sequence).getBytes(StandardCharsets.UTF_8)).build();
    }

    /**
     * Fails unless {@code actual} equals {@code expected} attribute by attribute, extension by extension (byte[]
     * values by content, which CloudEvent's own equals compares by identity) and in its data bytes.
     */
    static void assertRoundTrip(CloudEvent actual, CloudEvent expected) {
        org.assertj.core.api.Assertions.assertThat(actual.getSpecVersion()).isEqualTo(expected.getSpecVersion());
        for (String name : expected.getAttributeNames()) {
            org.assertj.core.api.Assertions.assertThat(actual.getAttribute(name)).as(name)
                    .isEqualTo(expected.getAttribute(name));
        }
        org.assertj.core.api.Assertions.assertThat(actual.getExtensionNames())
                .containsExactlyInAnyOrderElementsOf(expected.getExtensionNames());
        for (String name : expected.getExtensionNames()) {
            org.assertj.core.api.Assertions.assertThat(actual.getExtension(name)).as(name)
                    .isEqualTo(expected.getExtension(name)); // assertj compares arrays by content
        }
        org.assertj.core.api.Assertions.assertThat(actual.getData() == null ? null : actual.getData().toBytes())
                .isEqualTo(expected.getData() == null ? null : expected.getData().toBytes());
    }

    /** Every attribute and every extension type set. */
    static CloudEvent full(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("urn:omnibus:outbox/ü?x=1"))
                .withType("com.example.full").withSubject("subject ü ✓")
                .withDataSchema(URI.create("https://example.com/schema.json"))
                .withTime(OffsetDateTime.of(2026, 12, 3, 21, 0, 1, 123_456_789, ZoneOffset.ofHours(2)))
                .withExtension("partitionkey", "key-1").withExtension("text", "a\nb")
                .withExtension("number", 42).withExtension("flag", true)
                .withExtension("link", URI.create("https://example.com/x"))
                .withExtension("when", OffsetDateTime.of(2020, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC))
                .withExtension("blob", new byte[] {0, 1, 2, (byte) 255})
                .withData("application/octet-stream", new byte[] {0, (byte) 0x80, (byte) 0xff, 10, 13})
                .build();
    }
}
