package dev.omnibus.kafka.internal;

import dev.omnibus.spi.AttributeTemplates;
import dev.omnibus.spi.EventTime;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.message.MessageWriter;
import io.cloudevents.rw.CloudEventContextWriter;
import io.cloudevents.rw.CloudEventWriter;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.Arrays;

/**
 * Writes one CloudEvent as the record the Kafka backend publishes: the same topic, key, headers (names, UTF-8
 * values, order) and value as the CloudEvents SDK's Kafka binding
 * ({@code KafkaMessageFactory.createWriter(topic, null, null, key)}, then {@code writeBinary} or
 * {@code writeStructured}), checked byte for byte by {@code KafkaRecordWriterTest}. Why not the SDK's writer: it
 * looks each attribute's header name up in a map, encodes every value again for every event and formats
 * {@code time} with a composite formatter; on the publishing thread of a Kafka benchmark that was about a tenth of
 * the CPU (JFR, 2026-12-05), where the raw client's records are ready-made.
 *
 * <p>In binary mode the headers that repeat from event to event (spec version, source, type, content type, data
 * schema) come from the backend's {@link AttributeTemplates} ({@link #templates()}), built once per combination; the
 * rest (id, subject, time, extensions) are encoded per event. The SDK's events hand over their attributes in the
 * order spec version, id, source, type, data content type, data schema, then the rest; the headers come out in that
 * order. An event of another implementation that hands them over in another order gets the same headers in this
 * order (Kafka readers take a header by name, so nothing reads differently).
 *
 * <p>Not thread-safe: one instance per record. The template headers are shared by the records that use them
 * ({@link RecordHeader} has no mutator; a producer interceptor that writes into a header's value array would
 * change other records too, which no interceptor has reason to do). Not API.
 */
final class KafkaRecordWriter implements MessageWriter<KafkaRecordWriter, ProducerRecord<String, byte[]>>,
        CloudEventWriter<ProducerRecord<String, byte[]>> {
    /** The prefix of an attribute's header name, as the Kafka protocol binding defines it. */
    static final String CE_PREFIX = "ce_";
    /** The header carrying {@code datacontenttype} (binary) or the format's content type (structured). */
    static final String CONTENT_TYPE = "content-type";

    private final String topic;
    private final String key;
    private final AttributeTemplates<Header[]> templates;
    private String specVersion;
    private String id;
    private String source;
    private String type;
    private String dataContentType;
    private String dataSchema;
    /** The other attributes and extensions, in the order handed over; made on the first (most events have none). */
    private Header[] varying;
    private int varyingLength;
    private Header structuredType;
    private byte[] value;

    /** A writer of one record to {@code topic} with {@code key} (null: none), with the backend's templates or none. */
    KafkaRecordWriter(String topic, String key, AttributeTemplates<Header[]> templates) {
        this.topic = topic;
        this.key = key;
        this.templates = templates;
    }

    @Override
    public KafkaRecordWriter create(SpecVersion version) {
        specVersion = version.toString();
        return this;
    }

    @Override
    public CloudEventContextWriter withContextAttribute(String name, OffsetDateTime time) {
        return withContextAttribute(name, EventTime.format(time)); // the SDK's text, faster
    }

    @Override
    public CloudEventContextWriter withContextAttribute(String name, String attribute) {
        switch (name) {
            case "id" -> id = attribute;
            case "source" -> source = attribute;
            case "type" -> type = attribute;
            case "datacontenttype" -> dataContentType = attribute;
            case "dataschema" -> dataSchema = attribute;
            default -> {
                if (varying == null) {
                    varying = new Header[4];
                } else if (varyingLength == varying.length) {
                    varying = Arrays.copyOf(varying, varyingLength * 2);
                }
                varying[varyingLength++] = header(CE_PREFIX + name, attribute);
            }
        }
        return this;
    }

    @Override
    public ProducerRecord<String, byte[]> end(CloudEventData data) {
        value = data.toBytes();
        return end();
    }

    @Override
    public ProducerRecord<String, byte[]> end() {
        // a list view, not a RecordHeaders: the record copies whatever it is given into RecordHeaders of its own, and
        // a RecordHeaders built here first would be a second list made and thrown away per record
        return new ProducerRecord<>(topic, null, null, key, value, Arrays.asList(headers()));
    }

    @Override
    public ProducerRecord<String, byte[]> setEvent(EventFormat format, byte[] serialized) {
        structuredType = header(CONTENT_TYPE, format.serializedContentType());
        value = serialized;
        return end();
    }

    /** The record's headers: the structured content type alone, or the binary attributes in the SDK's order. */
    private Header[] headers() {
        if (structuredType != null) {
            return new Header[] {structuredType};
        }
        Header[] fixed = templates == null ? null
                : templates.get(specVersion, source, type, dataContentType, dataSchema);
        if (fixed == null) {
            fixed = headers(specVersion, source, type, dataContentType, dataSchema);
        }
        // the spec version, the id, then the rest of the template and the varying headers
        int before = specVersion != null ? 1 : 0;
        Header[] all = new Header[fixed.length + (id != null ? 1 : 0) + varyingLength];
        int n = 0;
        if (before == 1) {
            all[n++] = fixed[0];
        }
        if (id != null) {
            all[n++] = header(CE_PREFIX + "id", id);
        }
        System.arraycopy(fixed, before, all, n, fixed.length - before);
        n += fixed.length - before;
        if (varyingLength > 0) {
            System.arraycopy(varying, 0, all, n, varyingLength);
        }
        return all;
    }

    private static Header header(String name, String attribute) {
        return new RecordHeader(name, attribute.getBytes(StandardCharsets.UTF_8));
    }

    /** Templates of the repeating headers, one per combination, for every record a backend writes. */
    static AttributeTemplates<Header[]> templates() {
        return new AttributeTemplates<>(k -> headers(k.specVersion(), k.source(), k.type(), k.dataContentType(),
                k.dataSchema()));
    }

    /** The repeating attributes' headers, in the SDK's order, absent ({@code null}) attributes left out. */
    private static Header[] headers(String specVersion, String source, String type, String dataContentType,
                                    String dataSchema) {
        Header[] out = new Header[5];
        int n = 0;
        if (specVersion != null) {
            out[n++] = header(CE_PREFIX + "specversion", specVersion);
        }
        if (source != null) {
            out[n++] = header(CE_PREFIX + "source", source);
        }
        if (type != null) {
            out[n++] = header(CE_PREFIX + "type", type);
        }
        if (dataContentType != null) {
            out[n++] = header(CONTENT_TYPE, dataContentType);
        }
        if (dataSchema != null) {
            out[n++] = header(CE_PREFIX + "dataschema", dataSchema);
        }
        return Arrays.copyOf(out, n);
    }
}
