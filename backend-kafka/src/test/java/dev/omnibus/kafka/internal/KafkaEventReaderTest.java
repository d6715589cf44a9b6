package dev.omnibus.kafka.internal;

import dev.omnibus.spi.StructuredJson;
import dev.omnibus.tck.GeneratedEvents;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.kafka.KafkaMessageFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link KafkaEventReader} against the CloudEvents SDK's Kafka binding ({@code KafkaMessageFactory.createReader}
 * then {@code toEvent}, structured JSON data restored as the receiver does): generated events (both spec versions,
 * every attribute, extensions of every type, unicode, with and without data) written by the SDK's own writer in
 * binary and in structured mode must read as the same event, and written back by the SDK's writer give the same
 * headers and value, byte for byte; records mangled the ways a foreign producer can (duplicate, missing, null,
 * upper-case, unknown headers, bad values) must give the same event or the same error. The records carry their
 * headers as a fetched record does (key and value bytes, decoded on first use). If this fails, check which header
 * {@code KafkaEventReader.read} treats differently from the binding's {@code BaseGenericBinaryMessageReaderImpl}.
 */
class KafkaEventReaderTest {
    private static final EventFormat JSON = StructuredJson.format(new JsonFormat());
    private static final String NULL_HEADER =
            "java\\.lang\\.IllegalArgumentException: its last '(content-type|ce_specversion)' header has no value";

    @Test
    void readsGeneratedEventsInBothModesAsTheSdkBindingDoes() {
        Random random = new Random(7);
        KafkaEventReader reader = new KafkaEventReader();
        for (int i = 0; i < 3000; i++) {
            CloudEvent event = GeneratedEvents.generated(random, i);
            for (Encoding mode : GeneratedEvents.structurable(event) ? List.of(Encoding.BINARY, Encoding.STRUCTURED)
                    : List.of(Encoding.BINARY)) {
                ConsumerRecord<byte[], byte[]> record = fetched(write(event, mode));
                CloudEvent ours = reader.read(fetched(write(event, mode)));
                CloudEvent sdk = viaSdk(record);
                assertThat(ours).as("event %d, %s", i, mode).isEqualTo(sdk);
                assertThat(ours.getId()).isEqualTo(event.getId());
                ProducerRecord<String, byte[]> again = write(ours, Encoding.BINARY);
                ProducerRecord<String, byte[]> reference = write(sdk, Encoding.BINARY);
                assertThat(HeaderText.headerBytes(again)).as("headers of event %d, %s, written back", i, mode)
                        .isEqualTo(HeaderText.headerBytes(reference));
                assertThat(again.value()).as("value of event %d, %s, written back", i, mode)
                        .isEqualTo(reference.value());
            }
        }
    }

    @Test
    void readsMangledRecordsAsTheSdkBindingDoesEventOrError() {
        Random random = new Random(11);
        KafkaEventReader reader = new KafkaEventReader();
        int failed = 0;
        int nullValues = 0;
        for (int i = 0; i < 5000; i++) {
            ProducerRecord<String, byte[]> written = write(GeneratedEvents.generated(random, i),
                    random.nextInt(5) == 0 ? Encoding.STRUCTURED : Encoding.BINARY);
            List<Header> headers = mangled(random, new ArrayList<>(Arrays.asList(written.headers().toArray())));
            byte[] value = random.nextInt(20) == 0 ? null : written.value();
            Outcome ours = Outcome.of(() -> reader.read(fetched(headers, value)));
            Outcome sdk = Outcome.of(() -> viaSdk(fetched(headers, value)));
            if (sdk.error != null && sdk.error.startsWith(NullPointerException.class.getName())) {
                // an NPE's message is the JVM's (none once the JIT throws it fast); on a header without a value
                // the reader names the header instead
                assertThat(ours.error).as("record %d with headers %s", i, headers).matches(NULL_HEADER
                        + "|java.lang.NullPointerException.*");
                nullValues += ours.error.matches(NULL_HEADER) ? 1 : 0;
            } else {
                assertThat(ours).as("record %d with headers %s", i, headers).isEqualTo(sdk);
            }
            failed += ours.error == null ? 0 : 1;
        }
        assertThat(failed).as("the mangling makes some records fail, and not all").isBetween(200, 4000);
        assertThat(nullValues).as("records whose last content-type or ce_specversion has no value").isPositive();
    }

