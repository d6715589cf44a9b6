package dev.omnibus.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import dev.omnibus.Extensions;
import dev.omnibus.spi.EventBuilders;
import dev.omnibus.spi.EventTime;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.StructuredJson;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.CloudEventUtils;
import io.cloudevents.core.data.BytesCloudEventData;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.rw.CloudEventContextWriter;
import io.cloudevents.rw.CloudEventWriter;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * CloudEvents on AMQP 0-9-1 messages; stateless and thread-safe.
 *
 * <p>Binary mode (the default): every attribute and extension but {@code datacontenttype} is a message header named
 * {@code cloudEvents_<name>} (the CloudEvents AMQP binding's application-property naming, with the {@code _}
 * separator that JMS selectors and Spring's binding use; a reader also accepts the binding's older
 * {@code cloudEvents:} prefix), its value the canonical string form; {@code datacontenttype} is the
 * {@code content-type} property; the data is the body. Structured mode: {@code content-type}
 * {@code application/cloudevents+json} and the JSON event as the body. A reader picks the mode per message from the
 * content type. Every message also carries the event id as its {@code message-id} property and is persistent
 * (delivery mode 2).
 */
final class AmqpBinding {
    static final String PREFIX = "cloudEvents_";
    static final String LEGACY_PREFIX = "cloudEvents:";
    private static final String STRUCTURED_PREFIX = "application/cloudevents";
    private static final String DATACONTENTTYPE = "datacontenttype";
    private static final String CONTENT_TYPE_HEADER = "content-type";
    private static final int PERSISTENT = 2;

    private final boolean structured;

    AmqpBinding(boolean structured) {
        this.structured = structured;
    }

    /** One message: its properties (headers included) and its body. */
    record Message(AMQP.BasicProperties properties, byte[] body) {
    }

    /** The message for {@code event}, with {@code extraHeaders} (may be empty) added to its headers. */
    Message encode(CloudEvent event) {
        if (structured) {
            EventFormat json = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().contentType(JsonFormat.CONTENT_TYPE)
                    .deliveryMode(PERSISTENT).messageId(event.getId()).build();
            return new Message(props, StructuredJson.serialize(json, event));
        }
        Map<String, Object> headers = new HashMap<>(16);
        headers.put(PREFIX + "specversion", event.getSpecVersion().toString());
        String[] contentType = new String[1];
        CloudEventUtils.toContextReader(event).readContext(new CloudEventContextWriter() {
            @Override
            public CloudEventContextWriter withContextAttribute(String name, OffsetDateTime value) {
                return withContextAttribute(name, EventTime.format(value)); // the SDK's text, faster
            }

            @Override
            public CloudEventContextWriter withContextAttribute(String name, String value) {
                if (name.equals(DATACONTENTTYPE)) {
                    contentType[0] = value;
                } else if (!name.equals("specversion")) {
                    headers.put(PREFIX + name, value);
                }
                return this;
            }
        });
        CloudEventData data = event.getData();
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().contentType(contentType[0])
                .deliveryMode(PERSISTENT).messageId(event.getId()).headers(headers).build();
        return new Message(props, data == null ? new byte[0] : data.toBytes());
    }

    /**
     * Decodes one message; one that is not a CloudEvent (no {@code cloudEvents_specversion} and no structured content
     * type, a missing required attribute, unparsable JSON) becomes {@link ReceivedMessage#invalid}, never an
     * exception.
     *
     * @param attempt the delivery's attempt (1 = first)
     * @param position the position to report
     * @param handle the receiver's settle handle
     * @param sources the receiver's cache of parsed sources
     */
    static ReceivedMessage decode(String topic, AMQP.BasicProperties props, byte[] body, int attempt, String position,
                                  Object handle, EventBuilders.Sources sources) {
        Map<String, Object> headers = props.getHeaders() == null ? Map.of() : props.getHeaders();
        String contentType = props.getContentType();
        String reason;
        try {
            CloudEvent event;
            if (contentType != null && contentType.regionMatches(true, 0, STRUCTURED_PREFIX, 0,
                    STRUCTURED_PREFIX.length())) {
                EventFormat format = EventFormatProvider.getInstance().resolveFormat(contentType);
                if (format == null) {
                    return invalid(topic, props, body, "no event format for content-type '" + contentType + "'",
                            attempt, position, handle);
                }
                event = StructuredJson.isStructured(contentType) ? StructuredJson.deserialize(format, body)
                        : format.deserialize(body);
            } else {
                Object specVersion = header(headers, "specversion");
                if (specVersion == null) {
                    return invalid(topic, props, body, "no header " + PREFIX + "specversion and no structured "
                            + "content-type: not a CloudEvent", attempt, position, handle);
                }
                event = readBinary(SpecVersion.parse(text(specVersion)), headers, contentType, body, sources);
            }
            Object key = event.getExtension(Extensions.PARTITION_KEY);
            return ReceivedMessage.event(topic, event).deliveryCount(attempt).position(position)
                    .orderingKey(key == null ? null : key.toString()).handle(handle).build();
        } catch (RuntimeException e) {
            reason = "not a valid CloudEvent: " + e.getMessage();
        }
        return invalid(topic, props, body, reason, attempt, position, handle);
    }

