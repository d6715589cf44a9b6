package dev.omnibus.bench;

import dev.omnibus.Config;
import dev.omnibus.DeliveryHandler;
import dev.omnibus.Omnibus;
import dev.omnibus.Publisher;
import dev.omnibus.Subscription;
import dev.omnibus.tck.BrokerProcess;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.lettuce.core.Consumer;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.netty.util.concurrent.DefaultThreadFactory;
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

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Not thread-safe (JMH state, one benchmark thread): Omnibus on Redis Streams ({@code redis://}) against raw Lettuce
 * in its fastest shape, on a {@code redis-server} this benchmark starts itself, publish and consume, 100-byte events.
 *
 * <h2>Running</h2>
 * <pre>
 * mvn -B -o -q install -DskipTests -pl backend-redis-streams,bench -am
 * java -jar bench/target/benchmarks.jar RedisStreams -f 1 -wi 6 -i 5
 * # the same run, followed by a table of the Omnibus / raw ratios:
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios RedisStreamsBenchmark -f 1 -wi 6 -i 5
 * </pre>
 * Needs {@code redis-server} on the {@code PATH}. Each trial (one JMH fork per benchmark method) starts its own
 * {@code redis-server} on a free loopback port with a temporary dir and no persistence ({@code --save ""
 * --appendonly no}) in {@link Redis#setUp()} and kills it in {@link Redis#tearDown()}; the machine's own Redis is
 * never used. Every trial therefore runs against an identically configured, empty server, so raw and Omnibus figures of
 * one run are comparable; run them in one invocation on a quiet machine (and note {@code uptime}) because client and
 * server share the cores.
 *
 * <h2>What is compared</h2>
 * All scores are <em>events per second</em> ({@link Mode#Throughput}, each invocation declared as its number of
 * events). The ratio for each pair is {@code omnibus score / raw score}; {@link BenchRatios} prints them.
 * <ul>
 *   <li>{@code publishRaw}: {@value #PUBLISH_BATCH} pipelined {@code XADD}s on a connection with auto-flush off,
 *       {@code flushCommands()} after every {@code rawFlushEvery} commands and at the end, then waits for all
 *       replies. The entry fields are those Omnibus writes for the same event (binary mode: {@code ce-specversion},
 *       {@code ce-id}, {@code ce-source}, {@code ce-type}, {@code content-type}, {@code data}); {@link Redis#setUp()}
 *       checks this against an entry Omnibus actually wrote and fails the trial if they differ. The field maps are
 *       prebuilt, so raw pays no encoding.</li>
 *   <li>{@code publishOmnibus}: {@code publisher.publish(topic, event)} of the same number of prebuilt CloudEvents,
 *       then waits for every receipt (validation, encoding, the publish timeout and the receipt are all measured).
 *       </li>
 *   <li>{@code consumeRaw}: a stream prefilled with {@value #BACKLOG} entries (Omnibus' layout) and a consumer group
 *       at its start; {@code XREADGROUP COUNT rawReadCount} on one connection, and after each batch one {@code XACK}
 *       of its ids sent without waiting (pipelined before the next read), until all are read.</li>
 *   <li>{@code consumeOmnibus}: the same backlog; a subscription in a group at the start of the stream, AUTO ack,
 *       concurrency 1, {@code maxInFlight} 1024; measured until the handler ran for every entry (decoding each entry
 *       into a CloudEvent is part of it).</li>
 *   <li>{@code publishTraced}, {@code consumeTraced}: the same on a second connection with metrics and tracing
 *       ({@link BenchTracing}); the traced backlog's entries also carry a {@code ce-traceparent}, which each
 *       delivery's span continues. {@link BenchRatios} prints each against its plain Omnibus twin.</li>
 * </ul>
 * The consume backlog is written per invocation in {@code @Setup(Level.Invocation)} (not measured: JMH times each
 * invocation on its own when a state has invocation-level fixtures; an invocation lasts about a second, far above
 * the timer's resolution). Omnibus' subscription is opened in that set-up, so its receive thread may start its first
 * read a fraction of a millisecond before the clock starts; raw opens its connection once per trial. After each
 * invocation the group must hold no pending entry (every one acked) or the trial fails; publish streams are deleted
 * after every iteration so the server's memory stays flat.
 */
@Fork(value = 1, jvmArgsPrepend = {SteadyHeap.MIN, SteadyHeap.MAX, SteadyHeap.PRE_TOUCH, SteadyHeap.HUGE_PAGES})
@Warmup(iterations = 6, time = 3, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 3, timeUnit = TimeUnit.SECONDS)
@Threads(1)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RedisStreamsBenchmark {
    /** Events per publish invocation. */
    public static final int PUBLISH_BATCH = 10_000;
    /** Entries in each consume backlog. */
    public static final int BACKLOG = 100_000;
    private static final int DATA_BYTES = 100;
    private static final String RAW_TOPIC = "bench.publish.raw";
    private static final String OMNIBUS_TOPIC = "bench.publish.omnibus";
    private static final String TRACED_TOPIC = "bench.publish.traced";
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    private static final String GROUP = "bench";
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** Creates the benchmark (JMH does this); all state is in {@link Redis} and the backlog states. */
    public RedisStreamsBenchmark() {
    }

    /** Raw Lettuce: pipelined XADDs, {@code flushCommands()} every {@code rawFlushEvery}; waits for all replies. */
    @Benchmark
    @OperationsPerInvocation(PUBLISH_BATCH)
    public void publishRaw(Redis redis, RawPipeline pipeline) {
        redis.publishRaw(pipeline.rawFlushEvery);
    }

    /** Omnibus: publishes prebuilt CloudEvents and waits for every receipt. */
    @Benchmark
    @OperationsPerInvocation(PUBLISH_BATCH)
    public void publishOmnibus(Redis redis) throws Exception {
        redis.publishOmnibus();
    }

    /** Omnibus with metrics and tracing ({@link BenchTracing}): as {@link #publishOmnibus}, on its own connection. */
    @Benchmark
    @OperationsPerInvocation(PUBLISH_BATCH)
    public void publishTraced(Redis redis) throws Exception {
        redis.publishOmnibus(redis.tracedPublisher, TRACED_TOPIC);
    }

    /** Raw Lettuce: XREADGROUP COUNT n, one pipelined XACK per batch, until the backlog is read. */
    @Benchmark
    @OperationsPerInvocation(BACKLOG)
    public int consumeRaw(RawBacklog backlog) throws Exception {
        return backlog.redis.consumeRaw(backlog);
    }

    /** Omnibus: waits until the subscription opened in the set-up has handled the whole backlog (AUTO ack). */
    @Benchmark
    @OperationsPerInvocation(BACKLOG)
    public void consumeOmnibus(OmnibusBacklog backlog) {
        backlog.latch.await(WAIT.toNanos());
    }

    /**
     * Omnibus with metrics and tracing: as {@link #consumeOmnibus}, on a backlog whose entries also carry a
     * {@code ce-traceparent} (as a traced publisher writes them), which each delivery's span continues.
     */
    @Benchmark
    @OperationsPerInvocation(BACKLOG)
    public void consumeTraced(TracedBacklog backlog) {
        backlog.latch.await(WAIT.toNanos());
    }

    /** Not thread-safe (JMH state): raw publishing's pipeline depth. */
    @State(Scope.Thread)
    public static class RawPipeline {
        /** Raw publish: commands between two {@code flushCommands()}. */
        @Param({"128"})
        public int rawFlushEvery;

        /** Creates the state (JMH does this). */
        public RawPipeline() {
        }
    }

    /** Not thread-safe (JMH state): the server, the Omnibus connection, raw Lettuce and the prebuilt events. */
    @State(Scope.Thread)
    public static class Redis {
        private BrokerProcess server;
        private Omnibus bus;
        private Publisher publisher;
        private Omnibus tracedBus;
        private Publisher tracedPublisher;
        private BenchTracing tracing;
        private final List<Map<byte[], byte[]>> tracedFields = new ArrayList<>(PUBLISH_BATCH);
        private ClientResources rawResources;
        private RedisClient rawClient;
        /** Auto-flush off: raw publishing and backlog filling. */
        private StatefulRedisConnection<byte[], byte[]> pipelined;
        /** Auto-flush on: raw consuming and checks. */
        private StatefulRedisConnection<byte[], byte[]> plain;
        private final CloudEvent[] events = new CloudEvent[PUBLISH_BATCH];
        private final List<Map<byte[], byte[]>> fields = new ArrayList<>(PUBLISH_BATCH);
        private final Receipts receipts = new Receipts();
        private final RedisFuture<?>[] added = new RedisFuture<?>[PUBLISH_BATCH];
        private int backlogs;

        /** Creates the state (JMH does this). */
        public Redis() {
        }

        /** Starts redis-server, connects Omnibus and raw Lettuce, prebuilds events and checks the raw field layout. */
        @Setup(Level.Trial)
        public void setUp() throws IOException, InterruptedException {
            server = BenchBrokers.redisServer();
            byte[] data = new byte[DATA_BYTES];
            Arrays.fill(data, (byte) 'x');
            URI source = URI.create("/omnibus/bench");
            for (int i = 0; i < PUBLISH_BATCH; i++) {
                String id = "bench-" + i;
                events[i] = CloudEventBuilder.v1().withId(id).withSource(source).withType("dev.omnibus.bench.tick")
                        .withDataContentType("application/octet-stream").withData(data).build();
                Map<byte[], byte[]> f = new LinkedHashMap<>();
                f.put(b("ce-specversion"), b("1.0"));
                f.put(b("ce-id"), b(id));
                f.put(b("ce-source"), b(source.toString()));
                f.put(b("ce-type"), b("dev.omnibus.bench.tick"));
                f.put(b("content-type"), b("application/octet-stream"));
                Map<byte[], byte[]> traced = new LinkedHashMap<>(f); // the attributes, then the extension, then data
                traced.put(b("ce-traceparent"), b(TRACEPARENT));
                traced.put(b("data"), data);
                tracedFields.add(traced);
                f.put(b("data"), data);
                fields.add(f);
            }
            bus = Omnibus.connect("redis://127.0.0.1:" + server.port() + "?instrumentation=none");
            publisher = bus.publisher();
            Config.Builder traced = Config.builder().url("redis://127.0.0.1:" + server.port()
                    + "?instrumentation=none").useEnvironment(false);
            tracing = BenchTracing.metricsAndTracing(traced);
            tracedBus = Omnibus.connect(traced.build());
            tracedPublisher = tracedBus.publisher();
            rawResources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(1)
                    .threadFactoryProvider(pool -> new DefaultThreadFactory("bench-raw-" + pool, true)).build();
            rawClient = RedisClient.create(rawResources, RedisURI.create("redis://127.0.0.1:" + server.port()));
            pipelined = rawClient.connect(ByteArrayCodec.INSTANCE);
            pipelined.setAutoFlushCommands(false);
            plain = rawClient.connect(ByteArrayCodec.INSTANCE);
            checkLayout();
        }

        /** Fails the trial unless raw writes exactly the fields, in the order, that Omnibus writes for events[0]. */
        private void checkLayout() {
            publisher.publish("bench.layout", events[0]).toCompletableFuture().join();
            List<StreamMessage<byte[], byte[]>> written = plain.sync().xrange(b("bench.layout"), Range.unbounded());
            StringBuilder omnibus = new StringBuilder();
            written.get(0).getBody().forEach((k, v) -> omnibus.append(s(k)).append('=').append(s(v)).append(' '));
            StringBuilder raw = new StringBuilder();
            fields.get(0).forEach((k, v) -> raw.append(s(k)).append('=').append(s(v)).append(' '));
            if (!omnibus.toString().equals(raw.toString())) {
                throw new IllegalStateException("raw field layout differs from Omnibus': omnibus [" + omnibus
                        + "], raw [" + raw + "]");
            }
            plain.sync().del(b("bench.layout"));
        }

        /** Stops everything and kills redis-server. */
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
                if (rawClient != null) {
                    pipelined.close();
                    plain.close();
                    rawClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
                    rawResources.shutdown(0, 2, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS);
                }
            } finally {
                if (server != null) {
                    server.stop();
                }
            }
        }

        /** Deletes the publish streams, so that memory and stream size do not grow from iteration to iteration. */
        @TearDown(Level.Iteration)
        public void dropPublished() {
            plain.sync().del(b(RAW_TOPIC), b(OMNIBUS_TOPIC), b(TRACED_TOPIC));
        }

        void publishRaw(int rawFlushEvery) {
            RedisAsyncCommands<byte[], byte[]> async = pipelined.async();
            byte[] key = b(RAW_TOPIC);
            for (int i = 0; i < PUBLISH_BATCH; i++) {
                added[i] = async.xadd(key, fields.get(i));
                if ((i + 1) % rawFlushEvery == 0) {
                    pipelined.flushCommands();
                }
            }
            pipelined.flushCommands();
            if (!LettuceFutures.awaitAll(WAIT, added)) {
                throw new IllegalStateException("raw XADDs not confirmed within " + WAIT);
            }
        }

        void publishOmnibus() throws Exception {
            publishOmnibus(publisher, OMNIBUS_TOPIC);
        }

        void publishOmnibus(Publisher through, String topic) throws Exception {
            receipts.expect(PUBLISH_BATCH);
            for (int i = 0; i < PUBLISH_BATCH; i++) {
                through.publish(topic, events[i]).whenComplete(receipts);
            }
            receipts.await(WAIT);
        }

        int consumeRaw(RawBacklog backlog) throws Exception {
            RedisAsyncCommands<byte[], byte[]> async = plain.async();
            Consumer<byte[]> consumer = Consumer.from(b(GROUP), b("raw"));
            XReadArgs.StreamOffset<byte[]> undelivered = XReadArgs.StreamOffset.lastConsumed(backlog.key);
            XReadArgs count = XReadArgs.Builder.count(backlog.rawReadCount);
            int read = 0;
            while (read < BACKLOG) {
                List<StreamMessage<byte[], byte[]>> batch = async.xreadgroup(consumer, count, undelivered)
                        .get(WAIT.toSeconds(), TimeUnit.SECONDS);
                if (batch.isEmpty()) {
                    throw new IllegalStateException("backlog ran dry after " + read + " of " + BACKLOG);
                }
                String[] ids = new String[batch.size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = batch.get(i).getId();
                }
                backlog.lastAck = async.xack(backlog.key, b(GROUP), ids);
                read += ids.length;
            }
            return read;
        }

        /** Appends {@value #BACKLOG} entries to {@code key} with pipelined XADDs and creates the group at its start. */
        private byte[] fillBacklog(String prefix) throws InterruptedException, ExecutionException, TimeoutException {
            return fillBacklog(prefix, fields);
        }

        /** As {@link #fillBacklog(String)}, with the entries' fields taken from {@code entries} in turn. */
        private byte[] fillBacklog(String prefix, List<Map<byte[], byte[]>> entries)
                throws InterruptedException, ExecutionException, TimeoutException {
            byte[] key = b(prefix + "." + backlogs++);
            RedisAsyncCommands<byte[], byte[]> async = pipelined.async();
            RedisFuture<?>[] fill = new RedisFuture<?>[BACKLOG];
            for (int i = 0; i < BACKLOG; i++) {
                fill[i] = async.xadd(key, entries.get(i % PUBLISH_BATCH));
                if ((i + 1) % 1000 == 0) {
                    pipelined.flushCommands();
                }
            }
            pipelined.flushCommands();
            if (!LettuceFutures.awaitAll(WAIT, fill)) {
                throw new IllegalStateException("backlog not written within " + WAIT);
            }
            plain.async().xgroupCreate(XReadArgs.StreamOffset.from(key, "0"), b(GROUP),
                    XGroupCreateArgs.Builder.mkstream()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            return key;
        }

        /** Fails unless the group on {@code key} has no pending entry; then deletes the stream. */
        private void requireAllAcked(byte[] key) throws Exception {
            long pending = plain.async().xpending(key, b(GROUP)).get(WAIT.toSeconds(), TimeUnit.SECONDS).getCount();
            plain.sync().del(key);
            if (pending != 0) {
                throw new IllegalStateException(pending + " entries of " + s(key)
                        + " still pending after the invocation");
            }
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Not thread-safe (JMH state): the raw consumer's backlog, written before each invocation. */
    @State(Scope.Thread)
    public static class RawBacklog {
        /** Raw consume: the {@code COUNT} of each {@code XREADGROUP}. */
        @Param({"256"})
        public int rawReadCount;
        byte[] key;
        RedisFuture<Long> lastAck;
        Redis redis;

        /** Creates the state (JMH does this). */
        public RawBacklog() {
        }

        /** Writes the backlog and creates the group (not measured). */
        @Setup(Level.Invocation)
        public void fill(Redis b) throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                redis = b;
                key = b.fillBacklog("bench.consume.raw");
            });
        }

        /** Waits for the last XACK and checks that nothing is left pending. */
        @TearDown(Level.Invocation)
        public void check() throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                if (lastAck != null) {
                    lastAck.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                    lastAck = null;
                }
                redis.requireAllAcked(key);
            });
        }
    }

    /** Not thread-safe (JMH state): the Omnibus subscription and its backlog, set up before each invocation. */
    @State(Scope.Thread)
    public static class OmnibusBacklog {
        final FanOutLatch latch = new FanOutLatch();
        private final DeliveryHandler handler = latch.newHandler();
        private Redis redis;
        private byte[] key;
        private Subscription subscription;

        /** Creates the state (JMH does this). */
        public OmnibusBacklog() {
        }

        /** Writes the backlog, then subscribes in the group (not measured). */
        @Setup(Level.Invocation)
        public void fill(Redis b) throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                redis = b;
                key = traced() ? b.fillBacklog("bench.consume.traced", b.tracedFields)
                        : b.fillBacklog("bench.consume.omnibus");
                latch.arm(BACKLOG);
                subscription = Backlogs.subscribe(traced() ? b.tracedBus : b.bus, s(key), GROUP, 1024, handler);
            });
        }

        /** Whether this backlog is read with metrics and tracing on. */
        boolean traced() {
            return false;
        }

        /** Closes the subscription (which sends its last acks) and checks that nothing is left pending. */
        @TearDown(Level.Invocation)
        public void check() throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                Backlogs.closeAndRequireAllAcked(subscription, BACKLOG);
                redis.requireAllAcked(key);
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
