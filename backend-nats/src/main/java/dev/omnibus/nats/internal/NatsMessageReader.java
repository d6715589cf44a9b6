package dev.omnibus.nats.internal;

import dev.omnibus.nats.NatsBinding;
import dev.omnibus.spi.EventBuilders;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.data.BytesCloudEventData;
import io.cloudevents.core.message.MessageReader;
import io.cloudevents.core.message.impl.BaseGenericBinaryMessageReaderImpl;
import io.cloudevents.core.message.impl.GenericStructuredMessageReader;
import io.cloudevents.core.message.impl.MessageUtils;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.rw.CloudEventWriter;
import io.nats.client.impl.Headers;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Reads a binary-mode jnats message ({@code ce-} headers) with the SDK's generic header reader; immutable. Not API:
 * use {@link NatsBinding}. Header names match case-insensitively; {@code ce-datacontenttype} wins over
 * {@code content-type} when both are present.
 *
 * <p>The headers are walked once ({@link Scan}): jnats keeps them in a hash map, and looking up
 * {@code content-type}, {@code ce-specversion} and {@code ce-datacontenttype} case-insensitively, one walk each,
 * before the SDK's walk over all of them, was 40 % of NATS core's receive thread. The single walk sees the headers
 * in the map's order, as the separate ones did, so a name present in two spellings resolves as before.
 *
 * <p>{@link #toEvent(Headers, byte[], EventBuilders.Sources)} reads a binary-mode message from that walk straight into
 * {@link EventBuilders#writer}, as the SDK's generic reader ({@link #of} read by {@link EventBuilders#toEvent}) does
 * but without its per-header lambda and without cutting and lower-casing each usual {@code ce-} name anew; that
 * reading was a third of the decoding on a JetStream receive thread. {@code NatsMessageReaderTest} checks it against
 * the SDK's reading on generated messages.
 */
public final class NatsMessageReader extends BaseGenericBinaryMessageReaderImpl<String, String> {
    private static final String STRUCTURED_PREFIX = "application/cloudevents";
    private final Scan scan;

    private NatsMessageReader(SpecVersion version, Scan scan, byte[] body) {
        super(version, body == null || body.length == 0 ? null : BytesCloudEventData.wrap(body));
        this.scan = scan;
    }

    /**
     * The reader for a message: structured when {@code content-type} names a known event format
     * ({@code application/cloudevents+json}), else binary when it has {@code ce-specversion}.
     *
     * @throws io.cloudevents.rw.CloudEventRWException when it is neither
     */
    public static MessageReader of(Headers headers, byte[] body) {
        return of(new Scan(headers), body);
    }

    /**
     * The event a message carries: what {@link EventBuilders#toEvent(MessageReader, EventBuilders.Sources)
     * EventBuilders.toEvent(of(headers, body), sources)} returns (the same event, or the same error), a plain
     * binary-mode message read without the SDK's generic reader. Structured messages, messages with a content type
     * the SDK takes for an event format it does not know, and messages without a spec version go through {@link #of}.
     *
     * @param sources the parsed-source cache of the message stream, or null for none
     * @throws io.cloudevents.rw.CloudEventRWException when it is not a CloudEvent (as {@link #of} and the SDK's read)
     * @throws IllegalArgumentException                 when a header value is malformed (percent-encoding, UTF-8)
     */
    public static CloudEvent toEvent(Headers headers, byte[] body, EventBuilders.Sources sources) {
        Scan scan = new Scan(headers);
        String contentType = scan.contentType;
        // the SDK's MessageUtils.parseStructuredOrBinaryMessage decides the mode on the raw content-type value: a
        // known format is structured, an unknown "application/cloudevents..." an error, else a spec version is binary
        if (scan.specVersion == null || contentType != null && (contentType.startsWith(STRUCTURED_PREFIX)
                || EventFormatProvider.getInstance().resolveFormat(contentType) != null)) {
            return EventBuilders.toEvent(of(scan, body), sources);
        }
        CloudEventWriter<CloudEvent> writer = EventBuilders.writer(
                SpecVersion.parse(HeaderValues.decode(scan.specVersion)), sources);
        // the SDK's BaseGenericBinaryMessageReaderImpl.read, header by header in the same order
        for (int i = 0; i < scan.size; i++) {
            String key = scan.keys[i];
            String value = scan.values[i];
            if (value == null) {
                continue;
            }
            if (!scan.ceContentType && is(key, NatsBinding.CONTENT_TYPE)) {
                writer.withContextAttribute("datacontenttype", HeaderValues.decode(value));
            } else if (isCloudEvents(key)) {
                String name = EventBuilders.usualAttribute(key, NatsBinding.CE_PREFIX.length());
                if (name == null) {
                    name = toKey(key);
                }
                if (!name.equals("specversion")) {
                    writer.withContextAttribute(name, HeaderValues.decode(value));
                }
            }
        }
        return body == null || body.length == 0 ? writer.end() : writer.end(BytesCloudEventData.wrap(body));
    }

    private static MessageReader of(Scan scan, byte[] body) {
        return MessageUtils.parseStructuredOrBinaryMessage(
                () -> scan.contentType,
                format -> new GenericStructuredMessageReader(format, body == null ? new byte[0] : body),
                () -> scan.specVersion == null ? null : HeaderValues.decode(scan.specVersion),
                version -> new NatsMessageReader(version, scan, body));
    }

    @Override
    protected boolean isContentTypeHeader(String key) {
        return !scan.ceContentType && is(key, NatsBinding.CONTENT_TYPE);
    }

    @Override
    protected boolean isCloudEventsHeader(String key) {
        return isCloudEvents(key);
    }

    // the exact-case tests first: writers use the lower-case names, and the case-insensitive String methods compare
    // character by character through Character.toUpperCase/toLowerCase
    private static boolean isCloudEvents(String key) {
        return key.length() > NatsBinding.CE_PREFIX.length() && (key.startsWith(NatsBinding.CE_PREFIX)
                || key.regionMatches(true, 0, NatsBinding.CE_PREFIX, 0, NatsBinding.CE_PREFIX.length()));
    }

    private static boolean is(String key, String lowerCaseName) {
        return key.equals(lowerCaseName) || key.equalsIgnoreCase(lowerCaseName);
    }

    @Override
    protected String toCloudEventsKey(String key) {
        return toKey(key);
    }

    private static String toKey(String key) {
        return key.substring(NatsBinding.CE_PREFIX.length()).toLowerCase(Locale.ROOT);
    }

    @Override
    protected void forEachHeader(BiConsumer<String, String> fn) {
        for (int i = 0; i < scan.size; i++) {
            fn.accept(scan.keys[i], scan.values[i]);
        }
    }

    @Override
    protected String toCloudEventsValue(String value) {
        return HeaderValues.decode(value);
    }

    /**
     * One walk over a message's headers: each name with its first value (names without a value are left out, as the
     * reader skips them), and the first {@code content-type} and {@code ce-specversion} in any case, and whether a
     * {@code ce-datacontenttype} is there. Not thread-safe; a reader's own.
     */
    private static final class Scan {
        private static final String SPEC_VERSION = NatsBinding.CE_PREFIX + "specversion";
        private static final String DATA_CONTENT_TYPE = NatsBinding.CE_PREFIX + "datacontenttype";

        String contentType;
        String specVersion;
        boolean ceContentType;
        String[] keys;
        String[] values;
        int size;

        Scan(Headers headers) {
            int n = headers == null ? 0 : headers.size();
            keys = new String[n];
            values = new String[n];
            if (n == 0) {
                return;
            }
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (e.getValue().isEmpty() || size == n) {
                    continue;
                }
                String key = e.getKey();
                String value = e.getValue().get(0);
                keys[size] = key;
                values[size++] = value;
                if (isCloudEvents(key)) {
                    if (specVersion == null && is(key, SPEC_VERSION)) {
                        specVersion = value;
                    } else if (is(key, DATA_CONTENT_TYPE)) {
                        ceContentType = true;
                    }
                } else if (contentType == null && is(key, NatsBinding.CONTENT_TYPE)) {
                    contentType = value;
                }
            }
        }
    }
}
