package dev.omnibus.bench;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import dev.omnibus.Omnibus;
import dev.omnibus.gcp.PubSubEmulator;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Not thread-safe (JMH state, one benchmark thread): publishing through Omnibus on Pub/Sub ({@code gcppubsub://})
 * against the plain google-cloud-pubsub {@link Publisher}, on one Google Pub/Sub emulator this benchmark starts
 * itself (backend-gcp's {@link PubSubEmulator}), 100-byte events.
 *
 * <h2>Running</h2>
 * <pre>
 * mvn -B -q -DskipTests -pl bench -am package
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios PubSubBenchmark -f 1 -wi 2 -i 3
 * </pre>
 * Needs the emulator (./test.sh installs it; see docs/backends/gcppubsub.md). Each trial starts its own emulator on
 * a free loopback port and kills it at the end; the emulator runs on the same cores as the client, so run both
 * benchmarks in one invocation on a quiet machine.
 *
 * <h2>What is compared</h2>
 * Events per second ({@link Mode#Throughput}, each invocation counting {@value #BATCH} events). Both sides publish
 * {@value #BATCH} prebuilt events to a topic without subscriptions and wait for every server message id, with the same
 * batching (100 messages, 1,000,000 bytes, 1 ms: Omnibus' defaults) and message ordering on.
 * <ul>
 *   <li>{@code publishRaw}: {@code Publisher.publish} of prebuilt {@link PubsubMessage}s carrying the attributes
 *       Omnibus writes in binary mode ({@code ce-specversion}, {@code ce-id}, {@code ce-source}, {@code ce-type},
 *       {@code content-type}), so raw pays no encoding; copied before each invocation ({@link FreshMessages}), so
 *       that no message arrives with its serialized size already computed by an earlier publish.</li>
 *   <li>{@code publishOmnibus}: {@code publisher.publish(topic, event)} of prebuilt CloudEvents (validation,
 *       encoding, the publish timeout and the receipt are measured).</li>
 * </ul>
 * Consuming is not compared here.
 */
@Fork(value = 1, jvmArgsPrepend = {SteadyHeap.MIN, SteadyHeap.MAX, SteadyHeap.PRE_TOUCH, SteadyHeap.HUGE_PAGES})
@Warmup(iterations = 2, time = 3, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 3, timeUnit = TimeUnit.SECONDS)
@Threads(1)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PubSubBenchmark {
    /** Events per invocation. */
    public static final int BATCH = 5_000;
    private static final int DATA_BYTES = 100;
    private static final String RAW_TOPIC = "bench.publish.raw";
    private static final String OMNIBUS_TOPIC = "bench.publish.omnibus";
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** Creates the benchmark (JMH does this); all state is in {@link Emulator}. */
    public PubSubBenchmark() {
    }

    /** Plain google-cloud-pubsub: publishes prebuilt messages and waits for every message id. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void publishRaw(Emulator e, FreshMessages fresh) throws Exception {
        List<ApiFuture<String>> ids = new ArrayList<>(BATCH);
        for (PubsubMessage m : fresh.messages) {
            ids.add(e.raw.publish(m));
        }
        ApiFutures.allAsList(ids).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Omnibus: publishes prebuilt CloudEvents and waits for every receipt. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void publishOmnibus(Emulator e) throws Exception {
        Receipts receipts = e.receipts.expect(BATCH);
        for (int i = 0; i < BATCH; i++) {
            e.bus.publisher().publish(OMNIBUS_TOPIC, e.events.get(i)).whenComplete(receipts);
        }
        receipts.await(WAIT);
    }

    /**
     * Not thread-safe (JMH state): copies of the prebuilt messages made before each invocation, outside the timing. A
     * protobuf message caches its serialized size, which the client computes for every publish: publishing the same
     * message objects again would have raw skip that work from the second invocation on, which no application
     * publishing new events can, while Omnibus builds a new message per event.
     */
    @State(Scope.Thread)
    public static class FreshMessages {
        final List<PubsubMessage> messages = new ArrayList<>(BATCH);

        /** Copies every prebuilt message (a new object, its size not yet computed). */
        @Setup(Level.Invocation)
        public void copy(Emulator e) throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                messages.clear();
                for (PubsubMessage m : e.messages) {
                    messages.add(m.toBuilder().build());
                }
            });
        }
    }

    /** Not thread-safe (JMH state): the emulator, the Omnibus connection, the raw publisher and prebuilt events. */
    @State(Scope.Benchmark)
    public static class Emulator {
        private final PubSubEmulator emulator = new PubSubEmulator();
        Omnibus bus;
        Publisher raw;
        final List<CloudEvent> events = new ArrayList<>(BATCH);
        final List<PubsubMessage> messages = new ArrayList<>(BATCH);
        final Receipts receipts = new Receipts();

        /** Starts the emulator, provisions both topics through Omnibus and prebuilds the events. */
        @Setup(Level.Trial)
        public void setUp() throws Exception {
            emulator.start();
            bus = Omnibus.connect(emulator.url() + "&instrumentation=none");
            byte[] data = new byte[DATA_BYTES];
            Arrays.fill(data, (byte) 'x');
            for (int i = 0; i < BATCH; i++) {
                CloudEvent event = CloudEventBuilder.v1().withId("bench-" + i).withSource(URI.create("/bench"))
                        .withType("bench.event").withData("application/octet-stream", data).build();
                events.add(event);
                messages.add(PubsubMessage.newBuilder().setData(ByteString.copyFrom(data))
                        .putAttributes("ce-specversion", "1.0").putAttributes("ce-id", event.getId())
                        .putAttributes("ce-source", "/bench").putAttributes("ce-type", "bench.event")
                        .putAttributes("content-type", "application/octet-stream").build());
            }
            for (String topic : List.of(RAW_TOPIC, OMNIBUS_TOPIC)) {
                bus.publisher().publish(topic, events.get(0)).toCompletableFuture().get(WAIT.toMillis(),
                        TimeUnit.MILLISECONDS);
            }
            raw = Publisher.newBuilder(TopicName.of(PubSubEmulator.PROJECT, RAW_TOPIC))
                    .setChannelProvider(emulator.rawChannel())
                    .setCredentialsProvider(NoCredentialsProvider.create())
                    .setEnableMessageOrdering(true)
                    .setBatchingSettings(BatchingSettings.newBuilder().setElementCountThreshold(100L)
                            .setRequestByteThreshold(1_000_000L).setDelayThresholdDuration(Duration.ofMillis(1))
                            .build())
                    .build();
        }

        /** Stops the publisher, the connection and the emulator. */
        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            try {
                if (raw != null) {
                    raw.shutdown();
                    raw.awaitTermination(10, TimeUnit.SECONDS);
                }
                if (bus != null) {
                    bus.close(Duration.ofSeconds(5));
                }
            } finally {
                emulator.stop();
            }
        }
    }
}
