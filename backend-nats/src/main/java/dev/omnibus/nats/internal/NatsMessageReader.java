package dev.omnibus.nats.internal;

import dev.omnibus.nats.NatsBinding;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.data.BytesCloudEventData;
import io.cloudevents.core.message.MessageReader;
import io.cloudevents.core.message.impl.BaseGenericBinaryMessageReaderImpl;
import io.cloudevents.core.message.impl.GenericStructuredMessageReader;
import io.cloudevents.core.message.impl.MessageUtils;
import io.nats.client.impl.Headers;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Reads a binary-mode jnats message ({@code ce-} headers) with the SDK's generic header reader; immutable. Not API:
 * use {@link NatsBinding}. Header names match case-insensitively; {@code ce-datacontenttype} wins over
 * {@code content-type} when both are present.
 */
public final class NatsMessageReader extends BaseGenericBinaryMessageReaderImpl<String, String> {
    private final Headers headers;
    private final boolean ceContentType;

    private NatsMessageReader(SpecVersion version, Headers headers, byte[] body) {
        super(version, body == null || body.length == 0 ? null : BytesCloudEventData.wrap(body));
        this.headers = headers;
        this.ceContentType = first(headers, NatsBinding.CE_PREFIX + "datacontenttype") != null;
    }

    /**
     * The reader for a message: structured when {@code content-type} names a known event format
     * ({@code application/cloudevents+json}), else binary when it has {@code ce-specversion}.
     *
     * @throws io.cloudevents.rw.CloudEventRWException when it is neither
     */
    public static MessageReader of(Headers headers, byte[] body) {
        return MessageUtils.parseStructuredOrBinaryMessage(
                () -> first(headers, NatsBinding.CONTENT_TYPE),
                format -> new GenericStructuredMessageReader(format, body == null ? new byte[0] : body),
                () -> {
                    String v = first(headers, NatsBinding.CE_PREFIX + "specversion");
                    return v == null ? null : HeaderValues.decode(v);
                },
                version -> new NatsMessageReader(version, headers, body));
    }

    /** The first value of header {@code name} (any case), or {@code null}. */
    static String first(Headers headers, String name) {
        if (headers == null) {
            return null;
        }
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    @Override
    protected boolean isContentTypeHeader(String key) {
        return !ceContentType && key.equalsIgnoreCase(NatsBinding.CONTENT_TYPE);
    }

    @Override
    protected boolean isCloudEventsHeader(String key) {
        return key.length() > NatsBinding.CE_PREFIX.length()
                && key.regionMatches(true, 0, NatsBinding.CE_PREFIX, 0, NatsBinding.CE_PREFIX.length());
    }

    @Override
    protected String toCloudEventsKey(String key) {
        return key.substring(NatsBinding.CE_PREFIX.length()).toLowerCase(Locale.ROOT);
    }

    @Override
    protected void forEachHeader(BiConsumer<String, String> fn) {
        for (Map.Entry<String, List<String>> e : headers.entrySet()) {
            if (!e.getValue().isEmpty()) {
                fn.accept(e.getKey(), e.getValue().get(0));
            }
        }
    }

    @Override
    protected String toCloudEventsValue(String value) {
        return HeaderValues.decode(value);
    }
}
