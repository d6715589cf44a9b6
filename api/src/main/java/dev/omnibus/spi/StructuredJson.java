package dev.omnibus.spi;

import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.rw.CloudEventDataMapper;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * Structured mode ({@code application/cloudevents+json}) with JSON data kept byte for byte. The CloudEvents JSON
 * format embeds JSON data as a JSON value ({@code "data": {...}}), and the SDK's format parses it into a tree on the
 * way in and prints the tree on the way out: whitespace, key order kept, but number forms ({@code 1.50},
 * {@code 1e3}), escapes and spacing come back changed, so a consumer's signature or hash over the data no longer
 * matches. This wraps any JSON {@link EventFormat}: it lets the format write and read the envelope (attributes,
 * extensions, {@code data_base64}), then puts the data's own bytes back: on the way out the original JSON value in
 * place of the format's reprint, on the way in the exact bytes of the {@code data} member as they stand in the
 * message (what the producer wrote). The envelope stays valid JSON a foreign consumer reads as before.
 *
 * <p>Where the data bytes are not exactly one JSON value in UTF-8 (surrounding whitespace allowed), or the envelope
 * is not UTF-8 JSON this class can scan, the format's own result stands. Stateless and thread-safe.
 */
public final class StructuredJson {
    private static final byte[] DATA = "data".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA_CONTENT_ENCODING = "datacontentencoding".getBytes(StandardCharsets.US_ASCII);

    private StructuredJson() {
    }

    /**
     * {@code format.serialize(event)}, with JSON data written as the event's own bytes.
     *
     * @throws RuntimeException whatever {@code format} throws for an event it cannot write
     */
    public static byte[] serialize(EventFormat format, CloudEvent event) {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(event, "event");
        byte[] envelope = format.serialize(event);
        CloudEventData data = event.getData();
        if (data == null || !isJson(event.getDataContentType())) {
            return envelope;
        }
        byte[] raw = data.toBytes();
        int[] value = trimmed(raw);
        int[] span = dataSpan(envelope);
        if (value == null || span == null || skipValue(raw, value[0]) != value[1] || !utf8(raw)) {
            return envelope;
        }
        // the whole of raw, whitespace around the value too: JSON allows it there, and the reader takes it back
        byte[] out = new byte[envelope.length - (span[1] - span[0]) + raw.length];
        System.arraycopy(envelope, 0, out, 0, span[0]);
        System.arraycopy(raw, 0, out, span[0], raw.length);
        System.arraycopy(envelope, span[1], out, span[0] + raw.length, envelope.length - span[1]);
        return out;
    }

    /**
     * {@code format.deserialize(bytes)}, with JSON data given as the bytes of the message's {@code data} member.
     *
     * @throws RuntimeException whatever {@code format} throws for bytes that are not a structured CloudEvent
     */
    public static CloudEvent deserialize(EventFormat format, byte[] bytes) {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(bytes, "bytes");
        return restoreData(format.deserialize(bytes), bytes);
    }

    /**
     * For a reader that let the SDK decode a structured message itself (a binding's message reader): {@code event}
     * with its JSON data replaced by the bytes of the {@code data} member in {@code envelope}, the message's payload.
     * Call it only for a structured message ({@link #isStructured}): a binary message's payload is the data itself.
     *
     * @return {@code event} itself where its data is not JSON or the envelope carries it as {@code data_base64}
     */
    public static CloudEvent restoreData(CloudEvent event, byte[] envelope) {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(envelope, "envelope");
        if (event.getData() == null || !isJson(event.getDataContentType())) {
            return event;
        }
        int[] span = dataSpan(envelope);
        if (span == null) {
            return event; // data_base64: the format decoded the bytes exactly
        }
        return CloudEventBuilder.from(event).withData(Arrays.copyOfRange(envelope, span[0], span[1])).build();
    }

    /** Whether a message's content type says structured JSON mode ({@code application/cloudevents+json...}). */
    public static boolean isStructured(String contentType) {
        return contentType != null && contentType.trim().toLowerCase(Locale.ROOT)
                .startsWith("application/cloudevents+json");
    }

    /**
     * {@code json} wrapped for writers that take an {@link EventFormat} (a binding's
     * {@code writeStructured(event, format)}): its {@code serialize} is {@link #serialize}, its {@code deserialize}
     * {@link #deserialize}; content types are {@code json}'s.
     */
    public static EventFormat format(EventFormat json) {
        Objects.requireNonNull(json, "json");
        return new EventFormat() {
            @Override
            public byte[] serialize(CloudEvent event) {
                return StructuredJson.serialize(json, event);
            }

            @Override
            public CloudEvent deserialize(byte[] bytes, CloudEventDataMapper<? extends CloudEventData> mapper) {
                return restoreData(json.deserialize(bytes, mapper), bytes);
            }

            @Override
            public java.util.Set<String> deserializableContentTypes() {
                return json.deserializableContentTypes();
            }

            @Override
            public String serializedContentType() {
                return json.serializedContentType();
            }

            @Override
            public String toString() {
                return "StructuredJson(" + json + ")";
            }
        };
    }

