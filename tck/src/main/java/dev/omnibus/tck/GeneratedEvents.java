package dev.omnibus.tck;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Random;

/**
 * Events for tests that compare a backend's own event writer or reader with the CloudEvents SDK's binding (the
 * issue's rule for replacing a binding: byte for byte on generated events): both spec versions, every optional
 * attribute present or not, extensions of every type, unicode, quotes and percent signs in values, data of several
 * kinds or none. The same {@code random} gives the same events, so a failure names a reproducible event number.
 * Stateless and thread-safe.
 */
public final class GeneratedEvents {
    private static final String[] SOURCES = {"/orders", "/p%C3%A4yments/%C3%BC", "urn:a%20b", "/100%25", "日本"};
    private static final String[] TYPES = {"order.created", "type \"quoted\"", "日本.event"};

    private GeneratedEvents() {
    }

    /**
     * Event {@code i}, its attributes drawn from {@code random}.
     *
     * @param random the source of every choice (seed it for a reproducible sequence)
     * @param i      the event's number, part of its id, subject and data
     * @return a valid event (spec version 0.3 for about one in six)
     */
    public static CloudEvent generated(Random random, int i) {
        CloudEventBuilder b = random.nextInt(6) == 0 ? CloudEventBuilder.v03() : CloudEventBuilder.v1();
        b.withId(random.nextBoolean() ? "id-" + i : "id %" + i + " ✓")
                .withSource(URI.create(SOURCES[random.nextInt(SOURCES.length)]))
                .withType(TYPES[random.nextInt(TYPES.length)]);
        if (random.nextBoolean()) {
            b.withDataContentType(switch (random.nextInt(4)) {
                case 0 -> "application/json";
                case 1 -> "text/plain; charset=utf-8";
                case 2 -> "application/octet-stream";
                default -> "application/vnd.example+json";
            });
        }
        if (random.nextInt(3) == 0) {
            b.withDataSchema(URI.create("https://schemas.example/v" + random.nextInt(3)));
        }
        if (random.nextBoolean()) {
            b.withSubject(random.nextBoolean() ? "sub-" + i : "sübject \"" + i + "\"");
        }
        if (random.nextBoolean()) {
            int nanos = random.nextInt(3) == 0 ? 0 : random.nextInt(1_000_000_000);
            b.withTime(OffsetDateTime.of(2026, 12, 4, 8, random.nextInt(60), random.nextInt(2) * random.nextInt(60),
                    nanos, ZoneOffset.ofHours(random.nextInt(3) - 1)));
        }
        if (random.nextBoolean()) {
            b.withExtension("strext", "ünïcode %" + i);
        }
        if (random.nextBoolean()) {
            b.withExtension("intext", random.nextInt());
        }
        if (random.nextBoolean()) {
            b.withExtension("boolext", random.nextBoolean());
        }
        if (random.nextInt(4) == 0) {
            b.withExtension("uriext", URI.create("https://example.com/" + i));
        }
        if (random.nextInt(4) == 0) {
            b.withExtension("timeext", OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 6_000, ZoneOffset.UTC));
        }
        if (random.nextInt(4) == 0) {
            b.withExtension("binext", new byte[] {(byte) i, 0, -1});
        }
        if (random.nextInt(5) == 0) {
            b.withExtension("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        }
        switch (random.nextInt(4)) {
            case 0 -> b.withData(("data " + i + " ✓").getBytes(StandardCharsets.UTF_8));
            case 1 -> b.withData(new byte[] {0, (byte) 0xFF, (byte) i, 10});
            case 2 -> b.withData(("{\"n\":" + i + ",\"s\":\"ü\"}").getBytes(StandardCharsets.UTF_8));
            default -> {
            }
        }
        return b.build();
    }

    /**
     * Whether the SDK's JSON format writes {@code event} as valid JSON: it embeds data of a JSON content type (or
     * none) as it is, so data that is not JSON would make an envelope no reader can parse. Structured-mode
     * comparisons take only these events.
     *
     * @param event a generated event
     * @return false when the event's data would be embedded as invalid JSON
     */
    public static boolean structurable(CloudEvent event) {
        String ct = event.getDataContentType();
        boolean jsonType = ct == null || ct.startsWith("application/json") || ct.contains("+json");
        return event.getData() == null || !jsonType || event.getData().toBytes()[0] == '{';
    }
}
