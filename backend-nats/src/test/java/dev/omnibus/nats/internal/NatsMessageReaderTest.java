package dev.omnibus.nats.internal;

import dev.omnibus.nats.NatsBinding;
import dev.omnibus.spi.EventBuilders;
import dev.omnibus.tck.GeneratedEvents;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link NatsMessageReader#toEvent}, which reads plain binary-mode messages without the CloudEvents SDK's generic
 * reader, against the SDK's reading of the same message ({@code NatsMessageReader.of(headers, body).toEvent()}, the
 * generic reader and the SDK's builder): the same event or the same error, on generated events written in binary
 * and structured mode, then bent the ways a foreign writer may bend them (names in other cases, {@code content-type}
 * instead of or next to {@code ce-datacontenttype}, quoted and malformed values, unknown spec versions and formats,
 * no spec version, no body). If this fails, compare {@code toEvent}'s header loop with the SDK's
 * {@code BaseGenericBinaryMessageReaderImpl.read} and its mode decision with {@code MessageUtils
 * .parseStructuredOrBinaryMessage}.
 */
class NatsMessageReaderTest {
    private static final EventFormat JSON = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);

    @Test
    void readsWhatTheSdkReadsOnGeneratedAndBentMessages() {
        Random random = new Random(44);
        EventBuilders.Sources sources = new EventBuilders.Sources();
        int events = 0;
        int errors = 0;
        int fast = 0;
        for (int i = 0; i < 4000; i++) {
            CloudEvent event = GeneratedEvents.generated(random, i);
            NatsMessage message = random.nextInt(6) == 0 ? NatsBinding.toStructuredMessage("s", event, JSON)
                    : NatsBinding.toBinaryMessage("s", event);
            Headers headers = copy(message.getHeaders());
            byte[] body = message.getData();
            String bent = random.nextInt(3) == 0 ? "as written" : bend(random, headers);
            if (random.nextInt(20) == 0) {
                body = random.nextBoolean() ? null : new byte[0];
                bent += ", no body";
            }

            byte[] payload = body;
            Object expected = outcome(() -> NatsMessageReader.of(headers, copyOf(payload)).toEvent());
            Object actual = outcome(() -> NatsMessageReader.toEvent(headers, copyOf(payload), sources));

            assertThat(actual).as("message %d (%s): %s", i, bent, headers.entrySet()).isEqualTo(expected);
            if (expected instanceof CloudEvent) {
                events++;
            } else {
                errors++;
            }
            fast += headers.get("content-type") == null && headers.get("ce-specversion") != null ? 1 : 0;
        }
        assertThat(events).as("messages read as events").isGreaterThan(2500);
        assertThat(errors).as("messages both readers refuse").isGreaterThan(100);
        assertThat(fast).as("plain binary messages (the reader's own path)").isGreaterThan(1500);
    }

    /** Bends one aspect of a message as a foreign writer might; returns what it did. */
    private static String bend(Random random, Headers headers) {
        List<String> names = new ArrayList<>(headers.keySet());
        String name = names.get(random.nextInt(names.size()));
        switch (random.nextInt(11)) {
            case 0 -> {
                List<String> values = headers.get(name);
                headers.remove(name);
                String other = random.nextBoolean() ? name.toUpperCase(Locale.ROOT)
                        : Character.toUpperCase(name.charAt(0)) + name.substring(1);
                headers.put(other, values);
                return name + " as " + other;
            }
            case 1 -> {
                String type = headers.getFirst("ce-datacontenttype");
                headers.remove("ce-datacontenttype");
                headers.put(random.nextBoolean() ? "content-type" : "Content-Type",
                        type == null ? "text/plain" : type);
                return "content-type instead of ce-datacontenttype";
            }
            case 2 -> {
                headers.put("content-type", random.nextBoolean() ? "application/xml" : "application/json");
                return "content-type next to ce-datacontenttype";
            }
            case 3 -> {
                headers.put(name, "\"" + headers.getFirst(name) + "\"");
                return name + " quoted";
            }
            case 4 -> {
                headers.put(name, random.nextBoolean() ? "bad %ZZ" : "cut %C3");
                return name + " malformed";
            }
            case 5 -> {
                headers.remove("ce-specversion");
                return "no spec version";
            }
            case 6 -> {
                headers.put("ce-specversion", random.nextBoolean() ? "0.2" : "1.0");
                return "spec version set";
            }
            case 7 -> {
                headers.put("content-type", random.nextBoolean() ? "application/cloudevents+xml"
                        : "application/cloudevents-batch+json");
                return "an event format the SDK does not read";
            }
            case 8 -> {
                headers.put("ce-MyExt" + random.nextInt(3), "v%20" + random.nextInt(5));
                headers.put("x-other", "not an attribute");
                return "an extension in mixed case and a foreign header";
            }
            case 9 -> {
                headers.put("ce-time", random.nextBoolean() ? "yesterday" : "2026-12-05T10:00:00.5+01:00");
                return "time set";
            }
            default -> {
                headers.remove(random.nextBoolean() ? "ce-id" : "ce-source");
                return "a required attribute missing";
            }
        }
    }

    private static Headers copy(Headers headers) {
        Headers copy = new Headers();
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            copy.put(e.getKey(), new ArrayList<>(e.getValue()));
        }
        return copy;
    }

    private static byte[] copyOf(byte[] body) {
        return body == null ? null : body.clone();
    }

    /** The event read, or the error's class and message. */
    private static Object outcome(java.util.function.Supplier<CloudEvent> read) {
        try {
            return read.get();
        } catch (RuntimeException e) {
            return e.getClass().getName() + ": " + e.getMessage();
        }
    }
}
