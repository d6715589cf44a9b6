package dev.omnibus.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.impl.LongStringHelper;
import dev.omnibus.spi.EventBuilders;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.tck.GeneratedEvents;
import dev.omnibus.tck.SdkBinaryReading;
import org.junit.jupiter.api.Test;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The binding's binary-mode reading ({@link AmqpBinding#decode}, which reads the headers straight into the event
 * builder) against the CloudEvents SDK's generic binary reader over the same properties and headers (what the binding
 * used before): the same event, or the same reason for refusing the message, on generated events written by the
 * binding, their string headers turned into the {@code LongString}s a broker delivers, then bent the ways another
 * producer may bend them (names in other cases, the older {@code cloudEvents:} prefix, a {@code content-type} header,
 * values of other AMQP types, values the SDK refuses). If this fails, compare {@code AmqpBinding.readBinary} with the
 * SDK's {@code BaseGenericBinaryMessageReaderImpl.read} and with {@link #sdkRead} below.
 */
class AmqpBindingReadTest {
    private static final String PREFIX = AmqpBinding.PREFIX;

    @Test
    void readsWhatTheSdkReadsOnGeneratedAndBentMessages() {
        AmqpBinding binding = new AmqpBinding(false);
        EventBuilders.Sources sources = new EventBuilders.Sources();
        Random random = new Random(46);
        int events = 0;
        int refused = 0;
        for (int i = 0; i < 4000; i++) {
            AmqpBinding.Message written = binding.encode(GeneratedEvents.generated(random, i));
            Map<String, Object> headers = new HashMap<>();
            // as a broker delivers them: strings as LongString
            written.properties().getHeaders().forEach((k, v) -> headers.put(k,
                    v instanceof String ? LongStringHelper.asLongString((String) v) : v));
            String contentType = written.properties().getContentType();
            String bent = random.nextInt(3) == 0 ? "as written" : bend(random, headers);
            if (bent.startsWith("content type")) {
                contentType = random.nextBoolean() ? null : "text/csv";
            }
            AMQP.BasicProperties props = written.properties().builder().contentType(contentType).headers(headers)
                    .build();
            if (headers.get(PREFIX + "specversion") == null && headers.get("cloudEvents:specversion") == null) {
                continue; // not a binary-mode event: decode refuses it before reading, as before
            }

            ReceivedMessage actual = AmqpBinding.decode("t", props, written.body(), 1, null, null, sources);
            Object expected = sdkRead(props, written.body());

            Object got = actual.isInvalid() ? actual.invalidReason() : actual.event();
            assertThat(got).as("message %d (%s): %s", i, bent, headers.keySet()).isEqualTo(expected);
            if (actual.isInvalid()) {
                refused++;
            } else {
                events++;
            }
        }
        assertThat(events).as("messages read as events").isGreaterThan(2500);
        assertThat(refused).as("messages both readers refuse").isGreaterThan(50);
    }

    /** Bends one aspect of a message as another producer might; returns what it did. */
    private static String bend(Random random, Map<String, Object> headers) {
        List<String> names = new ArrayList<>(headers.keySet());
        String name = names.get(random.nextInt(names.size()));
        switch (random.nextInt(8)) {
            case 0 -> {
                Object value = headers.remove(name);
                String other = random.nextBoolean() ? name.toUpperCase(Locale.ROOT)
                        : PREFIX + name.substring(PREFIX.length()).toUpperCase(Locale.ROOT);
                headers.put(other, value);
                return name + " as " + other;
            }
            case 1 -> {
                Object value = headers.remove(name);
                headers.put("cloudEvents:" + name.substring(PREFIX.length()), value);
                return name + " with the older prefix";
            }
            case 2 -> {
                headers.put("content-type", LongStringHelper.asLongString("application/xml"));
                return "a content-type header";
            }
            case 3 -> {
                headers.put(PREFIX + "numext", random.nextBoolean() ? (Object) 42 : (Object) 1.5);
                headers.put(PREFIX + "boolext", true);
                headers.put(PREFIX + "dateext", new Date(1_700_000_000_000L));
                headers.put(PREFIX + "bytesext", new byte[] {'a', 'b'});
                headers.put(PREFIX + "listext", List.of("a", 1));
                headers.put("x-other", LongStringHelper.asLongString("not an attribute"));
                return "values of other AMQP types and a foreign header";
            }
            case 4 -> {
                headers.put(name, LongStringHelper.asLongString(random.nextBoolean() ? "" : "not a uri or time \u0001"));
                return name + " bent";
            }
            case 5 -> {
                headers.put(PREFIX + "nullext", null);
                return "a header without a value";
            }
            case 6 -> {
                return "content type changed";
            }
            default -> {
                headers.remove(PREFIX + (random.nextBoolean() ? "id" : "source"));
                return "a required attribute missing";
            }
        }
    }

    /**
     * The SDK's generic binary reader over a message's properties and headers, as the binding read before it read them
     * itself: the {@code content-type} property first, then every header; {@code content-type} as the data content
     * type, a prefixed header as the lower-cased attribute after its prefix, values as {@link AmqpBinding#text}.
     */
    private static final SdkBinaryReading.Naming<Object> SDK_NAMING = new SdkBinaryReading.Naming<>("content-type",
            key -> key.length() > PREFIX.length() && (key.startsWith(PREFIX) || key.startsWith("cloudEvents:")),
            key -> key.substring(PREFIX.length()).toLowerCase(Locale.ROOT), AmqpBinding::text);

    /** The event the SDK reads, or its reason for refusing the message. */
    private static Object sdkRead(AMQP.BasicProperties props, byte[] body) {
        Object specVersion = props.getHeaders().get(PREFIX + "specversion");
        if (specVersion == null) {
            specVersion = props.getHeaders().get("cloudEvents:specversion");
        }
        List<Map.Entry<String, Object>> headers = new ArrayList<>();
        if (props.getContentType() != null) {
            headers.add(new AbstractMap.SimpleImmutableEntry<>("content-type", props.getContentType()));
        }
        headers.addAll(props.getHeaders().entrySet());
        return SdkBinaryReading.read(specVersion, headers, body.length == 0 ? null : body, SDK_NAMING);
    }
}
