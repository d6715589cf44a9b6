package dev.omnibus.kafka.internal;

import dev.omnibus.spi.AttributeTemplates;
import dev.omnibus.spi.StructuredJson;
import dev.omnibus.tck.GeneratedEvents;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.kafka.KafkaMessageFactory;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link KafkaRecordWriter} against the CloudEvents SDK's Kafka binding
 * ({@code KafkaMessageFactory.createWriter(topic, null, null, key)}, the writer the backend used before): generated
 * events (both spec versions, every attribute, extensions of every type, times, unicode, with and without data and
 * key) must give the same record in binary and in structured mode: topic, partition, timestamp, key, value, and the
 * headers' names, value bytes and order. If this fails, check which attribute {@code KafkaRecordWriter} names,
 * encodes or orders differently from the binding's {@code BaseKafkaMessageWriterImpl}, and {@code EventTime.format}
 * for a {@code time}.
 */
class KafkaRecordWriterTest {
    private static final EventFormat JSON = StructuredJson.format(new JsonFormat());

    @Test
    void writesGeneratedEventsInBothModesAsTheSdkBindingDoes() {
        Random random = new Random(5);
        AttributeTemplates<Header[]> templates = KafkaRecordWriter.templates();
        for (int i = 0; i < 3000; i++) {
            CloudEvent event = GeneratedEvents.generated(random, i);
            String key = random.nextBoolean() ? null : "key-" + i;
            assertSame(new KafkaRecordWriter("t", key, templates).writeBinary(event),
                    KafkaMessageFactory.createWriter("t", null, null, key).writeBinary(event), "binary event " + i);
            if (GeneratedEvents.structurable(event)) {
                assertSame(new KafkaRecordWriter("t", key, templates).writeStructured(event, JSON),
                        KafkaMessageFactory.createWriter("t", null, null, key).writeStructured(event, JSON),
                        "structured event " + i);
            }
        }
        assertThat(templates.size()).as("one template per combination of the repeating attributes").isBetween(2, 500);
    }

    @Test
    void writesTheSameRecordsWithoutTemplatesAndPastTheirBound() {
        AttributeTemplates<Header[]> templates = KafkaRecordWriter.templates();
        for (int i = 0; i < AttributeTemplates.MAX + 100; i++) {
            CloudEvent event = CloudEventBuilder.v1().withId("id-" + i).withSource(URI.create("/source/" + i))
                    .withType("t").withDataContentType("text/plain").withData(new byte[] {(byte) i}).build();
            ProducerRecord<String, byte[]> reference = KafkaMessageFactory.createWriter("t", null, null, (String) null)
                    .writeBinary(event);
            assertSame(new KafkaRecordWriter("t", null, templates).writeBinary(event), reference, "event " + i);
            assertSame(new KafkaRecordWriter("t", null, null).writeBinary(event), reference,
                    "event " + i + " without templates");
        }
        assertThat(templates.size()).as("a source per event cannot grow the heap")
                .isEqualTo(AttributeTemplates.MAX);
    }

    @Test
    void recordsSharingATemplateKeepTheirOwnVaryingHeaders() {
        AttributeTemplates<Header[]> templates = KafkaRecordWriter.templates();
        CloudEventBuilder builder = CloudEventBuilder.v1().withSource(URI.create("/s")).withType("t");
        ProducerRecord<String, byte[]> first = new KafkaRecordWriter("t", null, templates)
                .writeBinary(builder.withId("1").withExtension("ext", "a").build());
        ProducerRecord<String, byte[]> second = new KafkaRecordWriter("t", null, templates)
                .writeBinary(builder.withId("2").withExtension("ext", "b").build());
        assertThat(headers(first)).containsExactly("ce_specversion=1.0", "ce_id=1", "ce_source=/s", "ce_type=t",
                "ce_ext=a");
        assertThat(headers(second)).containsExactly("ce_specversion=1.0", "ce_id=2", "ce_source=/s", "ce_type=t",
                "ce_ext=b");
        assertThat(templates.size()).isEqualTo(1);
    }

    private static void assertSame(ProducerRecord<String, byte[]> ours, ProducerRecord<String, byte[]> sdk,
                                   String what) {
        assertThat(ours.topic()).as("topic of %s", what).isEqualTo(sdk.topic());
        assertThat(ours.partition()).as("partition of %s", what).isEqualTo(sdk.partition());
        assertThat(ours.timestamp()).as("timestamp of %s", what).isEqualTo(sdk.timestamp());
        assertThat(ours.key()).as("key of %s", what).isEqualTo(sdk.key());
        assertThat(ours.value()).as("value of %s", what).isEqualTo(sdk.value());
        assertThat(HeaderText.headerBytes(ours)).as("headers of %s", what).isEqualTo(HeaderText.headerBytes(sdk));
    }

    private static List<String> headers(ProducerRecord<String, byte[]> record) {
        List<String> out = new ArrayList<>();
        for (Header h : record.headers()) {
            out.add(h.key() + "=" + new String(h.value(), java.nio.charset.StandardCharsets.UTF_8));
        }
        return out;
    }
}
