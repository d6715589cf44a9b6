package dev.omnibus.bench;

import dev.omnibus.AckMode;
import dev.omnibus.Config;
import dev.omnibus.Omnibus;
import dev.omnibus.OverflowPolicy;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.SubscriptionStats;
import dev.omnibus.micrometer.OmnibusMetrics;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * What instrumentation costs: memory-backend ({@code mem://}) publish&rarr;handler throughput with no
 * instrumentation, with {@link OmnibusMetrics} (a {@link SimpleMeterRegistry}), and with metrics plus
 * tracing ({@link BenchTracing}: an OpenTelemetry SDK sampling every span, batch processor, exporter that
 * discards), in one run. Not thread-safe: JMH state of one benchmark thread.
 *
 * <h2>Running</h2>
 * <pre>
 * mvn -B -q -DskipTests -pl bench -am package
 * java -jar bench/target/benchmarks.jar InstrumentationOverheadBenchmark -f 1
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.InstrumentationRatios 1
 * </pre>
 * The JMH run gives absolute figures per set-up; {@link InstrumentationRatios} gives the ratios, measured by
 * interleaving the three set-ups in one JVM, which a shared machine's drifting load distorts far less.
 *
 * <h2>Set-up</h2>
 * As {@link MemoryFanOutBenchmark}'s {@code throughput}: per invocation {@value #BATCH} prebuilt events (100 bytes of
 * data) are published to {@code fanout} subscriptions (AUTO ack, concurrency 1, capacity above the batch), and the
 * invocation ends when every handler ran for every event. Score: published events per second, each delivered to
 * all subscriptions. The plain connection sets {@code instrumentation=none} so that the modules on this classpath
 * are not discovered.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsPrepend = {SteadyHeap.MIN, SteadyHeap.MAX, SteadyHeap.PRE_TOUCH, SteadyHeap.HUGE_PAGES})
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Threads(1)
public class InstrumentationOverheadBenchmark {
    /** Events published per invocation. */
    public static final int BATCH = 1000;
    private static final int CAPACITY = 4096;
    private static final String TOPIC = "bench.instrumented";
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** {@code plain}, {@code metrics}, or {@code metrics+tracing}. */
    @Param({"plain", "metrics", "metrics+tracing"})
    public String instrumentation;

    /** Number of independent subscriptions on the topic. */
    @Param({"1", "4"})
    public int fanout;

    private Omnibus bus;
    private Publisher publisher;
    private FanOutLatch latch;
    private BenchTracing tracing;
    private final List<Subscription> subscriptions = new ArrayList<>();
    private final CloudEvent[] events = new CloudEvent[BATCH];
    private final CompletionStage<?>[] sent = new CompletionStage<?>[BATCH];

    /** Creates the benchmark state (JMH does this). */
    public InstrumentationOverheadBenchmark() {
    }

    /** Connects with the instrumentation asked for and subscribes {@code fanout} times. */
    @Setup(Level.Trial)
    public void setUp() {
        byte[] data = new byte[100];
        Arrays.fill(data, (byte) 'x');
        for (int i = 0; i < BATCH; i++) {
            events[i] = CloudEventBuilder.v1().withId("bench-" + i).withSource(URI.create("/omnibus/bench"))
                    .withType("dev.omnibus.bench.tick").withDataContentType("application/octet-stream")
                    .withData(data).build();
        }
        Config.Builder config = Config.builder().url("mem://bench-" + UUID.randomUUID() + "?instrumentation=none")
                .useEnvironment(false);
        switch (instrumentation) {
            case "plain":
                break;
            case "metrics+tracing":
                tracing = BenchTracing.metricsAndTracing(config);
                break;
            case "metrics":
                config.instrumentation(OmnibusMetrics.of(new SimpleMeterRegistry()));
                break;
            default:
                throw new IllegalArgumentException("instrumentation: plain, metrics or metrics+tracing, was "
                        + instrumentation);
        }
        bus = Omnibus.connect(config.build());
        publisher = bus.publisher();
        latch = new FanOutLatch();
        SubscribeOptions options = SubscribeOptions.topic(TOPIC).ackMode(AckMode.AUTO).concurrency(1)
                .maxInFlight(CAPACITY).bufferCapacity(CAPACITY).overflow(OverflowPolicy.block());
        for (int i = 0; i < fanout; i++) {
            subscriptions.add(bus.subscriber().subscribe(options, latch.newHandler()));
        }
    }

    /** Fails the trial if a subscription misbehaved, then closes everything. */
    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            for (Subscription s : subscriptions) {
                SubscriptionStats stats = s.stats();
                if (s.failure().isPresent() || stats.dropped() > 0 || stats.nacked() > 0) {
                    throw new IllegalStateException("subscription misbehaved: " + stats, s.failure().orElse(null));
                }
            }
        } finally {
            subscriptions.clear();
            bus.close(Duration.ofSeconds(5));
            if (tracing != null) {
                tracing.close();
            }
        }
    }

    /** Publishes {@value #BATCH} events and waits until every subscription handled them all. Score: events/s. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BATCH)
    public void throughput() {
        latch.arm(BATCH);
        for (int i = 0; i < BATCH; i++) {
            sent[i] = publisher.publish(TOPIC, events[i]);
        }
        latch.await(TIMEOUT_NANOS);
        for (int i = 0; i < BATCH; i++) {
            sent[i].toCompletableFuture().join();
            sent[i] = null;
        }
    }
}
