package dev.omnibus.redis.internal;

import dev.omnibus.Extensions;
import dev.omnibus.spi.EventBuilders;
import dev.omnibus.spi.EventTime;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.RepeatCache;
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
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The CloudEvents binding for Redis stream entries; thread-safe (its only state is caches of encoded field names and
 * of recently repeated values, which never change what is written).
 *
 * <p>Binary mode: one field {@code ce-<name>} per attribute and extension (values in their canonical string
 * form), {@code content-type} for {@code datacontenttype}, the data bytes in {@code data} (absent when the event
 * has no data). Structured mode: {@code content-type: application/cloudevents+json} and the JSON event in
 * {@code data}. A reader picks the mode per entry from {@code content-type}.
 */
final class StreamBinding {
    static final String PREFIX = "ce-";
    static final String CONTENT_TYPE = "content-type";
    static final String DATA = "data";
    static final String SPECVERSION = "specversion";
    private static final String DATACONTENTTYPE = "datacontenttype";
    private static final String STRUCTURED_PREFIX = "application/cloudevents";

    /** Distinct extension names whose encoded field name is kept; beyond it names are encoded per event. */
    private static final int NAME_CACHE_LIMIT = 1024;
    private static final byte[] CONTENT_TYPE_FIELD = bytes(CONTENT_TYPE);
    private static final byte[] DATA_FIELD = bytes(DATA);
    private static final byte[] STRUCTURED_CONTENT_TYPE = bytes(JsonFormat.CONTENT_TYPE);

    private final boolean structured;
    /** Field names ({@code ce-<name>}) by attribute or extension name, shared by every entry written. */
    private final ConcurrentHashMap<String, byte[]> fieldNames = new ConcurrentHashMap<>();
    /** Values that repeat from event to event in a stream (specversion, source, type, content type). */
    private final RepeatCache specVersions = new RepeatCache();
    private final RepeatCache sources = new RepeatCache();
    private final RepeatCache types = new RepeatCache();
    private final RepeatCache contentTypes = new RepeatCache();
    /** The same, for decoding: texts of repeated field values. */
    private final RepeatCache readSpecVersions = new RepeatCache();
    private final RepeatCache readSources = new RepeatCache();
    private final RepeatCache readTypes = new RepeatCache();
    private final RepeatCache readContentTypes = new RepeatCache();
    /** The parsed source of the last entry read, for the next that repeats it. */
    private final EventBuilders.Sources sourceUris = new EventBuilders.Sources();

    StreamBinding(boolean structured) {
        this.structured = structured;
    }

