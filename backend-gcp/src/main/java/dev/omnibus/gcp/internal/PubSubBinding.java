package dev.omnibus.gcp.internal;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
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
import io.cloudevents.core.message.impl.BaseGenericBinaryMessageReaderImpl;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.rw.CloudEventContextWriter;

import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The CloudEvents Pub/Sub protocol binding; stateless and thread-safe.
 *
 * <p>Binary mode: attribute {@code ce-<name>} per context attribute and extension (canonical string form),
 * {@code content-type} for {@code datacontenttype}, the data bytes as the message data. Structured mode:
 * {@code content-type: application/cloudevents+json} and the JSON event as data. An event whose attributes do not fit
 * Pub/Sub's limits ({@value #MAX_ATTRIBUTES} attributes, keys up to {@value #MAX_KEY_BYTES} bytes, values up to
 * {@value #MAX_VALUE_BYTES} bytes) is published in structured mode instead: never truncated. A reader picks the mode
 * per message from {@code content-type}, and takes {@code ce-datacontenttype} too.
 */
final class PubSubBinding {
    static final String PREFIX = "ce-";
    static final String CONTENT_TYPE = "content-type";
    static final int MAX_ATTRIBUTES = 100;
    static final int MAX_KEY_BYTES = 256;
    static final int MAX_VALUE_BYTES = 1024;
    private static final String SPECVERSION = "specversion";
    private static final String DATACONTENTTYPE = "datacontenttype";
    private static final String STRUCTURED_PREFIX = "application/cloudevents";

    private final boolean structured;
    /** The parsed source of the last message decoded, for the next that repeats it. */
    private final EventBuilders.Sources sources = new EventBuilders.Sources();

    PubSubBinding(boolean structured) {
        this.structured = structured;
    }

    /** The message for {@code event}, with {@code orderingKey} (empty for none). */
    PubsubMessage encode(CloudEvent event, String orderingKey) {
        PubsubMessage.Builder b = PubsubMessage.newBuilder();
        if (orderingKey != null) {
            b.setOrderingKey(orderingKey);
        }
        if (!structured && putBinaryAttributes(event, b)) {
            CloudEventData data = event.getData();
            return b.setData(data == null ? ByteString.EMPTY : ByteString.copyFrom(data.toBytes())).build();
        }
        b.clearAttributes();
        EventFormat json = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
        return b.putAttributes(CONTENT_TYPE, JsonFormat.CONTENT_TYPE)
                .setData(ByteString.copyFrom(StructuredJson.serialize(json, event))).build();
    }

    /**
     * Puts the binary-mode attributes on {@code b}, straight into the message (no map in between: this runs for every
     * published event); false when they exceed Pub/Sub's attribute limits (the caller clears them).
     */
    private static boolean putBinaryAttributes(CloudEvent event, PubsubMessage.Builder b) {
        boolean[] fits = {true};
        b.putAttributes(PREFIX + SPECVERSION, event.getSpecVersion().toString());
        CloudEventUtils.toContextReader(event).readContext(new CloudEventContextWriter() {
            @Override
            public CloudEventContextWriter withContextAttribute(String name, OffsetDateTime value) {
                return withContextAttribute(name, EventTime.format(value)); // the SDK's text, faster
            }

            @Override
            public CloudEventContextWriter withContextAttribute(String name, String value) {
                if (!name.equals(SPECVERSION)) {
                    String key = key(name);
                    b.putAttributes(key, value);
                    fits[0] &= fitsBytes(key, MAX_KEY_BYTES) && fitsBytes(value, MAX_VALUE_BYTES);
                }
                return this;
            }
        });
        return fits[0] && b.getAttributesCount() <= MAX_ATTRIBUTES;
    }

    /** The attribute key of a context attribute or extension; the usual ones without building a string. */
    private static String key(String name) {
        switch (name) {
            case "id":
                return "ce-id";
            case "source":
                return "ce-source";
            case "type":
                return "ce-type";
            case "subject":
                return "ce-subject";
            case "time":
                return "ce-time";
            case "dataschema":
                return "ce-dataschema";
            case DATACONTENTTYPE:
                return CONTENT_TYPE;
            default:
                return PREFIX + name;
        }
    }

    /** Whether {@code text} is at most {@code max} bytes in UTF-8, counted without encoding it. */
    static boolean fitsBytes(String text, int max) {
        int n = text.length();
        if (n > max) {
            return false; // every char is at least one byte
        }
        if (3 * n <= max) {
            return true; // every char is at most three bytes (a surrogate pair is four bytes for two chars)
        }
        int bytes = 0;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else {
                // a lone surrogate is written as '?', one byte, as String.getBytes does
                bytes += Character.isSurrogate(c) ? 1 : 3;
            }
        }
        return bytes <= max;
    }

    /**
     * Decodes one message; a message that is not a CloudEvent (no {@code ce-specversion} and no structured
     * content type, a missing required attribute, unparsable JSON) becomes {@link ReceivedMessage#invalid}.
     */
    ReceivedMessage decode(String topic, PubsubMessage m, int deliveryCount, Object handle) {
        String id = m.getMessageId();
        Map<String, String> attributes = m.getAttributesMap();
        String contentType = attributes.get(CONTENT_TYPE);
        byte[] data = m.getData().toByteArray();
        String orderingKey = m.getOrderingKey().isEmpty() ? null : m.getOrderingKey();
        try {
            CloudEvent event;
            if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith(STRUCTURED_PREFIX)) {
                EventFormat format = EventFormatProvider.getInstance().resolveFormat(contentType);
                if (format == null) {
                    return invalid(topic, data, attributes, "no event format for content-type '" + contentType + "'",
                            deliveryCount, id, handle);
                }
                event = StructuredJson.isStructured(contentType) ? StructuredJson.deserialize(format, data)
                        : format.deserialize(data);
            } else {
                String specVersion = attributes.get(PREFIX + SPECVERSION);
                if (specVersion == null) {
                    return invalid(topic, data, attributes, "no attribute " + PREFIX + SPECVERSION
                            + " and no structured content-type: not a CloudEvent", deliveryCount, id, handle);
                }
                event = EventBuilders.toEvent(new AttributesReader(SpecVersion.parse(specVersion), attributes,
                        m.getData().isEmpty() && !attributes.containsKey(CONTENT_TYPE)
                                && !attributes.containsKey(PREFIX + DATACONTENTTYPE) ? null : data), sources);
            }
            Object key = event.getExtension(Extensions.PARTITION_KEY);
            return ReceivedMessage.event(topic, event).deliveryCount(deliveryCount).redeliveryKey(id)
                    .orderingKey(orderingKey != null ? orderingKey : key == null ? null : key.toString())
                    .position(id).handle(handle).build();
        } catch (RuntimeException e) {
            return invalid(topic, data, attributes, "not a valid CloudEvent: " + e.getMessage(), deliveryCount, id,
                    handle);
        }
    }

    /** A message that is not a CloudEvent: the message id is its redelivery key and position. */
    private static ReceivedMessage invalid(String topic, byte[] data, Map<String, String> attributes, String reason,
                                           int deliveryCount, String id, Object handle) {
        return ReceivedMessage.invalid(topic, data, attributes, reason).deliveryCount(deliveryCount).redeliveryKey(id)
                .position(id).handle(handle).build();
    }

    /** Reads binary-mode attributes with the SDK's generic header reader; {@code ce-datacontenttype} is read too. */
    private static final class AttributesReader extends BaseGenericBinaryMessageReaderImpl<String, String> {
        private final Map<String, String> attributes;

        AttributesReader(SpecVersion version, Map<String, String> attributes, byte[] data) {
            super(version, data == null ? null : BytesCloudEventData.wrap(data));
            this.attributes = attributes;
        }

        @Override
        protected boolean isContentTypeHeader(String key) {
            return key.equals(CONTENT_TYPE);
        }

        @Override
        protected boolean isCloudEventsHeader(String key) {
            return key.length() > PREFIX.length() && key.startsWith(PREFIX);
        }

        @Override
        protected String toCloudEventsKey(String key) {
            return key.substring(PREFIX.length());
        }

        @Override
        protected void forEachHeader(BiConsumer<String, String> fn) {
            attributes.forEach((k, v) -> {
                if (!(k.equals(PREFIX + DATACONTENTTYPE) && attributes.containsKey(CONTENT_TYPE))) {
                    fn.accept(k, v);
                }
            });
        }

        @Override
        protected String toCloudEventsValue(String value) {
            return value;
        }
    }
}
