package dev.omnibus.redis.internal;

import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.tck.GeneratedEvents;
import dev.omnibus.tck.SdkBinaryReading;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The binding's binary-mode reading ({@link StreamBinding#decode}, which reads the fields straight into the event
 * builder) against the CloudEvents SDK's generic binary reader over the same fields (what the binding used before):
 * the same event, or the same reason for refusing the entry, on generated events written by the binding and then
 * bent the ways a foreign writer may bend them (fields reordered, foreign fields, extensions in other cases, values
 * the SDK refuses). If this fails, compare {@code StreamBinding.readBinary} with the SDK's
 * {@code BaseGenericBinaryMessageReaderImpl.read} and with {@link #sdkRead} below.
 */
class StreamBindingReadTest {
    @Test
    void readsWhatTheSdkReadsOnGeneratedAndBentEntries() {
        StreamBinding binding = new StreamBinding(false);
        Random random = new Random(45);
        int events = 0;
        int refused = 0;
        for (int i = 0; i < 4000; i++) {
            Object[] written = binding.encode(GeneratedEvents.generated(random, i));
            List<byte[]> names = new ArrayList<>();
            List<byte[]> values = new ArrayList<>();
            for (int f = 0; f < written.length; f += 2) {
                names.add((byte[]) written[f]);
                values.add((byte[]) written[f + 1]);
            }
            String bent = random.nextInt(3) == 0 ? "as written" : bend(random, names, values);
            Map<byte[], byte[]> entry = new LinkedHashMap<>();
            for (int f = 0; f < names.size(); f++) {
                entry.put(names.get(f), values.get(f));
            }
            // the fields in order, a name possibly twice (an entry may repeat a field; the first one counts)
            List<Map.Entry<String, byte[]>> fields = new ArrayList<>();
            entry.forEach((k, v) -> fields.add(Map.entry(text(k), v)));
            if (first(fields, "ce-specversion") == null || first(fields, "content-type") != null
                    && text(first(fields, "content-type")).toLowerCase(Locale.ROOT)
                    .startsWith("application/cloudevents")) {
                continue; // not binary mode: decode reads it as before, without the code under test
            }

            ReceivedMessage actual = binding.decode("t", "1-" + i, entry, 1, null);
            Object expected = sdkRead(fields);

            Object got = actual.isInvalid() ? actual.invalidReason() : actual.event();
            assertThat(got).as("entry %d (%s): %s", i, bent, fields.stream().map(Map.Entry::getKey).toList())
                    .isEqualTo(expected);
            if (actual.isInvalid()) {
                refused++;
            } else {
                events++;
            }
        }
        assertThat(events).as("entries read as events").isGreaterThan(2500);
        assertThat(refused).as("entries both readers refuse").isGreaterThan(50);
    }

    /** Bends one aspect of an entry as a foreign writer might; returns what it did. */
    private static String bend(Random random, List<byte[]> names, List<byte[]> values) {
        int at = random.nextInt(names.size());
        switch (random.nextInt(7)) {
            case 0 -> {
                names.add(0, names.remove(names.size() - 1));
                values.add(0, values.remove(values.size() - 1));
                return "last field first";
            }
            case 1 -> {
                names.add(bytes("ce-MyExt"));
                values.add(bytes("v " + random.nextInt(5)));
                names.add(bytes("x-other"));
                values.add(bytes("not an attribute"));
                return "an extension in mixed case and a foreign field";
            }
            case 2 -> {
                names.add(bytes("content-type"));
                values.add(bytes(random.nextBoolean() ? "text/csv" : "application/json"));
                return "a second content-type";
            }
            case 3 -> {
                values.set(at, bytes(random.nextBoolean() ? "" : "not a time or uri \u0000"));
                return text(names.get(at)) + " bent";
            }
            case 4 -> {
                names.add(bytes("ce-time"));
                values.add(bytes(random.nextBoolean() ? "yesterday" : "2026-12-05T10:00:00.5+01:00"));
                return "time set";
            }
            case 5 -> {
                names.add(bytes("ce-specversion"));
                values.add(bytes(random.nextBoolean() ? "0.2" : "0.3"));
                return "spec version set";
            }
            default -> {
                int id = names.indexOf(names.stream().filter(n -> text(n).equals("ce-id")).findFirst().orElse(null));
                if (id >= 0) {
                    names.remove(id);
                    values.remove(id);
                }
                return "no id";
            }
        }
    }

    /** The value of the first field named {@code name}, or null. */
    private static byte[] first(List<Map.Entry<String, byte[]>> fields, String name) {
        return fields.stream().filter(f -> f.getKey().equals(name)).map(Map.Entry::getValue).findFirst()
                .orElse(null);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * The SDK's generic binary reader over an entry's fields, as the binding read before it read them itself:
     * {@code content-type} as the data content type, {@code ce-<name>} as attribute {@code <name>}, values as UTF-8
     * text, the first {@code data} field as the data.
     */
    private static final SdkBinaryReading.Naming<byte[]> SDK_NAMING = new SdkBinaryReading.Naming<>("content-type",
            key -> key.length() > 3 && key.startsWith("ce-"), key -> key.substring(3), StreamBindingReadTest::text);

    /** The event the SDK reads, or its reason for refusing the entry. */
    private static Object sdkRead(List<Map.Entry<String, byte[]>> fields) {
        return SdkBinaryReading.read(first(fields, "ce-specversion"), fields, first(fields, "data"), SDK_NAMING);
    }
}
