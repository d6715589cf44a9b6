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
 * <p>Data of a JSON content type whose bytes are not exactly one JSON value in UTF-8 (surrounding whitespace
 * allowed) goes out as base64, which any reader takes back byte for byte. Where the envelope is not JSON this class
 * can scan, the format's own result stands. Stateless and thread-safe.
 */
public final class StructuredJson {
    private static final byte[] DATA = "data".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA_CONTENT_ENCODING = "datacontentencoding".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA_CONTENT_TYPE = "datacontenttype".getBytes(StandardCharsets.US_ASCII);
    private static final String OCTET_STREAM = "application/octet-stream";

    private StructuredJson() {
    }

    /**
     * {@code format.serialize(event)}, with JSON data written as the event's own bytes. Data whose content type says
     * JSON (or that has none, which means JSON) but whose bytes are not one JSON value in UTF-8 is written as base64
     * instead ({@code data_base64}; spec 0.3: {@code "datacontentencoding":"base64"}), the content type as it was:
     * the format would embed such bytes as they are, and the envelope would not be JSON any reader could parse.
     *
     * @throws RuntimeException whatever {@code format} throws for an event it cannot write
     */
    public static byte[] serialize(EventFormat format, CloudEvent event) {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(event, "event");
        CloudEventData data = event.getData();
        if (data == null || !isJson(event.getDataContentType())) {
            return format.serialize(event);
        }
        byte[] raw = data.toBytes();
        if (!JsonSyntax.isOneValue(raw) || !utf8(raw)) {
            return asBase64(format, event);
        }
        byte[] envelope = format.serialize(event);
        int[] span = dataSpan(envelope);
        if (span == null) {
            return envelope; // the format wrote the data as base64 itself
        }
        // the whole of raw, whitespace around the value too: JSON allows it there, and the reader takes it back
        return splice(envelope, span[0], span[1], raw);
    }

    /**
     * {@code event} with its data as base64. The format writes base64 for a content type it does not take for JSON,
     * so it gets the event with {@code application/octet-stream}; the envelope then gets the event's own content type
     * back in that member, or loses the member when the event has none. A format that writes no such member (not
     * the CloudEvents JSON format) gets the event as it is.
     */
    private static byte[] asBase64(EventFormat format, CloudEvent event) {
        byte[] envelope = format.serialize(CloudEventBuilder.from(event).withDataContentType(OCTET_STREAM).build());
        int[] member = members(envelope, DATA_CONTENT_TYPE)[0];
        if (member == null) {
            return format.serialize(event);
        }
        String contentType = event.getDataContentType();
        int start;
        int end;
        byte[] replacement;
        if (contentType != null) {
            start = skipSpace(envelope, member[1]);
            end = member[2];
            replacement = jsonString(contentType);
        } else {
            // the member and one comma next to it
            replacement = new byte[0];
            int after = skipSpace(envelope, member[2]);
            if (after < envelope.length && envelope[after] == ',') {
                start = member[0];
                end = skipSpace(envelope, after + 1);
            } else {
                start = member[0];
                while (start > 0 && isSpace(envelope[start - 1])) {
                    start--;
                }
                start = start > 0 && envelope[start - 1] == ',' ? start - 1 : member[0];
                end = member[2];
            }
        }
        return splice(envelope, start, end, replacement);
    }

    /** {@code bytes} with {@code [start, end)} replaced by {@code with}. */
    private static byte[] splice(byte[] bytes, int start, int end, byte[] with) {
        byte[] out = new byte[bytes.length - (end - start) + with.length];
        System.arraycopy(bytes, 0, out, 0, start);
        System.arraycopy(with, 0, out, start, with.length);
        System.arraycopy(bytes, end, out, start + with.length, bytes.length - end);
        return out;
    }

    /** {@code text} as a JSON string literal in UTF-8. */
    private static byte[] jsonString(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 2).append('"');
        for (int k = 0; k < text.length(); k++) {
            char c = text.charAt(k);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString().getBytes(StandardCharsets.UTF_8);
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
        int[][] found = members(json, DATA, DATA_CONTENT_ENCODING);
        if (found[0] == null || found[1] != null) {
            return null;
        }
        // whitespace around the value belongs to the data: the format writes none there itself
        return new int[] {found[0][1], skipSpace(json, found[0][2])};
    }

    /**
     * The top-level members {@code keys} of the object {@code json}, each as {key start, just past its colon, value
     * end}, the last one where a key repeats (as Jackson reads it); an entry is null for a key not there, every entry
     * when {@code json} is not an object this can scan.
     */
    private static int[][] members(byte[] json, byte[]... keys) {
        int[][] found = new int[keys.length][];
        int i = skipSpace(json, 0);
        if (i >= json.length || json[i] != '{') {
            return found;
        }
        i = skipSpace(json, i + 1);
        while (i < json.length && json[i] == '"') {
            int keyStart = i;
            int keyEnd = skipString(json, i);
            if (keyEnd < 0) {
                return new int[keys.length][];
            }
            i = skipSpace(json, keyEnd);
            if (i >= json.length || json[i] != ':') {
                return new int[keys.length][];
            }
            int end = skipValue(json, skipSpace(json, i + 1));
            if (end < 0) {
                return new int[keys.length][];
            }
            for (int k = 0; k < keys.length; k++) {
                if (isKey(json, keyStart, keyEnd, keys[k])) {
                    found[k] = new int[] {keyStart, i + 1, end};
                }
            }
            i = skipSpace(json, end);
            if (i < json.length && json[i] == ',') {
                i = skipSpace(json, i + 1);
            }
        }
        return found;
    }

    /** Whether the JSON string from {@code start} (its opening quote) to {@code end} (past its end) is {@code key}. */
    private static boolean isKey(byte[] json, int start, int end, byte[] key) {
        return Arrays.equals(json, start + 1, end - 1, key, 0, key.length);
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

    /** The index of the first byte from {@code i} on that is not JSON whitespace. */
    static int skipSpace(byte[] b, int i) {
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