    /**
     * Whether the JSON format embeds data of this content type as a JSON value: none (the format's default is JSON),
     * {@code application/json}, {@code text/json}, or a {@code +json} suffix, parameters aside.
     */
    static boolean isJson(String contentType) {
        if (contentType == null) {
            return true;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim()
                .toLowerCase(Locale.ROOT);
        return type.equals("application/json") || type.equals("text/json") || type.endsWith("+json");
    }

    /**
     * The span of the top-level member {@code "data"}'s value in the object {@code json}, whitespace around it
     * included, or null: also when the object has a top-level {@code "datacontentencoding"} (spec 0.3's base64
     * marker, which the format writes for a content type it does not take for JSON, such as {@code +json} types):
     * that data member is a base64 string, not the event's JSON.
     */
    static int[] dataSpan(byte[] json) {
        int i = skipSpace(json, 0);
        if (i >= json.length || json[i] != '{') {
            return null;
        }
        int[] span = null;
        i = skipSpace(json, i + 1);
        while (i < json.length && json[i] == '"') {
            int keyEnd = skipString(json, i);
            if (keyEnd < 0) {
                return null;
            }
            boolean isData = isKey(json, i, keyEnd, DATA);
            if (isKey(json, i, keyEnd, DATA_CONTENT_ENCODING)) {
                return null;
            }
            i = skipSpace(json, keyEnd);
            if (i >= json.length || json[i] != ':') {
                return null;
            }
            int end = skipValue(json, skipSpace(json, i + 1));
            if (end < 0) {
                return null;
            }
            if (isData) {
                // whitespace around the value belongs to the data: the format writes none there itself
                span = new int[] {i + 1, skipSpace(json, end)};
            }
            i = skipSpace(json, end);
            if (i < json.length && json[i] == ',') {
                i = skipSpace(json, i + 1);
            }
        }
        return span;
    }

    /** Whether the JSON string from {@code start} (its opening quote) to {@code end} (past its close) is {@code key}. */
    private static boolean isKey(byte[] json, int start, int end, byte[] key) {
        if (end - start != key.length + 2) {
            return false;
        }
        for (int k = 0; k < key.length; k++) {
            if (json[start + 1 + k] != key[k]) {
                return false;
            }
        }
        return true;
    }

    /** Where the JSON value in {@code raw} starts and ends, whitespace around it aside; null if there is none. */
    private static int[] trimmed(byte[] raw) {
        int start = skipSpace(raw, 0);
        int end = raw.length;
        while (end > start && isSpace(raw[end - 1])) {
            end--;
        }
        return start < end ? new int[] {start, end} : null;
    }

    /**
     * The index just past the JSON value starting at {@code i}, found by its structure (strings, nesting); -1 when
     * it does not end. It does not validate numbers or literals: the format has parsed the value already.
     */
    static int skipValue(byte[] b, int i) {
        if (i >= b.length) {
            return -1;
        }
        if (b[i] == '"') {
            return skipString(b, i);
        }
        if (b[i] == '{' || b[i] == '[') {
            int depth = 0;
            while (i < b.length) {
                byte c = b[i];
                if (c == '"') {
                    i = skipString(b, i);
                    if (i < 0) {
                        return -1;
                    }
                    continue;
                }
                if (c == '{' || c == '[') {
                    depth++;
                } else if (c == '}' || c == ']') {
                    depth--;
                    if (depth == 0) {
                        return i + 1;
                    }
                }
                i++;
            }
            return -1;
        }
        int start = i;
        while (i < b.length && b[i] != ',' && b[i] != '}' && b[i] != ']' && !isSpace(b[i])) {
            i++;
        }
        return i > start ? i : -1;
    }

    /** The index just past the string starting at {@code i} (a quote), or -1 when it does not end. */
    private static int skipString(byte[] b, int i) {
        i++;
        while (i < b.length) {
            if (b[i] == '\\') {
                i += 2;
            } else if (b[i] == '"') {
                return i + 1;
            } else {
                i++;
            }
        }
        return -1;
    }

    private static int skipSpace(byte[] b, int i) {
        while (i < b.length && isSpace(b[i])) {
            i++;
        }
        return i;
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    private static boolean utf8(byte[] raw) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
