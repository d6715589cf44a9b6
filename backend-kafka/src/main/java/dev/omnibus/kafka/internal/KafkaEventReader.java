package dev.omnibus.kafka.internal;

import dev.omnibus.spi.EventBuilders;
import dev.omnibus.spi.RepeatCache;
import dev.omnibus.spi.StructuredJson;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.data.BytesCloudEventData;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.kafka.KafkaMessageFactory;
import io.cloudevents.rw.CloudEventRWException;
import io.cloudevents.rw.CloudEventWriter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;

/**
 * Reads a consumer record into a CloudEvent with the result of the CloudEvents SDK's Kafka binding
 * ({@code KafkaMessageFactory.createReader(record)} read into {@link EventBuilders#writer}), in one pass over the
 * headers instead of the binding's three: the binding looks {@code content-type} and {@code ce_specversion} up with a
 * scan each, then visits every header through two lambdas and cuts and lower-cases every {@code ce_} key, which made
 * it the larger part of a Kafka receive thread's time. The same event, the same error: every header is visited in
 * the binding's order into the same builder, the last {@code content-type} and {@code ce_specversion} decide the
 * mode and version as the binding's {@code lastHeader} does, and whatever is not a plain binary-mode record
 * (structured, an unknown structured format, no spec version) goes to the binding itself. One deliberate difference:
 * where the last {@code content-type} or {@code ce_specversion} header has no value, the binding fails with a
 * {@code NullPointerException} without a message, this reader with an {@code IllegalArgumentException} naming the
 * header (it reaches the invalid message's reason). {@code KafkaEventReaderTest} checks the results against the
 * SDK's on generated records.
 *
 * <p>Thread-safe: the only state is caches ({@link EventBuilders.Sources}, {@link RepeatCache}s) and the last data
 * content type, each replaced whole, never changed.
 */
final class KafkaEventReader {
    private static final String CONTENT_TYPE = KafkaRecordWriter.CONTENT_TYPE;
    private static final String CE_PREFIX = KafkaRecordWriter.CE_PREFIX;
    private static final String SPEC_VERSION_HEADER = "ce_specversion";
    private static final String STRUCTURED_PREFIX = "application/cloudevents";
    /** The parsed source of the last record read, for the next that repeats it. */
    private final EventBuilders.Sources sources = new EventBuilders.Sources();
    /**
     * The texts of the headers whose values repeat from record to record, made once while they repeat: making the
     * {@code ce_specversion} text anew and hashing it for {@code SpecVersion.parse} was a fifth of a receive thread's
     * JFR samples (2026-12-06). The same texts, so the same event.
     */
    private final RepeatCache specVersions = new RepeatCache();
    private final RepeatCache contentTypes = new RepeatCache();
    private final RepeatCache sourceTexts = new RepeatCache();
    private final RepeatCache types = new RepeatCache();
    /**
     * The last content type found to be no event format (so a data content type, binary mode): the next record with
     * the same one skips the format lookup (a hash of a new string and a map lookup per record). The SDK's service
     * loader registers its formats before the first lookup; a format an application registers by hand later, under a
     * content type this reader has just seen as plain data, counts from the next record with another content type.
     */
    private volatile String lastDataContentType;

    /**
     * The event {@code record} holds, with a structured JSON event's data restored as {@link StructuredJson} does.
     *
     * @throws RuntimeException the binding's error when the record is not a CloudEvent (a
     *         {@link CloudEventRWException} mostly), or an {@link IllegalArgumentException} where the binding would
     *         fail on a header without a value
     */
    CloudEvent read(ConsumerRecord<byte[], byte[]> record) {
        Header[] headers = record.headers().toArray();
        Header contentType = null;
        Header specVersion = null;
        for (Header h : headers) {
            String key = h.key();
            if (key.equals(CONTENT_TYPE)) {
                contentType = h;
            } else if (key.equals(SPEC_VERSION_HEADER)) {
                specVersion = h;
            }
        }
        String contentTypeText = null;
        if (contentType != null) {
            if (contentType.value() == null) {
                throw nullValue(CONTENT_TYPE);
            }
            contentTypeText = contentTypes.text(contentType.value());
            if (!contentTypeText.equals(lastDataContentType)) {
                if (contentTypeText.startsWith(STRUCTURED_PREFIX)
                        || EventFormatProvider.getInstance().resolveFormat(contentTypeText) != null) {
                    return viaBinding(record, contentTypeText);
                }
                lastDataContentType = contentTypeText;
            }
        }
        if (specVersion == null) {
            return viaBinding(record, contentTypeText);
        }
        if (specVersion.value() == null) {
            throw nullValue(SPEC_VERSION_HEADER);
        }
        SpecVersion version = SpecVersion.parse(specVersions.text(specVersion.value()));
        CloudEventWriter<CloudEvent> writer = EventBuilders.writer(version, sources);
        for (Header h : headers) {
            byte[] value = h.value();
            if (value == null) {
                continue;
            }
            String key = h.key();
            if (key.equals(SPEC_VERSION_HEADER)) {
                continue;
            } else if (key.equals(CONTENT_TYPE)) {
                writer.withContextAttribute("datacontenttype", h == contentType ? contentTypeText : text(value));
            } else if (key.length() > CE_PREFIX.length() && key.startsWith(CE_PREFIX)) {
                String name = EventBuilders.usualAttribute(key, CE_PREFIX.length());
                if (name == null) {
                    // the binding's own conversion, locale included
                    name = key.substring(CE_PREFIX.length()).toLowerCase();
                    if (name.equals("specversion")) {
                        continue;
                    }
                }
                writer.withContextAttribute(name, textOf(name, value));
            }
        }
        byte[] payload = record.value();
        return payload != null && payload.length > 0 ? writer.end(BytesCloudEventData.wrap(payload)) : writer.end();
    }

    /** The binding's own reading of a record that is not plain binary mode, structured JSON data restored. */
    private CloudEvent viaBinding(ConsumerRecord<byte[], byte[]> record, String contentType) {
        CloudEvent event = EventBuilders.toEvent(KafkaMessageFactory.createReader(record), sources);
        if (record.value() != null && StructuredJson.isStructured(contentType)) {
            event = StructuredJson.restoreData(event, record.value());
        }
        return event;
    }

    /** Where the binding fails with a bare NullPointerException: the header it reads has no value. */
    private static IllegalArgumentException nullValue(String header) {
        return new IllegalArgumentException("its last '" + header + "' header has no value");
    }

    /** The text of attribute {@code name}'s value, from its cache for the attributes that repeat. */
    private String textOf(String name, byte[] value) {
        if (name.equals("source")) {
            return sourceTexts.text(value);
        }
        return name.equals("type") ? types.text(value) : text(value);
    }

    private static String text(byte[] value) {
        return new String(value, StandardCharsets.UTF_8);
    }
}
