package dev.omnibus.bench;

import dev.omnibus.AckMode;
import dev.omnibus.Omnibus;
import dev.omnibus.OverflowPolicy;
import dev.omnibus.PublishReceipt;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.SubscriptionStats;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.infra.Control;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * In-memory ({@code mem://}) publish&rarr;handler throughput and latency, for 1&rarr;1 and 1&rarr;16 fan-out.
 *
 * <h2>Running</h2>
 * <pre>
 * mvn -B -q -DskipTests -pl bench -am package
 * java -jar bench/target/benchmarks.jar -f 1 -wi 3 -i 5
 * </pre>
 * The annotation defaults (1 fork, 3 &times; 2 s warm-up, 5 &times; 2 s measurement, 1 thread) keep a full run of
 * both benchmarks and both fan-outs to about 1.5 minutes. Add a regular expression to run one of them
 * ({@code MemoryFanOutBenchmark.throughput}), {@code -p fanout=16} to pick a fan-out, {@code -prof gc} for
 * allocation per operation. {@code mvn verify} compiles this module but never runs it.
 *
 * <h2>Set-up</h2>
 * Each trial connects to a fresh broker {@code mem://bench-<uuid>} and opens {@code fanout} independent
 * subscriptions (no group) on one topic: AUTO ack, concurrency 1 (the handler runs on the subscription's receive
 * thread), {@code maxInFlight} and {@code bufferCapacity} {@value #CAPACITY}, overflow BLOCK. The
 * {@value #BATCH} events (100 bytes of data each) are built once in {@link #setUp()}, so event construction is not
 * measured. Handlers only count (see {@link FanOutLatch}): what is measured is the library and the backend. The
 * benchmark thread publishes, then waits for the deliveries: it polls for up to 1 ms (spinning, then yielding)
 * and then parks until the last handler wakes it. A round that takes over 30 s fails the run, and so does a
 * subscription that failed, dropped or nacked events.
 *
 * <h2>What the numbers mean</h2>
 * <ul>
 *   <li>{@code throughput} (ops/s): one invocation publishes {@value #BATCH} events and returns once every
 *       subscription has handled all of them. It is declared as {@value #BATCH} operations, so the primary score is
 *       <em>published events per second</em>, each fully delivered to all {@code fanout} subscriptions. The secondary
 *       result {@code throughput:deliveries} is <em>handler invocations per second</em> (= events/s &times;
 *       {@code fanout}), counted by a JMH {@link AuxCounters} for exactly the invocations JMH measured and divided by
 *       the same measured time:
 *       {@code @OperationsPerInvocation} must be a compile-time constant and cannot include a {@code @Param}, so
 *       counting the deliveries is the honest way to report them rather than scaling a score afterwards.
 *       Publishing is in bursts of {@value #BATCH}, so this is the throughput of a pipeline kept full.</li>
 *   <li>{@code latency} (&micro;s/op, {@link Mode#SampleTime}): one invocation publishes one event and returns once
 *       every subscription has handled it; JMH times invocations itself and prints percentiles ({@code p0.50},
 *       {@code p0.99}, ...). With fan-out 1 this is the publish&rarr;handler latency; with fan-out 16 it is the time
 *       until the <em>slowest</em> of the 16 handlers ran, which is what a publisher waiting on all consumers sees.
 *       The pipeline is idle between invocations, so the figure includes waking parked receive threads and none of
 *       the queueing of a loaded pipeline. This was preferred over stamping {@code System.nanoTime()} into each event
 *       and collecting per-handler samples: events stay prebuilt, handlers do no clock reads or parsing, and JMH's
 *       own sampling, histogram and error estimates are used; under burst load such stamps would mostly measure
 *       the burst size.</li>
 * </ul>
 * Fan-out 16 starts 16 receive threads; on a machine with fewer cores than that they take turns, and the figures
 * show it.
 */
@State(Scope.Thread)
@Fork(value = 1, jvmArgsPrepend = {SteadyHeap.MIN, SteadyHeap.MAX, SteadyHeap.PRE_TOUCH, SteadyHeap.HUGE_PAGES})
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Threads(1)
public class MemoryFanOutBenchmark {
    /** Events published per {@code throughput} invocation. */
    public static final int BATCH = 1000;
    /** maxInFlight and bufferCapacity of each subscription: above {@link #BATCH}, so publishing never blocks. */
    public static final int CAPACITY = 4096;
    private static final int DATA_BYTES = 100;
    private static final String TOPIC = "bench.fanout";
    private static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** Number of independent subscriptions on the topic, each receiving every event. */
    @Param({"1", "16"})
    public int fanout;

    private Omnibus bus;
    private Publisher publisher;
    private FanOutLatch latch;
    private final List<Subscription> subscriptions = new ArrayList<>();
    private final CloudEvent[] events = new CloudEvent[BATCH];
    private final CompletionStage<?>[] sent = new CompletionStage<?>[BATCH];
    private int next;

    /** Creates the benchmark state (JMH does this). */
    public MemoryFanOutBenchmark() {
    }

    /** Connects to a fresh broker, subscribes {@code fanout} times and prebuilds the events. */
    @Setup(Level.Trial)
    public void setUp() {
        byte[] data = new byte[DATA_BYTES];
        Arrays.fill(data, (byte) 'x');
        URI source = URI.create("/omnibus/bench");
        for (int i = 0; i < BATCH; i++) {
            events[i] = CloudEventBuilder.v1()
                    .withId("bench-" + i)
                    .withSource(source)
                    .withType("dev.omnibus.bench.tick")
                    .withDataContentType("application/octet-stream")
                    .withData(data)
                    .build();
        }
        bus = Omnibus.connect("mem://bench-" + UUID.randomUUID());
        publisher = bus.publisher();
        latch = new FanOutLatch();
        SubscribeOptions options = SubscribeOptions.topic(TOPIC)
                .ackMode(AckMode.AUTO)
                .concurrency(1)
                .maxInFlight(CAPACITY)
                .bufferCapacity(CAPACITY)
                .overflow(OverflowPolicy.block());
        for (int i = 0; i < fanout; i++) {
            subscriptions.add(bus.subscriber().subscribe(options, latch.newHandler()));
        }
    }

    /** Fails the trial if a subscription failed or dropped events, then closes everything. */
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
        }
    }

    /**
     * Publishes {@value #BATCH} events and waits until every subscription handled them all. Score: events/s;
     * {@code deliveries}: handler invocations/s.
     */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(BATCH)
    public void throughput(Deliveries counters, Control control) {
        // JMH counts an invocation as measured when it starts inside the measurement window (see Deliveries).
        boolean measured = control.startMeasurement && !control.stopMeasurement;
        latch.arm(BATCH);
        for (int i = 0; i < BATCH; i++) {
            sent[i] = publisher.publish(TOPIC, events[i]);
        }
        latch.await(TIMEOUT_NANOS);
        for (int i = 0; i < BATCH; i++) {
            sent[i].toCompletableFuture().join(); // already complete once delivered; throws a failed publish
            sent[i] = null;
        }
        if (measured) {
            counters.deliveries += (long) BATCH * fanout;
        }
    }

    /** Publishes one event and waits until every subscription handled it; sampled by JMH for percentiles. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public PublishReceipt latency() {
        latch.arm(1);
        CompletionStage<PublishReceipt> receipt = publisher.publish(TOPIC, events[next]);
        next = next + 1 == BATCH ? 0 : next + 1;
        latch.await(TIMEOUT_NANOS);
        return receipt.toCompletableFuture().join();
    }

    /**
     * Handler invocations of one benchmark thread, reported by JMH as a rate ({@code throughput:deliveries}) over
     * the measured time of each iteration. Only invocations that start inside the measurement window count: the
     * same ones JMH counts for the primary score (with several threads, invocations in the other threads'
     * warm-up and warm-down run too, and JMH does not count them).
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Deliveries {
        /** Handler invocations completed in the current iteration. */
        public long deliveries;

        /** Creates the counters (JMH does this). */
        public Deliveries() {
        }

        /** Starts each iteration from zero. */
        @Setup(Level.Iteration)
        public void reset() {
            deliveries = 0;
        }
    }
}
