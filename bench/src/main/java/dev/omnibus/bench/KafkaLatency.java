package dev.omnibus.bench;

import dev.omnibus.kafka.KafkaHarness;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.kafka.KafkaMessageFactory;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The latency comparison on Kafka: a single-node KRaft broker of its own (the kit's {@link KafkaHarness}), raw
 * kafka-clients against Omnibus ({@code kafka://}, one partition, a group). Raw's producer is configured like
 * Omnibus' ({@code acks=all}, idempotent, {@code linger.ms=5}, {@code batch.size=65536}) and its records carry the
 * binding's headers for an event (built once); its consumer polls on its own thread ({@code poll} 100 ms,
 * {@code commitAsync} after each poll). Stateless; see {@link LatencyRatios}.
 */
final class KafkaLatency {
    private KafkaLatency() {
    }

    /** Starts the broker, creates both topics (one partition each) and both clients. */
    static LatencyBackend start() throws Exception {
        KafkaHarness broker = BenchBrokers.kafka("");
        broker.start();
        return LatencyBackend.open("kafka", broker::stop, () -> {
            broker.admin().createTopics(List.of(new NewTopic("latraw", 1, (short) 1),
                    new NewTopic("latomnibus", 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
            return new Raw(broker.bootstrap(), "latraw");
        }, () -> new OmnibusLatencyClient("kafka://" + broker.bootstrap() + "?partitions=1&instrumentation=none",
                "latomnibus", "lat"));
    }

    /** Raw kafka-clients. */
    private static final class Raw extends LatencyClient {
        private final KafkaProducer<String, byte[]> producer;
        private final String bootstrap;
        private final String topic;
        private final Headers headers;
        private KafkaConsumer<String, byte[]> consumer;

        Raw(String bootstrap, String topic) {
            super("raw");
            this.bootstrap = bootstrap;
            this.topic = topic;
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
            p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            p.put(ProducerConfig.BATCH_SIZE_CONFIG, 65536);
            this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
            this.headers = KafkaMessageFactory.<String>createWriter(topic, null, null, null)
                    .writeBinary(CloudEventBuilder.v1().withId("lat-0000000").withSource(URI.create("/omnibus/bench"))
                            .withType("dev.omnibus.bench.tick").withDataContentType("application/octet-stream")
                            .withData(new byte[0]).build()).headers();
        }

        @Override
        public void subscribe(Consumer<byte[]> sink) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.GROUP_ID_CONFIG, "latraw");
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
            consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
            consumer.subscribe(List.of(topic));
            // only the reading thread uses the consumer until close has waited for it
            startReading("latency-raw-kafka", () -> {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(100));
                for (ConsumerRecord<String, byte[]> r : records) {
                    sink.accept(r.value());
                }
                if (!records.isEmpty()) {
                    consumer.commitAsync();
                }
            });
        }

        @Override
        public void send(byte[] payload) {
            producer.send(new ProducerRecord<>(topic, null, null, null, payload, headers), this::confirmed);
        }

        @Override
        public void close() throws Exception {
            stopReading(Duration.ofSeconds(10));
            if (consumer != null) {
                consumer.close(Duration.ofSeconds(5));
            }
            producer.close(Duration.ofSeconds(5));
        }
    }
}
