package dev.omnibus.bench;

import dev.omnibus.DeliveryHandler;
import dev.omnibus.Omnibus;
import dev.omnibus.Publisher;
import dev.omnibus.Subscription;
import dev.omnibus.nats.NatsBinding;
import dev.omnibus.tck.BrokerProcess;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.MessageConsumer;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.PurgeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.ConsumeOptions;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Not thread-safe (JMH state, one benchmark thread): Omnibus on NATS core ({@code nats://}) and JetStream
 * ({@code jetstream://}) against raw jnats in its fastest shapes, on a {@code nats-server -js} this benchmark starts
 * itself, 100-byte events.
 *
 * <h2>Running</h2>
 * <pre>
 * mvn -B -q package -DskipTests -pl bench -am
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios NatsBenchmark -f 1 -wi 2 -i 3
 * </pre>
 * Needs {@code nats-server} on the {@code PATH}. Each trial (one JMH fork per benchmark method) starts its own server
 * on a free loopback port with a temporary store ({@link Nats#setUp()}) and kills it afterwards, so every method runs
 * against an identically configured, empty server; the machine's own server is never used.
 *
 * <h2>What is compared</h2>
 * Scores are events per second; the ratio of each pair is {@code omnibus / raw}. Raw messages are prebuilt with the
 * same CloudEvents NATS binding Omnibus uses ({@link NatsBinding#toBinaryMessage}), so raw pays no encoding; the
 * NATS core ones with read-only headers, which jnats publishes without copying them (since 2026-12-05); the
 * JetStream ones carry the same {@code Nats-Msg-Id} Omnibus sets.
 * <ul>
 *   <li>{@code corePublishRaw}: {@value #BATCH} {@code connection.publish} calls, then one {@code flush} (the server
 *       has them all). {@code corePublishOmnibus}: {@code publish} of as many events on {@code nats://}, waiting for
 *       every receipt (Omnibus confirms a core publish by a flush too).</li>
 *   <li>{@code jetStreamPublishRaw}: {@code publishAsync} with at most {@value #WINDOW} PubAcks outstanding (the
 *       oldest is awaited before the next is sent), then all awaited. {@code jetStreamPublishOmnibus}: {@code publish}
 *       of as many events on {@code jetstream://}, then all receipts awaited. File storage for both; fresh event ids
 *       per invocation so no publish is a de-duplicated one.</li>
 *   <li>{@code jetStreamConsumeRaw}: a backlog of {@value #BACKLOG} messages, a durable pull consumer (explicit ack)
 *       read with {@code consume()} in batches of {@value #PULL_BATCH}, each message acked (JetStream has no
 *       batch ack under the explicit policy). {@code jetStreamConsumeOmnibus}: the same backlog, a group subscription
 *       from the earliest message, AUTO ack, concurrency 1, {@code maxInFlight} {@value #PULL_BATCH}.</li>
 * </ul>
 * Backlogs are written in an invocation-level set-up (not measured); JMH times such invocations one by one, each
 * lasting far longer than the timer's resolution. After each consume invocation the consumer must have no message
 * pending acknowledgement, or the trial fails.
 */
@Fork(value = 1, jvmArgsPrepend = {SteadyHeap.MIN, SteadyHeap.MAX, SteadyHeap.PRE_TOUCH, SteadyHeap.HUGE_PAGES})
@Warmup(iterations = 2, time = 3, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 3, timeUnit = TimeUnit.SECONDS)
@Threads(1)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class NatsBenchmark {
    /** Events per publish invocation. */
    public static final int BATCH = 10_000;
    /** Raw JetStream publish: PubAcks awaited at most. */
    public static final int WINDOW = 1000;
    /** Messages in each consume backlog. */
    public static final int BACKLOG = 50_000;
    /** Messages per pull request, raw and Omnibus. */
    public static final int PULL_BATCH = 256;
    private static final int DATA_BYTES = 100;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final URI SOURCE = URI.create("/omnibus/bench");

    /** Creates the benchmark (JMH does this); all state is in {@link Nats} and the per-invocation states. */
    public NatsBenchmark() {
    }

    /** Raw jnats: publish, then one flush. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void corePublishRaw(Nats nats, Batch batch) throws Exception {
        for (NatsMessage m : batch.coreMessages) {
            nats.raw.publish(m);
        }
        nats.raw.flush(WAIT);
    }

    /** Omnibus on {@code nats://}: publish, then every receipt. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void corePublishOmnibus(Nats nats, Batch batch) throws Exception {
        publishAll(nats.core, "benchcore.omnibus", batch);
    }

    /** Raw jnats: publishAsync with a bounded window of outstanding PubAcks. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void jetStreamPublishRaw(Nats nats, Batch batch) throws Exception {
        CompletableFuture<PublishAck>[] acks = batch.acks;
        for (int i = 0; i < BATCH; i++) {
            if (i >= WINDOW) {
                acks[i - WINDOW].get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
            acks[i] = nats.js.publishAsync(batch.jsMessages[i], batch.jsOptions[i]);
        }
        CompletableFuture.allOf(acks).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Omnibus on {@code jetstream://}: publish, then every receipt. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void jetStreamPublishOmnibus(Nats nats, Batch batch) throws Exception {
        publishAll(nats.jetstream, "benchjso.publish", batch);
    }

    /** Raw jnats: a pull consumer's {@code consume()}, every message acked, until the backlog is read. */
    @Benchmark
    @OperationsPerInvocation(BACKLOG)
    public void jetStreamConsumeRaw(RawBacklog backlog) throws Exception {
        if (!backlog.done.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            throw new IllegalStateException("raw consumer read " + (BACKLOG - backlog.done.getCount()) + " of "
                    + BACKLOG + " within " + WAIT);
        }
    }

    /** Omnibus: waits until the group subscription opened in the set-up has handled the backlog (AUTO ack). */
    @Benchmark
    @OperationsPerInvocation(BACKLOG)
    public void jetStreamConsumeOmnibus(OmnibusBacklog backlog) {
        backlog.latch.await(WAIT.toNanos());
    }

    private static void publishAll(Publisher publisher, String topic, Batch batch) throws Exception {
        Receipts receipts = batch.receipts.expect(BATCH);
        for (int i = 0; i < BATCH; i++) {
            publisher.publish(topic, batch.events[i]).whenComplete(receipts);
        }
        receipts.await(WAIT);
    }

    private static CloudEvent event(String id) {
        byte[] data = new byte[DATA_BYTES];
        Arrays.fill(data, (byte) 'x');
        return CloudEventBuilder.v1().withId(id).withSource(SOURCE).withType("dev.omnibus.bench.tick")
                .withDataContentType("application/octet-stream").withData(data).build();
    }

    /** Not thread-safe (JMH state): the server, the Omnibus connections and the raw jnats connection. */
    @State(Scope.Thread)
    public static class Nats {
        private BrokerProcess server;
        private Omnibus coreBus;
        private Omnibus jetStreamBus;
        Publisher core;
        Publisher jetstream;
        Connection raw;
        JetStream js;
        JetStreamManagement jsm;
        private int backlogs;

        /** Creates the state (JMH does this). */
        public Nats() {
        }

        /** Starts nats-server, connects Omnibus (both schemes) and raw jnats, creates the raw streams. */
        @Setup(Level.Trial)
        public void setUp() throws Exception {
            server = BenchBrokers.natsServer();
            String address = "127.0.0.1:" + server.port();
            coreBus = Omnibus.connect("nats://" + address + "?instrumentation=none");
            jetStreamBus = Omnibus.connect("jetstream://" + address + "?instrumentation=none");
            core = coreBus.publisher();
            jetstream = jetStreamBus.publisher();
            raw = io.nats.client.Nats.connect(new Options.Builder().server("nats://" + address).build());
            js = raw.jetStream();
            jsm = raw.jetStreamManagement();
            // the streams Omnibus would create on demand for these prefixes (stream.prefix.tokens=1, file storage)
            for (String prefix : List.of("benchjsr", "benchjso", "benchbacklog")) {
                jsm.addStream(StreamConfiguration.builder().name(prefix).subjects(prefix, prefix + ".>")
                        .storageType(StorageType.File).build());
            }
        }

        /** Closes everything and kills nats-server. */
        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            try {
                if (coreBus != null) {
                    coreBus.close(Duration.ofSeconds(5));
                }
                if (jetStreamBus != null) {
                    jetStreamBus.close(Duration.ofSeconds(5));
                }
                if (raw != null) {
                    raw.close();
                }
            } finally {
                if (server != null) {
                    server.stop();
                }
            }
        }

        /** Empties the publish streams so the store stays small from iteration to iteration. */
        @TearDown(Level.Iteration)
        public void purge() throws Exception {
            jsm.purgeStream("benchjsr");
            jsm.purgeStream("benchjso");
        }

        /** Writes {@value #BACKLOG} messages to a fresh topic of the backlog stream; returns the topic. */
        String fillBacklog(String kind) throws Exception {
            String topic = "benchbacklog." + kind + "." + backlogs++;
            CompletableFuture<?>[] acks = new CompletableFuture<?>[BACKLOG];
            for (int i = 0; i < BACKLOG; i++) {
                CloudEvent e = event(topic + "-" + i);
                acks[i] = js.publishAsync(NatsBinding.toBinaryMessage(topic, e));
                if (i >= WINDOW) {
                    acks[i - WINDOW].get(WAIT.toSeconds(), TimeUnit.SECONDS);
                }
            }
            CompletableFuture.allOf(acks).get(WAIT.toSeconds(), TimeUnit.SECONDS);
            return topic;
        }

        /**
         * Fails unless consumer {@code name} comes to have nothing pending acknowledgement within 10 s (acks are
         * fire-and-forget messages the server applies asynchronously), then deletes it and purges its topic.
         */
        void requireAllAcked(String name, String topic) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            ConsumerInfo info = jsm.getConsumerInfo("benchbacklog", name);
            while ((info.getNumAckPending() != 0 || info.getNumPending() != 0) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                info = jsm.getConsumerInfo("benchbacklog", name);
            }
            long pending = info.getNumAckPending();
            long unread = info.getNumPending();
            jsm.deleteConsumer("benchbacklog", name);
            jsm.purgeStream("benchbacklog", PurgeOptions.subject(topic));
            if (pending != 0 || unread != 0) {
                throw new IllegalStateException("consumer " + name + ": " + pending + " awaiting ack and " + unread
                        + " unread after the invocation");
            }
        }
    }

    /** Not thread-safe (JMH state): one invocation's events and messages, with ids never published before. */
    @State(Scope.Thread)
    public static class Batch {
        final CloudEvent[] events = new CloudEvent[BATCH];
        final NatsMessage[] coreMessages = new NatsMessage[BATCH];
        final NatsMessage[] jsMessages = new NatsMessage[BATCH];
        final PublishOptions[] jsOptions = new PublishOptions[BATCH];
        final Receipts receipts = new Receipts();
        @SuppressWarnings("unchecked")
        final CompletableFuture<PublishAck>[] acks = new CompletableFuture[BATCH];
        private long invocations;

        /** Creates the state (JMH does this). */
        public Batch() {
        }

        /** Builds fresh events and their raw messages (not measured). */
        @Setup(Level.Invocation)
        public void build() throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                long n = invocations++;
                for (int i = 0; i < BATCH; i++) {
                    CloudEvent e = event("bench-" + n + "-" + i);
                    events[i] = e;
                    coreMessages[i] = readOnlyHeaders(NatsBinding.toBinaryMessage("benchcore.raw", e));
                    jsMessages[i] = NatsBinding.toBinaryMessage("benchjsr.publish", e);
                    // the Nats-Msg-Id Omnibus sets: topic, source and id (see docs/backends/jetstream.md, Publish)
                    jsOptions[i] = PublishOptions.builder().messageId("benchjsr.publish " + SOURCE + " " + e.getId())
                            .build();
                }
            });
        }
    }

    /**
     * {@code message} with read-only headers: raw jnats at its fastest, since jnats copies a message's headers on every
     * publish unless they are read-only.
     */
    static NatsMessage readOnlyHeaders(NatsMessage message) {
        return NatsMessage.builder().subject(message.getSubject()).headers(new Headers(message.getHeaders(), true))
                .data(message.getData()).build();
    }

    /** Not thread-safe (JMH state): a raw pull consumer over a fresh backlog, started in the set-up. */
    @State(Scope.Thread)
    public static class RawBacklog {
        CountDownLatch done;
        private Nats nats;
        private String topic;
        private String name;
        private MessageConsumer consumer;

        /** Creates the state (JMH does this). */
        public RawBacklog() {
        }

        /** Writes the backlog and creates the consumer (not measured); consuming starts in the measured part. */
        @Setup(Level.Invocation)
        public void fill(Nats b) throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                nats = b;
                topic = b.fillBacklog("raw");
                name = "raw" + b.backlogs;
                b.jsm.addOrUpdateConsumer("benchbacklog", ConsumerConfiguration.builder().durable(name)
                        .filterSubject(topic).ackPolicy(AckPolicy.Explicit).maxAckPending(Math.max(1000, PULL_BATCH))
                        .build());
                ConsumerContext context = b.js.getConsumerContext("benchbacklog", name);
                CountDownLatch latch = new CountDownLatch(BACKLOG);
                done = latch;
                consumer = context.consume(ConsumeOptions.builder().batchSize(PULL_BATCH).build(), m -> {
                    m.ack();
                    latch.countDown();
                });
            });
        }

        /** Stops the consumer and checks that every message was acked. */
        @TearDown(Level.Invocation)
        public void check() throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                consumer.stop();
                nats.raw.flush(WAIT);
                consumer.close();
                nats.requireAllAcked(name, topic);
            });
        }
    }

    /** Not thread-safe (JMH state): the Omnibus subscription over a fresh backlog, opened in the set-up. */
    @State(Scope.Thread)
    public static class OmnibusBacklog {
        final FanOutLatch latch = new FanOutLatch();
        private final DeliveryHandler handler = latch.newHandler();
        private Nats nats;
        private String topic;
        private String group;
        private Subscription subscription;

        /** Creates the state (JMH does this). */
        public OmnibusBacklog() {
        }

        /** Writes the backlog, then subscribes in a group (not measured). */
        @Setup(Level.Invocation)
        public void fill(Nats b) throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                nats = b;
                topic = b.fillBacklog("omnibus");
                group = "g" + b.backlogs;
                latch.arm(BACKLOG);
                subscription = Backlogs.subscribe(b.jetStreamBus, topic, group, PULL_BATCH, handler);
            });
        }

        /** Closes the subscription (its last acks go out) and checks that nothing is left unacked. */
        @TearDown(Level.Invocation)
        public void check() throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                Backlogs.closeAndRequireAllAcked(subscription, BACKLOG);
                // the group's durable consumer, as the JetStream backend names it: <group>_<topic, dots as underscores>
                nats.requireAllAcked(group + "_" + topic.replace('.', '_'), topic);
            });
        }
    }
}