    /**
     * The entry fields for {@code event} as alternating field names and values, in a stable order ({@code
     * ce-specversion}, the context attributes as the SDK reads them, {@code content-type}, {@code data} last). The
     * arrays may be shared with other entries and must not be modified.
     */
    Object[] encode(CloudEvent event) {
        if (structured) {
            EventFormat json = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE);
            return new Object[] {CONTENT_TYPE_FIELD, STRUCTURED_CONTENT_TYPE, DATA_FIELD, StructuredJson.serialize(json, event)};
        }
        // room for specversion, the seven other v1 attributes, every extension and data: one array, never grown
        Fields fields = new Fields(2 * (9 + event.getExtensionNames().size()));
        fields.add(fieldName(SPECVERSION), specVersions.bytes(event.getSpecVersion().toString()));
        CloudEventUtils.toContextReader(event).readContext(fields);
        CloudEventData data = event.getData();
        if (data != null) {
            fields.add(DATA_FIELD, data.toBytes());
        }
        return fields.toArray();
    }

    /** The read cache for a field's value, or null for fields whose values do not repeat (id, time, ...). */
    private RepeatCache readCache(String field) {
        if (field == null) {
            return null;
        }
        switch (field) {
            case "ce-source":
                return readSources;
            case "ce-type":
                return readTypes;
            case "ce-specversion":
                return readSpecVersions;
            case CONTENT_TYPE:
                return readContentTypes;
            default:
                return null;
        }
    }

    private byte[] fieldName(String attribute) {
        byte[] name = fieldNames.get(attribute);
        if (name == null) {
            name = bytes(PREFIX + attribute);
            if (fieldNames.size() < NAME_CACHE_LIMIT) {
                fieldNames.putIfAbsent(attribute, name);
            }
        }
        return name;
    }

    /** Not thread-safe (one per encode): collects fields in order. */
    private final class Fields implements CloudEventContextWriter {
        private Object[] items;
        private int size;

        Fields(int capacity) {
            items = new Object[capacity];
        }

        void add(byte[] name, byte[] value) {
            if (size + 2 > items.length) {
                items = Arrays.copyOf(items, items.length * 2);
            }
            items[size++] = name;
            items[size++] = value;
        }

        @Override
        public CloudEventContextWriter withContextAttribute(String name, OffsetDateTime value) {
            return withContextAttribute(name, EventTime.format(value)); // the SDK's text, faster
        }

        @Override
        public CloudEventContextWriter withContextAttribute(String name, String value) {
            switch (name) {
                case SPECVERSION:
                    break;
                case DATACONTENTTYPE:
                    add(CONTENT_TYPE_FIELD, contentTypes.bytes(value));
                    break;
                case "source":
                    add(fieldName(name), sources.bytes(value));
                    break;
                case "type":
                    add(fieldName(name), types.bytes(value));
                    break;
                default:
                    add(fieldName(name), bytes(value));
            }
            return this;
        }

        Object[] toArray() {
            return size == items.length ? items : Arrays.copyOf(items, size);
        }
    }

    /**
     * Decodes one entry; an entry that is not a CloudEvent (no {@code ce-specversion}, a missing required
     * attribute, unparsable structured JSON) becomes {@link ReceivedMessage#invalid}, never an exception.
     */
    ReceivedMessage decode(String topic, String id, Map<byte[], byte[]> body, int deliveryCount, Object handle) {
        EntryFields fields = new EntryFields(body.size());
        body.forEach((k, v) -> fields.add(KnownField.name(k), v == null ? new byte[0] : v));
        byte[] contentType = fields.get(CONTENT_TYPE);
        String reason;
        try {
            CloudEvent event;
            String type = contentType == null ? null : readContentTypes.text(contentType);
            if (type != null && type.regionMatches(true, 0, STRUCTURED_PREFIX, 0, STRUCTURED_PREFIX.length())) {
                EventFormat format = EventFormatProvider.getInstance().resolveFormat(type);
                if (format == null) {
                    return invalid(topic, id, fields, "no event format for content-type '" + text(contentType) + "'",
                            deliveryCount, handle);
                }
                byte[] json = fields.get(DATA);
                byte[] envelope = json == null ? new byte[0] : json;
                event = StructuredJson.isStructured(type) ? StructuredJson.deserialize(format, envelope)
                        : format.deserialize(envelope);
            } else {
                byte[] specVersion = fields.get(PREFIX + SPECVERSION);
                if (specVersion == null) {
                    return invalid(topic, id, fields, "no field " + PREFIX + SPECVERSION
                            + " and no structured content-type: not a CloudEvent", deliveryCount, handle);
                }
                event = readBinary(SpecVersion.parse(readSpecVersions.text(specVersion)), fields);
            }
            return ReceivedMessage.event(topic, event).deliveryCount(deliveryCount).redeliveryKey(id)
                    .orderingKey(partitionKey(event)).position(id).handle(handle).build();
        } catch (RuntimeException e) {
            reason = "not a valid CloudEvent: " + e.getMessage();
        }
        return invalid(topic, id, fields, reason, deliveryCount, handle);
    }

    private static String partitionKey(CloudEvent event) {
        Object key = event.getExtension(Extensions.PARTITION_KEY);
        return key == null ? null : key.toString();
    }

    /**
     * The raw body of a foreign entry is its {@code data} field, else its only field's value, else empty; the other
     * fields become headers.
     */
    private static ReceivedMessage invalid(String topic, String id, EntryFields fields, String reason,
                                           int deliveryCount, Object handle) {
        String bodyField = fields.get(DATA) != null ? DATA : fields.size() == 1 ? fields.name(0) : null;
        Map<String, String> headers = new LinkedHashMap<>();
        fields.forEach((k, v) -> {
            if (!k.equals(bodyField)) {
                headers.put(k, text(v));
            }
        });
        return ReceivedMessage.invalid(topic, bodyField == null ? new byte[0] : fields.get(bodyField), headers, reason)
                .deliveryCount(deliveryCount).redeliveryKey(id).position(id).handle(handle).build();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /**
     * Reads a binary-mode entry's fields into {@link EventBuilders#writer}, field by field in the entry's order, as the
     * SDK's generic binary reader ({@code BaseGenericBinaryMessageReaderImpl.read}) did when this binding used it:
     * {@code content-type} gives {@code datacontenttype}, every other {@code ce-<name>} field but the spec version
     * gives attribute {@code <name>} (the usual names as constants), other fields are not attributes, and
     * {@code data} is the data. Values of the attributes that repeat across a stream's entries come from the
     * binding's caches instead of being decoded again. Without the generic reader's per-field lambda and its
     * per-entry reader object; {@code StreamBindingReadTest} checks the result against the SDK's reading.
     */
    private CloudEvent readBinary(SpecVersion version, EntryFields fields) {
        CloudEventWriter<CloudEvent> writer = EventBuilders.writer(version, sourceUris);
        for (int i = 0; i < fields.size(); i++) {
            String field = fields.name(i);
            byte[] value = fields.value(i);
            if (field.equals(CONTENT_TYPE)) {
                writer.withContextAttribute(DATACONTENTTYPE, readContentTypes.text(value));
            } else if (field.length() > PREFIX.length() && field.startsWith(PREFIX)) {
                String attribute = KnownField.attribute(field);
                String name = attribute != null ? attribute : field.substring(PREFIX.length());
                if (!name.equals(SPECVERSION)) {
                    RepeatCache cache = readCache(field);
                    writer.withContextAttribute(name, cache == null ? text(value) : cache.text(value));
                }
            }
        }
        byte[] data = fields.get(DATA);
        return data != null ? writer.end(BytesCloudEventData.wrap(data)) : writer.end();
    }

    /**
     * Thread-safe (constants): the field names the binding writes, so that reading an entry turns their bytes into
     * the same String instances (and attribute names) instead of decoding each one again.
     */
    private static final class KnownField {
        private static final String[] NAMES = {PREFIX + SPECVERSION, PREFIX + "id", PREFIX + "source", PREFIX + "type",
                CONTENT_TYPE, DATA, PREFIX + "time", PREFIX + "subject", PREFIX + "dataschema",
                PREFIX + Extensions.PARTITION_KEY, PREFIX + "traceparent", PREFIX + "tracestate"};
        private static final byte[][] BYTES = new byte[NAMES.length][];
        private static final Map<String, String> ATTRIBUTES = new HashMap<>();

        static {
            for (int i = 0; i < NAMES.length; i++) {
                BYTES[i] = bytes(NAMES[i]);
                if (NAMES[i].startsWith(PREFIX)) {
                    ATTRIBUTES.put(NAMES[i], NAMES[i].substring(PREFIX.length()));
                }
            }
        }

        private KnownField() {
        }

        /** The field name of {@code raw}: a shared constant when it is one the binding writes. */
        static String name(byte[] raw) {
            for (int i = 0; i < BYTES.length; i++) {
                if (BYTES[i].length == raw.length && Arrays.equals(BYTES[i], raw)) {
                    return NAMES[i];
                }
            }
            return text(raw);
        }

        /** The attribute name of a known {@code ce-} field, or null. */
        static String attribute(String field) {
            return ATTRIBUTES.get(field);
        }
    }

    /** Not thread-safe (one per decode): an entry's fields in order, looked up by a short linear scan. */
    private static final class EntryFields {
        private final String[] names;
        private final byte[][] values;
        private int size;

        EntryFields(int capacity) {
            names = new String[capacity];
            values = new byte[capacity][];
        }

        void add(String name, byte[] value) {
            names[size] = name;
            values[size] = value;
            size++;
        }

        int size() {
            return size;
        }

        String name(int i) {
            return names[i];
        }

        byte[] value(int i) {
            return values[i];
        }

        /** The value of {@code name} (known names are shared constants, so identity mostly decides), or null. */
        byte[] get(String name) {
            for (int i = 0; i < size; i++) {
                if (names[i] == name) {
                    return values[i];
                }
            }
            for (int i = 0; i < size; i++) {
                if (names[i].equals(name)) {
                    return values[i];
                }
            }
            return null;
        }

        void forEach(BiConsumer<String, byte[]> fn) {
            for (int i = 0; i < size; i++) {
                fn.accept(names[i], values[i]);
            }
        }
    }
}
