package dev.omnibus.bench;

import dev.omnibus.Config;
import dev.omnibus.DeliveryHandler;
import dev.omnibus.Omnibus;
import dev.omnibus.Publisher;
import dev.omnibus.Subscription;
import dev.omnibus.kafka.KafkaHarness;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.kafka.KafkaMessageFactory;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Not thread-safe (JMH state, one benchmark thread): Omnibus on Kafka ({@code kafka://}) against raw kafka-clients
 * with the same settings, on one single-node KRaft broker this benchmark starts itself (the kit's
 * {@link KafkaHarness}, a child JVM with {@link BenchBrokers#KAFKA_JVM}), publish (100-byte and 1 KiB events) and
 * consume+commit.
 *
 * <h2>Running</h2>
 * <pre>
 * mvn -B -q -DskipTests -pl bench -am package
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios KafkaBenchmark -f 1 -wi 2 -i 3
 * </pre>
 * Each trial (one JMH fork per benchmark method and size) starts its own broker on free loopback ports and kills it
 * afterwards, after pushing {@link #BROKER_WARM_UP} of throw-away records through it (see {@code Kafka.warmBroker});
 * raw and Omnibus figures of one run are comparable, broker and clients share the cores.
 *
 * <h2>What is compared</h2>
 * Scores are <em>events per second</em>; ratio = Omnibus / raw ({@link BenchRatios} prints them). Omnibus connects
 * with {@code instrumentation=none}: raw has no metrics or tracing, and the observability modules are on this
 * classpath for {@link InstrumentationOverheadBenchmark}.
 * <ul>
 *   <li>{@code publishRaw}: {@value #PUBLISH_BATCH} prebuilt {@code ProducerRecord}s carrying exactly what Omnibus
 *       writes for the same event (the CloudEvents Kafka binding's binary mode, built once with
 *       {@code KafkaMessageFactory}: raw pays no encoding), sent by a producer configured as Omnibus' is
 *       ({@code acks=all}, idempotent, {@code linger.ms=5}, {@code batch.size=65536}); waits for every ack.</li>
 *   <li>{@code publishOmnibus}: {@code publisher.publish(topic, event)} of the same prebuilt CloudEvents; waits for
 *       every receipt (validation, encoding, publish timeout and receipt are measured).</li>
 *   <li>{@code consumeRaw}: a one-partition topic prefilled with {@value #BACKLOG} events; a KafkaConsumer in a new
 *       group from the earliest offset, {@code commitAsync} after every poll, until all are read, then
 *       {@code commitSync}.</li>
 *   <li>{@code consumeOmnibus}: the same backlog; a subscription in a new group at {@code earliest()}, AUTO ack,
 *       concurrency 1, {@code maxInFlight} 1024, until the handler ran for every event (decoding included); the
 *       subscription's close (its last commit) is in the tear-down.</li>
 *   <li>{@code consumeRawSdk} (context for the ratio above, which {@link BenchRatios} prints apart): as
 *       {@code consumeRaw}, also decoding every record with the CloudEvents SDK's Kafka binding
 *       ({@code KafkaMessageFactory.createReader(record).toEvent()}), as a raw consumer of CloudEvents must.</li>
 *   <li>Both consumers join their group before the measured part (in the invocation's set-up): raw polls until
 *       its first records arrive and handles them when the measurement starts; Omnibus' handler holds its first
 *       delivery until then ({@link StartGate}). The join (a round of group protocol whose length varied by tens of
 *       milliseconds within a 150 ms invocation) is the broker's cost, not the client's, and made this comparison
 *       read anything between 0.55 and 0.91 for the same code.</li>
 *   <li>{@code publishTraced}, {@code consumeTraced}: the same on a second connection with metrics and tracing
 *       ({@link BenchTracing}); the traced backlog is written through that connection, so every event carries the
 *       {@code traceparent} a delivery's span continues. {@link BenchRatios} prints each against its plain Omnibus
 *       twin.</li>
 * </ul>
 */
@Fork(value = 1, jvmArgsPrepend = {SteadyHeap.MIN, SteadyHeap.MAX, SteadyHeap.PRE_TOUCH, SteadyHeap.HUGE_PAGES})
@Warmup(iterations = 2, time = 3, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 3, timeUnit = TimeUnit.SECONDS)
@Threads(1)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class KafkaBenchmark {
    /** Events per publish invocation. */
    public static final int PUBLISH_BATCH = 10_000;
    /** Events in each consume backlog. */
    public static final int BACKLOG = 50_000;
    private static final Duration WAIT = Duration.ofSeconds(60);
    /**
     * How long each trial pushes throw-away records through its fresh broker before JMH's warm-ups (see
     * {@code Kafka.warmBroker}).
     */
    static final Duration BROKER_WARM_UP = Duration.ofSeconds(8);

    /** Creates the benchmark (JMH does this). */
    public KafkaBenchmark() {
    }

    /** Raw kafka-clients: sends prebuilt records and waits for every ack. */
    @Benchmark
    @OperationsPerInvocation(PUBLISH_BATCH)
    public void publishRaw(Kafka kafka) throws Exception {
        kafka.publishRaw();
    }

    /** Omnibus: publishes prebuilt CloudEvents and waits for every receipt. */
    @Benchmark
    @OperationsPerInvocation(PUBLISH_BATCH)
    public void publishOmnibus(Kafka kafka) throws Exception {
        kafka.publishOmnibus();
    }

    /** Omnibus with metrics and tracing ({@link BenchTracing}): as {@link #publishOmnibus}, on its own connection. */
    @Benchmark
    @OperationsPerInvocation(PUBLISH_BATCH)
    public void publishTraced(Kafka kafka) throws Exception {
        kafka.publishOmnibus(kafka.tracedPublisher, kafka.tracedTopic);
    }

    /** Raw kafka-clients: poll, commitAsync per poll, until the backlog is read. */
    @Benchmark
    @OperationsPerInvocation(BACKLOG)
    public int consumeRaw(RawBacklog backlog) {
        return backlog.consume(null);
    }

    /**
     * Context, not the target: raw kafka-clients as {@link #consumeRaw}, also decoding every record into a CloudEvent
     * with the CloudEvents SDK's Kafka binding (what a raw consumer of CloudEvents does at the least).
     */
    @Benchmark
    @OperationsPerInvocation(BACKLOG)
    public int consumeRawSdk(RawBacklog backlog, Blackhole events) {
        return backlog.consume(events);
    }

    /** Omnibus: waits until the subscription opened in the set-up has handled the whole backlog (AUTO ack). */
    @Benchmark
    @OperationsPerInvocation(BACKLOG)
    public void consumeOmnibus(OmnibusBacklog backlog) {
        backlog.gate.open();
        backlog.latch.await(WAIT.toNanos());
    }

    /**
     * Omnibus with metrics and tracing: as {@link #consumeOmnibus}, on a backlog its own connection wrote (so every
     * event carries a {@code traceparent} that each delivery's span continues).
     */
    @Benchmark
    @OperationsPerInvocation(BACKLOG)
    public void consumeTraced(TracedBacklog backlog) {
        backlog.gate.open();
        backlog.latch.await(WAIT.toNanos());
    }

    /** Not thread-safe (JMH state): the broker, both producers and the prebuilt events. */
    @State(Scope.Thread)
    public static class Kafka {
        /** Event data size in bytes. */
        @Param({"100", "1000"})
        public int dataBytes;

        private KafkaHarness broker;
        private Omnibus bus;
        private Publisher publisher;
        private Omnibus tracedBus;
        private Publisher tracedPublisher;
        private BenchTracing tracing;
        private String tracedTopic;
        private KafkaProducer<String, byte[]> raw;
        private final CloudEvent[] events = new CloudEvent[PUBLISH_BATCH];
        private final Receipts receipts = new Receipts();
        private final List<ProducerRecord<String, byte[]>> records = new ArrayList<>(PUBLISH_BATCH);
        private final List<String> topics = new ArrayList<>();
        private String rawTopic;
        private String omnibusTopic;
        private int iteration;
        private int backlogs;

        /** Creates the state (JMH does this). */
        public Kafka() {
        }

        /** Starts the broker, connects Omnibus and the raw producer, prebuilds the events. */
        @Setup(Level.Trial)
        public void setUp() throws Exception {
            broker = BenchBrokers.kafka("");
            broker.start();
            byte[] data = new byte[dataBytes];
            Arrays.fill(data, (byte) 'x');
            URI source = URI.create("/omnibus/bench");
            for (int i = 0; i < PUBLISH_BATCH; i++) {
                events[i] = CloudEventBuilder.v1().withId("bench-" + i).withSource(source)
                        .withType("dev.omnibus.bench.tick").withDataContentType("application/octet-stream")
                        .withData(data).build();
            }
            bus = Omnibus.connect(Config.builder().url("kafka://" + broker.bootstrap() + "?partitions=1&instrumentation=none")
                    .useEnvironment(false).build());
            publisher = bus.publisher();
            Config.Builder traced = Config.builder().url("kafka://" + broker.bootstrap()
                    + "?partitions=1&instrumentation=none").useEnvironment(false);
            tracing = BenchTracing.metricsAndTracing(traced);
            tracedBus = Omnibus.connect(traced.build());
            tracedPublisher = tracedBus.publisher();
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
            p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
            p.put(ProducerConfig.BATCH_SIZE_CONFIG, 65536);
            raw = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
            warmBroker();
        }

        /**
         * Writes throw-away records for {@link #BROKER_WARM_UP} and reads them all back with a raw consumer, then
         * drops their topic. Why: every trial starts a fresh broker JVM, and that JVM (its compilers, page cache,
         * log segments) kept speeding up through JMH's warm-up iterations at a pace that differed from fork to fork:
         * iterations climbed from ~75 k to ~400 k/s over ten warm-ups, and one fork in six levelled off near
         * 300 k/s, which decided a cell's ratio on its own. Raw and Omnibus forks get the same warm-up, through the
         * raw client (which Omnibus drives underneath too), so it favours neither.
         */
        private void warmBroker() throws Exception {
            String topic = "bench.warm-up";
            createTopic(topic);
            ProducerRecord<String, byte[]> record = KafkaMessageFactory.<String>createWriter(topic, null, null, null)
                    .writeBinary(events[0]);
            long end = System.nanoTime() + BROKER_WARM_UP.toNanos();
            long written = 0;
            List<ProducerRecord<String, byte[]>> batch = Collections.nCopies(PUBLISH_BATCH, record);
            while (System.nanoTime() - end < 0) {
                sendAll(batch, "warm-up");
                written += PUBLISH_BATCH;
            }
            try (KafkaConsumer<byte[], byte[]> consumer = rawConsumer("warm-up")) {
                consumer.subscribe(List.of(topic));
                long read = 0;
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (read < written) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("warm-up: read " + read + " of " + written + " within " + WAIT);
                    }
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                    read += records.count();
                    if (!records.isEmpty()) {
                        consumer.commitAsync();
                    }
                }
                consumer.commitSync();
            }
            dropTopics();
            Backlogs.collectSetUpGarbage();
        }

        /** New publish topics for each iteration (created up front, not measured) and the raw records for them. */
        @Setup(Level.Iteration)
        public void newTopics() throws Exception {
            rawTopic = "bench.publish.raw." + iteration;
            omnibusTopic = "bench.publish.omnibus." + iteration;
            tracedTopic = "bench.publish.traced." + iteration++;
            createTopic(rawTopic);
            createTopic(omnibusTopic);
            createTopic(tracedTopic);
            tracedPublisher.publish(tracedTopic, events[0]).toCompletableFuture().get(WAIT.toSeconds(),
                    TimeUnit.SECONDS);
            records.clear();
            for (CloudEvent e : events) {
                records.add(KafkaMessageFactory.<String>createWriter(rawTopic, null, null, null).writeBinary(e));
            }
            publisher.publish(omnibusTopic, events[0]).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            raw.send(records.get(0)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }

        /** Deletes the iteration's topics so that the broker's disk stays flat. */
        @TearDown(Level.Iteration)
        public void dropTopics() throws Exception {
            broker.admin().deleteTopics(topics).all().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            topics.clear();
        }

        private void createTopic(String topic) throws Exception {
            broker.admin().createTopics(List.of(new NewTopic(topic, 1, (short) 1)
                    .configs(Map.of("max.message.bytes", String.valueOf(1_000_000 + 64 * 1024)))))
                    .all().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            topics.add(topic);
        }

        /** Stops the clients and kills the broker. */
        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            try {
                if (bus != null) {
                    bus.close(Duration.ofSeconds(5));
                }
                if (tracedBus != null) {
                    tracedBus.close(Duration.ofSeconds(5));
                }
                if (tracing != null) {
                    tracing.close();
                }
                if (raw != null) {
                    raw.close(Duration.ofSeconds(5));
                }
            } finally {
                broker.stop();
            }
        }

        void publishRaw() throws Exception {
            sendAll(records, "raw");
        }

        /** A raw consumer in {@code group}: manual commits, from the earliest offset. */
        KafkaConsumer<byte[], byte[]> rawConsumer(String group) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }

        /** Sends {@code batch} with the raw producer and waits for every ack; fails naming {@code what}. */
        private void sendAll(List<ProducerRecord<String, byte[]>> batch, String what) throws Exception {
            CountDownLatch acked = new CountDownLatch(batch.size());
            AtomicReference<Exception> failed = new AtomicReference<>();
            for (ProducerRecord<String, byte[]> r : batch) {
                raw.send(r, (m, e) -> {
                    if (e != null) {
                        failed.set(e);
                    }
                    acked.countDown();
                });
            }
            if (!acked.await(WAIT.toSeconds(), TimeUnit.SECONDS) || failed.get() != null) {
                throw new IllegalStateException(what + " sends not acked", failed.get());
            }
        }

        void publishOmnibus() throws Exception {
            publishOmnibus(publisher, omnibusTopic);
        }

        void publishOmnibus(Publisher through, String topic) throws Exception {
            receipts.expect(PUBLISH_BATCH);
            for (int i = 0; i < PUBLISH_BATCH; i++) {
                through.publish(topic, events[i]).whenComplete(receipts);
            }
            receipts.await(WAIT);
        }

        /** A new one-partition topic holding {@value #BACKLOG} events written by Omnibus (not measured). */
        String fillBacklog(String prefix) throws Exception {
            return fillBacklog(prefix, publisher);
        }

        /** As {@link #fillBacklog(String)}, written through {@code through}. */
        String fillBacklog(String prefix, Publisher through) throws Exception {
            String topic = prefix + "." + backlogs++;
            createTopic(topic);
            List<CompletableFuture<?>> fill = new ArrayList<>(BACKLOG);
            for (int i = 0; i < BACKLOG; i++) {
                fill.add(through.publish(topic, events[i % PUBLISH_BATCH]).toCompletableFuture());
            }
            CompletableFuture.allOf(fill.toArray(new CompletableFuture<?>[0])).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            return topic;
        }

        /** Fails unless {@code group} committed the whole backlog of {@code topic}. */
        void requireCommitted(String group, String topic) throws Exception {
            OffsetAndMetadata o = broker.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS).get(new TopicPartition(topic, 0));
            if (o == null || o.offset() != BACKLOG) {
                throw new IllegalStateException("group " + group + " committed " + o + " of " + BACKLOG);
            }
        }
    }

    /** Not thread-safe (JMH state): the raw consumer's backlog, written before each invocation. */
    @State(Scope.Thread)
    public static class RawBacklog {
        private Kafka kafka;
        private String topic;
        private String group;
        private KafkaConsumer<byte[], byte[]> consumer;
        /** The records of the set-up's first poll, handled first when the measurement starts. */
        private ConsumerRecords<byte[], byte[]> first;

        /** Creates the state (JMH does this). */
        public RawBacklog() {
        }

        /** Writes the backlog, opens a consumer in a new group and polls its first records (not measured). */
        @Setup(Level.Invocation)
        public void fill(Kafka k) throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                kafka = k;
                topic = k.fillBacklog("bench.consume.raw");
                group = "raw-" + topic;
                consumer = k.rawConsumer(group);
                consumer.subscribe(List.of(topic));
                // joined, with its first records in hand, before the measurement (see the class comment)
                long end = System.nanoTime() + WAIT.toNanos();
                do {
                    if (System.nanoTime() - end > 0) {
                        throw new IllegalStateException("the raw consumer got no record within " + WAIT);
                    }
                    first = consumer.poll(Duration.ofMillis(100));
                } while (first.isEmpty());
                Backlogs.collectSetUpGarbage();
            });
        }

        /** Reads the backlog; with {@code decodeInto}, decodes every record with the SDK's binding into it. */
        int consume(Blackhole decodeInto) {
            int read = 0;
            long end = System.nanoTime() + WAIT.toNanos();
            while (read < BACKLOG) {
                if (System.nanoTime() - end > 0) {
                    throw new IllegalStateException("backlog not read within " + WAIT + ": " + read);
                }
                ConsumerRecords<byte[], byte[]> records = first != null ? first : consumer.poll(Duration.ofMillis(100));
                first = null;
                read += records.count();
                if (decodeInto != null) {
                    for (ConsumerRecord<byte[], byte[]> record : records) {
                        decodeInto.consume(KafkaMessageFactory.createReader(record).toEvent());
                    }
                }
                if (!records.isEmpty()) {
                    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                    for (TopicPartition tp : records.partitions()) {
                        var list = records.records(tp);
                        offsets.put(tp, new OffsetAndMetadata(list.get(list.size() - 1).offset() + 1));
                    }
                    consumer.commitAsync(offsets, null);
                }
            }
            consumer.commitSync();
            return read;
        }

        /** Closes the consumer and checks the whole backlog is committed. */
        @TearDown(Level.Invocation)
        public void check() throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                consumer.close();
                kafka.requireCommitted(group, topic);
            });
        }
    }

    /** Not thread-safe (JMH state): the Omnibus subscription and its backlog, set up before each invocation. */
    @State(Scope.Thread)
    public static class OmnibusBacklog {
        final FanOutLatch latch = new FanOutLatch();
        private final DeliveryHandler handler = latch.newHandler();
        private Kafka kafka;
        private String topic;
        private String group;
        private Subscription subscription;
        /** Holds the first delivery until the measurement starts (a new one per invocation). */
        StartGate gate;

        /** Creates the state (JMH does this). */
        public OmnibusBacklog() {
        }

        /**
         * Writes the backlog, then subscribes in a new group at the earliest offset and waits for the first delivery,
         * which the handler holds until the measurement starts (not measured).
         */
        @Setup(Level.Invocation)
        public void fill(Kafka k) throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                kafka = k;
                topic = traced() ? k.fillBacklog("bench.consume.traced", k.tracedPublisher)
                        : k.fillBacklog("bench.consume.omnibus");
                group = "omnibus-" + topic.replace('.', '-');
                latch.arm(BACKLOG);
                gate = new StartGate(handler);
                subscription = Backlogs.subscribe(traced() ? k.tracedBus : k.bus, topic, group, 1024, gate);
                gate.awaitFirst(WAIT);
                Backlogs.collectSetUpGarbage();
            });
        }

        /** Whether this backlog is written and read with metrics and tracing on. */
        boolean traced() {
            return false;
        }

        /** Closes the subscription (its last commit) and checks everything was acked and committed. */
        @TearDown(Level.Invocation)
        public void check() throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                gate.open(); // a failed invocation must not leave the handler held
                Backlogs.closeAndRequireAllAcked(subscription, BACKLOG);
                kafka.requireCommitted(group, topic);
            });
        }
    }

    /** Not thread-safe (JMH state): as {@link OmnibusBacklog}, with metrics and tracing on. */
    @State(Scope.Thread)
    public static class TracedBacklog extends OmnibusBacklog {
        /** Creates the state (JMH does this). */
        public TracedBacklog() {
        }

        @Override
        boolean traced() {
            return true;
        }
    }
}
