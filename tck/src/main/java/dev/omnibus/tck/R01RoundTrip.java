package dev.omnibus.tck;

import dev.omnibus.Extensions;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Random;
import java.util.UUID;

/**
 * R01: every CloudEvents attribute, extension and the data bytes arrive equal.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R01")
interface R01RoundTrip {
    /**
     * JSON whose bytes a backend that parses and re-serialises it would change (whitespace and a newline, keys out
     * of order, a trailing zero, an exponent, an escaped character): R01 wants the body byte for byte.
     */
    String RESHAPEABLE_JSON = "{ \"total\" : 12.50,\n  \"order\": 42, \"ratio\": 1E2, \"note\": \"caf\\u00e9\" }";

    @Test
    default void R01_allAttributesAndExtensionsArriveEqual(Kit kit) {
        CloudEvent e = TestEvents.builder("r01-all-" + UUID.randomUUID())
                .withSubject("order/42")
                .withTime(OffsetDateTime.of(2026, 11, 22, 10, 15, 30, 123_000_000, ZoneOffset.UTC))
                .withDataSchema(URI.create("https://example.com/schemas/order.json"))
                .withExtension("tenant", "acme")
                .withExtension("priority", 7)
                .withExtension("urgent", true)
                .withExtension(Extensions.PARTITION_KEY, "customer-1")
                .withExtension(Extensions.TRACEPARENT, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .withData("application/json", RESHAPEABLE_JSON.getBytes(StandardCharsets.UTF_8))
                .build();
        kit.roundTrip(e);
    }

    @Test
    default void R01_textJsonAndUnicodeDataArriveEqual(Kit kit) {
        kit.roundTrip(TestEvents.text("r01-text-" + UUID.randomUUID(), "plain text"));
        kit.roundTrip(TestEvents.builder("r01-json-" + UUID.randomUUID())
                .withData("application/json", "{\"a\":[1,2,3]}".getBytes(StandardCharsets.UTF_8)).build());
        // JSON by its +json suffix, and JSON-looking text that is not declared JSON: the bytes must pass through
        kit.roundTrip(TestEvents.builder("r01-json-suffix-" + UUID.randomUUID())
                .withData("application/vnd.omnibus.test+json", RESHAPEABLE_JSON.getBytes(StandardCharsets.UTF_8))
                .build());
        kit.roundTrip(TestEvents.builder("r01-json-text-" + UUID.randomUUID())
                .withData("text/plain", RESHAPEABLE_JSON.getBytes(StandardCharsets.UTF_8)).build());
        kit.roundTrip(TestEvents.builder("r01-uni-" + UUID.randomUUID()).withSubject("Grüße/東京/🚌")
                .withExtension("note", "naïve café 🚌")
                .withData("text/plain; charset=utf-8", "Grüße aus 東京 🚌".getBytes(StandardCharsets.UTF_8)).build());
    }

    @Test
    default void R01_binaryAndEmptyDataArriveEqual(Kit kit) {
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        kit.roundTrip(TestEvents.builder("r01-bin-" + UUID.randomUUID())
                .withData("application/octet-stream", all).build());
        kit.roundTrip(TestEvents.builder("r01-empty-" + UUID.randomUUID())
                .withData("application/octet-stream", new byte[0]).build());
        kit.roundTrip(TestEvents.builder("r01-nodata-" + UUID.randomUUID()).build());
    }

    @Test
    default void R01_dataUpToTheDeclaredLimitArrivesEqual(Kit kit) {
        int size = Math.min(kit.caps().maxPayloadBytes(), 4 * 1024 * 1024);
        byte[] data = new byte[size];
        new Random(42).nextBytes(data);
        kit.roundTrip(TestEvents.builder("r01-large-" + UUID.randomUUID())
                .withData("application/octet-stream", data).build());
    }
}