    /** What the receiver did before {@link KafkaEventReader}: the SDK's reader, structured JSON data restored. */
    private static CloudEvent viaSdk(ConsumerRecord<byte[], byte[]> record) {
        CloudEvent event = KafkaMessageFactory.createReader(record).toEvent();
        Header ct = record.headers().lastHeader("content-type");
        if (record.value() != null && ct != null
                && StructuredJson.isStructured(new String(ct.value(), StandardCharsets.UTF_8))) {
            event = StructuredJson.restoreData(event, record.value());
        }
        return event;
    }

    /** The record the Kafka backend publishes: the SDK's writer, structured JSON in {@link StructuredJson}'s format. */
    private static ProducerRecord<String, byte[]> write(CloudEvent event, Encoding mode) {
        var writer = KafkaMessageFactory.<String>createWriter("t", null, null, null);
        return mode == Encoding.BINARY ? writer.writeBinary(event) : writer.writeStructured(event, JSON);
    }

    /** A record as the consumer hands one out: each header's key and value bytes in a buffer, decoded lazily. */
    private static ConsumerRecord<byte[], byte[]> fetched(ProducerRecord<String, byte[]> written) {
        return fetched(Arrays.asList(written.headers().toArray()), written.value());
    }

    private static ConsumerRecord<byte[], byte[]> fetched(List<Header> headers, byte[] value) {
        RecordHeaders lazy = new RecordHeaders();
        for (Header h : headers) {
            byte[] key = h.key().getBytes(StandardCharsets.UTF_8);
            ByteBuffer keyBuffer = ByteBuffer.wrap(Arrays.copyOf(key, key.length));
            ByteBuffer valueBuffer = h.value() == null ? null : ByteBuffer.wrap(h.value().clone());
            lazy.add(new RecordHeader(keyBuffer, valueBuffer));
        }
        return new ConsumerRecord<>("t", 0, 0, 0L, TimestampType.CREATE_TIME, 0,
                value == null ? -1 : value.length, null, value == null ? null : value.clone(), lazy, Optional.empty());
    }

    /** Some of what a foreign producer may send: each change with some probability, several per record. */
    private static List<Header> mangled(Random random, List<Header> headers) {
        String[] keys = {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type", "CE_TYPE",
            "ce_Id", "ce_", "ce_SPECVERSION", "Content-Type", "ce_myext", "other", "ce_specversion"};
        String[] values = {"1.0", "0.3", "2.0", "", "x", "2026-12-04T08:00Z", "not a time", "::not a uri",
            "application/cloudevents+json", "application/cloudevents+avro", "application/json; charset=utf-8",
            "text/plain", "ünïcode ✓"};
        int changes = random.nextInt(4);
        for (int c = 0; c < changes; c++) {
            switch (random.nextInt(6)) {
                case 0 -> {
                    if (!headers.isEmpty()) {
                        headers.remove(random.nextInt(headers.size()));
                    }
                }
                case 1 -> headers.add(random.nextInt(headers.size() + 1),
                        new RecordHeader(keys[random.nextInt(keys.length)], null));
                case 2 -> {
                    if (!headers.isEmpty()) {
                        Header h = headers.get(random.nextInt(headers.size()));
                        headers.add(h);
                    }
                }
                case 3 -> headers.add(new RecordHeader(keys[random.nextInt(keys.length)],
                        random.nextInt(10) == 0 ? new byte[] {(byte) 0xC3, (byte) 0x28}
                                : values[random.nextInt(values.length)].getBytes(StandardCharsets.UTF_8)));
                default -> headers.add(random.nextInt(headers.size() + 1), new RecordHeader(
                        keys[random.nextInt(keys.length)],
                        values[random.nextInt(values.length)].getBytes(StandardCharsets.UTF_8)));
            }
        }
        return headers;
    }

    /** An event or an error (its class and message), comparable. */
    private record Outcome(CloudEvent event, String error) {
        static Outcome of(java.util.function.Supplier<CloudEvent> read) {
            try {
                return new Outcome(read.get(), null);
            } catch (RuntimeException e) {
                return new Outcome(null, e.getClass().getName() + ": " + e.getMessage());
            }
        }
    }
}