    private static Object header(Map<String, Object> headers, String attribute) {
        Object v = headers.get(PREFIX + attribute);
        return v != null ? v : headers.get(LEGACY_PREFIX + attribute);
    }

    /** A foreign message: its body, and its headers and content type as text. */
    private static ReceivedMessage invalid(String topic, AMQP.BasicProperties props, byte[] body, String reason,
                                           int attempt, String position, Object handle) {
        Map<String, String> raw = new LinkedHashMap<>();
        if (props.getContentType() != null) {
            raw.put("content-type", props.getContentType());
        }
        if (props.getHeaders() != null) {
            props.getHeaders().forEach((k, v) -> raw.put(k, text(v)));
        }
        return ReceivedMessage.invalid(topic, body, raw, reason).deliveryCount(attempt).position(position)
                .handle(handle).build();
    }

    /**
     * The canonical text of a header value as another producer may have written it: AMQP strings arrive as
     * {@link LongString}, timestamps as {@link Date}, numbers and booleans as themselves, bytes as arrays.
     */
    static String text(Object value) {
        if (value == null) {
            return "";
        }
        if (value instanceof LongString || value instanceof byte[]) {
            byte[] b = value instanceof LongString ? ((LongString) value).getBytes() : (byte[]) value;
            return new String(b, StandardCharsets.UTF_8);
        }
        if (value instanceof Date) {
            return ((Date) value).toInstant().toString();
        }
        if (value instanceof List) {
            return String.valueOf(value);
        }
        return value.toString();
    }

    /**
     * A binary-mode message's event, read into {@link EventBuilders#writer} as the SDK's generic binary reader
     * ({@code BaseGenericBinaryMessageReaderImpl.read}) read it when this binding used one: the {@code content-type}
     * property first, then the headers in the map's order, a {@code content-type} header as the data content type,
     * every {@code cloudEvents_<name>} or {@code cloudEvents:<name>} header but the spec version as attribute
     * {@code <name>} lower-cased (the usual names as constants, without cutting and lower-casing each), values as
     * {@link #text}; the body as the data unless empty. Without the generic reader's per-header lambda and its reader
     * object; {@code AmqpBindingReadTest} checks the result against the SDK's reading.
     */
    private static CloudEvent readBinary(SpecVersion version, Map<String, Object> headers, String contentType,
                                         byte[] body, EventBuilders.Sources sources) {
        CloudEventWriter<CloudEvent> writer = EventBuilders.writer(version, sources);
        if (contentType != null) {
            writer.withContextAttribute(DATACONTENTTYPE, contentType);
        }
        for (Map.Entry<String, Object> h : headers.entrySet()) {
            Object value = h.getValue();
            if (value == null) {
                continue;
            }
            String key = h.getKey();
            if (key.equals(CONTENT_TYPE_HEADER)) {
                writer.withContextAttribute(DATACONTENTTYPE, text(value));
            } else if (key.length() > PREFIX.length() && (key.startsWith(PREFIX) || key.startsWith(LEGACY_PREFIX))) {
                String name = EventBuilders.usualAttribute(key, PREFIX.length()); // LEGACY_PREFIX: as long
                if (name == null) {
                    name = key.substring(PREFIX.length()).toLowerCase(Locale.ROOT);
                }
                if (!name.equals("specversion")) {
                    writer.withContextAttribute(name, text(value));
                }
            }
        }
        return body.length == 0 ? writer.end() : writer.end(BytesCloudEventData.wrap(body));
    }
}
