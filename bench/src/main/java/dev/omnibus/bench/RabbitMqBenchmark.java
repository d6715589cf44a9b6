package dev.omnibus.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import dev.omnibus.AckMode;
import dev.omnibus.Config;
import dev.omnibus.DeliveryHandler;
import dev.omnibus.Omnibus;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.rabbitmq.RabbitBackendProvider;
import dev.omnibus.rabbitmq.RabbitHarness;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Not thread-safe (JMH state, one benchmark thread): Omnibus on RabbitMQ ({@code amqp://}) against the raw
 * amqp-client 5.x in its fastest shapes, on one node this benchmark starts itself (the kit's {@link RabbitHarness},
 * from {@code backend-rabbitmq}'s test jar), publish (100-byte and 1 KiB events) and consume+ack.
 *
 * <h2>Running</h2>
 * <pre>
 * mvn -B -q -DskipTests -pl bench -am package
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios RabbitMqBenchmark -f 1 -wi 3 -i 5
 * </pre>
 * Needs {@code rabbitmq-server} (the Debian package). Each trial (one JMH fork per benchmark method and size) starts
 * its own node on free loopback ports with a temporary data dir and kills it afterwards; the machine's own RabbitMQ
 * is never used. Raw and Omnibus figures of one run are comparable; broker and clients share the cores.
 *
 * <h2>What is compared</h2>
 * Scores are <em>events per second</em>; ratio = Omnibus / raw ({@link BenchRatios} prints them). Omnibus connects
 * with {@code instrumentation=none}: raw has no metrics or tracing. Both sides publish persistent messages to the
 * same durable topic exchange Omnibus uses ({@value RabbitBackendProvider#DEFAULT_EXCHANGE}), each routing key bound
 * to a durable classic queue of its own, so every publish is confirmed only once the queue has it on disk (a publish
 * no queue is bound for would be confirmed and dropped at once, measuring nothing).
 * <ul>
 *   <li>{@code publishRaw}: {@value #BATCH} prebuilt messages carrying exactly what Omnibus writes for the same
 *       event (the {@code cloudEvents_*} headers, {@code content-type}, {@code message-id}, delivery mode 2: raw pays
 *       no encoding; the trial's set-up checks that the headers match a message Omnibus published), on a channel in
 *       confirm mode with asynchronous confirms and at most {@value #WINDOW} unconfirmed (a semaphore the
 *       confirm listener releases, one permit per message confirmed, {@code multiple} acks included); then waits
 *       for every confirm.</li>
 *   <li>{@code publishOmnibus}: {@code publisher.publish(topic, event)} of the same CloudEvents, at most
 *       {@value #WINDOW} receipts outstanding (the oldest awaited before the next publish), then every receipt
 *       (validation, encoding, publish timeout and receipt are measured).</li>
 *   <li>{@code consumeRaw}: a durable queue holding a backlog of {@value #BACKLOG} events; a channel with
 *       {@code basic.qos} prefetch {@value #PREFETCH} and a consumer (manual acks) that acks with
 *       {@code multiple=true} every {@value #ACK_EVERY} deliveries and at the last; measured until the last
 *       delivery is acked. Raw decodes nothing.</li>
 *   <li>{@code consumeOmnibus}: the same backlog in the queue of a group; a group subscription, AUTO ack,
 *       concurrency 1, {@code maxInFlight} {@value #PREFETCH} (its prefetch), until the handler ran for every event
 *       (decoding included). The library sends AUTO acks in batches of at most 128, hence raw's
 *       {@value #ACK_EVERY}.</li>
 * </ul>
 * Both consumers start in the invocation's set-up (not measured, like the backlog) and are waited for in the measured
 * part; after each invocation the queue must hold nothing unacked, or the trial fails.
 */
@Fork(value = 1, jvmArgsPrepend = {SteadyHeap.MIN, SteadyHeap.MAX, SteadyHeap.PRE_TOUCH, SteadyHeap.HUGE_PAGES})
@Warmup(iterations = 2, time = 3, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 3, time = 3, timeUnit = TimeUnit.SECONDS)
@Threads(1)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RabbitMqBenchmark {
    /** Events per publish invocation. */
    public static final int BATCH = 10_000;
    /** Publishes awaiting their confirm at most, raw and Omnibus. */
    public static final int WINDOW = 1000;
    /** Events in each consume backlog. */
    public static final int BACKLOG = 50_000;
    /** Consumer prefetch ({@code basic.qos}), raw and Omnibus ({@code maxInFlight}). */
    public static final int PREFETCH = 1000;
    /** Raw consumer: deliveries per {@code basic.ack multiple}. */
    public static final int ACK_EVERY = 128;
    private static final String EXCHANGE = RabbitBackendProvider.DEFAULT_EXCHANGE;
    private static final String RAW_TOPIC = "bench.publish.raw";
    private static final String OMNIBUS_TOPIC = "bench.publish.omnibus";
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** Creates the benchmark (JMH does this). */
    public RabbitMqBenchmark() {
    }

    /** Raw amqp-client: prebuilt messages, asynchronous confirms, a window of {@value #WINDOW}. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void publishRaw(Rabbit rabbit) throws Exception {
        rabbit.rawPublisher.publish(RAW_TOPIC, rabbit.messages, BATCH);
    }

    /** Omnibus: publishes the CloudEvents, at most {@value #WINDOW} receipts outstanding, then every receipt. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void publishOmnibus(Rabbit rabbit) throws Exception {
        CompletableFuture<?>[] sent = rabbit.sent;
        for (int i = 0; i < BATCH; i++) {
            if (i >= WINDOW) {
                sent[i - WINDOW].get(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
            sent[i] = rabbit.publisher.publish(OMNIBUS_TOPIC, rabbit.events[i]).toCompletableFuture();
        }
        CompletableFuture.allOf(sent).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Raw amqp-client: waits until the consumer started in the set-up has acked the whole backlog. */
    @Benchmark
    @OperationsPerInvocation(BACKLOG)
    public void consumeRaw(RawBacklog backlog) throws Exception {
        if (!backlog.done.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
            throw new IllegalStateException("raw consumer acked " + backlog.received + " of " + BACKLOG + " within "
                    + WAIT);
        }
    }

    /** Omnibus: waits until the group subscription opened in the set-up has handled the backlog (AUTO ack). */
    @Benchmark
    @OperationsPerInvocation(BACKLOG)
    public void consumeOmnibus(OmnibusBacklog backlog) {
        backlog.latch.await(WAIT.toNanos());
    }

    /**
     * Publishes prebuilt messages on one channel in confirm mode, at most {@value #WINDOW} unconfirmed: the
     * amqp-client's fastest confirmed shape (asynchronous confirms, no per-message future). Publishing thread: the
     * benchmark's; confirms arrive on the client's I/O thread, which alone touches {@link #confirmed} and
     * {@link #lowest}; the two meet only in the semaphore. Not thread-safe otherwise (one publishing thread).
     */
    static final class RawPublisher {
        private final Channel channel;
        private final Semaphore window = new Semaphore(WINDOW);
        /** Sequence numbers confirmed one by one above {@link #lowest} (confirms may come out of order). */
        private final BitSet confirmed = new BitSet();
        /** The lowest sequence number not yet confirmed; every lower one is. */
        private long lowest = 1;
        private volatile boolean nacked;

        RawPublisher(Connection connection) throws IOException {
            channel = connection.createChannel();
            channel.confirmSelect();
            channel.addConfirmListener(new ConfirmListener() {
                @Override
                public void handleAck(long seq, boolean multiple) {
                    window.release(settle(seq, multiple));
                }

                @Override
                public void handleNack(long seq, boolean multiple) {
                    nacked = true;
                    window.release(settle(seq, multiple));
                }
            });
        }

        /** Marks {@code seq} (and with {@code multiple} every lower one) confirmed; returns how many were new. */
        private int settle(long seq, boolean multiple) {
            int n = 0;
            if (multiple) {
                for (long s = lowest; s <= seq; s++) {
                    if (!confirmed.get((int) (s - lowest))) {
                        n++;
                    }
                }
                if (seq >= lowest) {
                    confirmed.clear(0, (int) (seq - lowest + 1));
                    shift(seq + 1);
                }
            } else if (seq >= lowest && !confirmed.get((int) (seq - lowest))) {
                confirmed.set((int) (seq - lowest));
                n = 1;
                long next = lowest + confirmed.nextClearBit(0);
                if (next > lowest) {
                    confirmed.clear(0, (int) (next - lowest));
                    shift(next);
                }
            }
            return n;
        }

        /** Moves {@link #lowest} up to {@code to}, keeping the marks above it at their offsets. */
        private void shift(long to) {
            int by = (int) (to - lowest);
            lowest = to;
            if (!confirmed.isEmpty()) {
                BitSet rest = confirmed.get(by, Math.max(by, confirmed.length()));
                confirmed.clear();
                confirmed.or(rest);
            }
        }

        void publish(String routingKey, Message[] messages, int count) throws Exception {
            for (int i = 0; i < count; i++) {
                if (!window.tryAcquire()) {
                    acquire(1);
                }
                Message m = messages[i % messages.length];
                channel.basicPublish(EXCHANGE, routingKey, false, m.properties, m.body);
            }
            acquire(WINDOW); // every confirm is in
            window.release(WINDOW);
            if (nacked) {
                throw new IllegalStateException("the broker nacked a raw publish");
            }
        }

        private void acquire(int permits) throws InterruptedException {
            if (!window.tryAcquire(permits, WAIT.toSeconds(), TimeUnit.SECONDS)) {
                throw new IllegalStateException("raw publishes not confirmed within " + WAIT);
            }
        }

        void close() {
            try {
                channel.close();
            } catch (IOException | java.util.concurrent.TimeoutException | RuntimeException e) {
                // the node goes away with the trial anyway
            }
        }
    }

    /** One prebuilt AMQP message: properties (headers included) and body. Immutable. */
    record Message(AMQP.BasicProperties properties, byte[] body) {
    }

    /** Not thread-safe (JMH state): the node, both clients, the events and their prebuilt messages. */
    @State(Scope.Thread)
    public static class Rabbit {
        /** Event data size in bytes. */
        @Param({"100", "1000"})
        public int dataBytes;

        private RabbitHarness node;
        private Omnibus bus;
        Publisher publisher;
        private Connection raw;
        private Channel admin;
        RawPublisher rawPublisher;
        final CloudEvent[] events = new CloudEvent[BATCH];
        final Message[] messages = new Message[BATCH];
        final CompletableFuture<?>[] sent = new CompletableFuture<?>[BATCH];
        private int backlogs;

        /** Creates the state (JMH does this). */
        public Rabbit() {
        }

        /**
         * Starts the node, connects Omnibus and raw, builds the events and the raw messages, declares the publish
         * queues and checks that raw's messages carry what Omnibus writes.
         */
        @Setup(Level.Trial)
        public void setUp() throws Exception {
            node = new RabbitHarness();
            node.start();
            byte[] data = new byte[dataBytes];
            Arrays.fill(data, (byte) 'x');
            URI source = URI.create("/omnibus/bench");
            for (int i = 0; i < BATCH; i++) {
                events[i] = CloudEventBuilder.v1().withId("bench-" + i).withSource(source)
                        .withType("dev.omnibus.bench.tick").withDataContentType("application/octet-stream")
                        .withData(data).build();
                messages[i] = message(events[i]);
            }
            bus = Omnibus.connect(Config.builder().url(node.url() + "?instrumentation=none").useEnvironment(false)
                    .build());
            publisher = bus.publisher();
            ConnectionFactory f = new ConnectionFactory();
            f.setUri(node.url());
            f.setAutomaticRecoveryEnabled(false);
            f.setThreadFactory(r -> { // daemon threads: a failed trial's JVM still exits, and BrokerProcess' hook stops the node
                Thread t = new Thread(r, "bench-raw-amqp");
                t.setDaemon(true);
                return t;
            });
            raw = f.newConnection("bench-raw");
            admin = raw.createChannel();
            admin.exchangeDeclare(EXCHANGE, "topic", true); // as Omnibus declares it on connect
            declareQueue(RAW_TOPIC, RAW_TOPIC);
            declareQueue(OMNIBUS_TOPIC, OMNIBUS_TOPIC);
            rawPublisher = new RawPublisher(raw);
            checkSameMessages();
        }

        /** The message Omnibus writes for {@code e} in binary mode (see docs/backends/rabbitmq.md), prebuilt. */
        private static Message message(CloudEvent e) {
            Map<String, Object> headers = new HashMap<>();
            headers.put("cloudEvents_specversion", e.getSpecVersion().toString());
            headers.put("cloudEvents_id", e.getId());
            headers.put("cloudEvents_source", e.getSource().toString());
            headers.put("cloudEvents_type", e.getType());
            return new Message(new AMQP.BasicProperties.Builder().contentType(e.getDataContentType())
                    .deliveryMode(2).messageId(e.getId()).headers(headers).build(), e.getData().toBytes());
        }

        /** A durable classic queue bound to the exchange for {@code routingKey}. */
        void declareQueue(String queue, String routingKey) throws IOException {
            admin.queueDeclare(queue, true, false, false, Map.of());
            admin.queueBind(queue, EXCHANGE, routingKey);
        }

        /** Fails the trial unless a message Omnibus published and raw's message for the same event are alike. */
        private void checkSameMessages() throws Exception {
            String queue = "bench.check";
            declareQueue(queue, queue);
            publisher.publish(queue, events[0]).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
            rawPublisher.publish(queue, messages, 1);
            GetResponse fromOmnibus = admin.basicGet(queue, true);
            GetResponse fromRaw = admin.basicGet(queue, true);
            if (fromOmnibus == null || fromRaw == null) {
                throw new IllegalStateException("check messages missing");
            }
            String a = describe(fromOmnibus);
            String b = describe(fromRaw);
            if (!a.equals(b)) {
                throw new IllegalStateException("raw messages differ from Omnibus': " + a + " vs " + b);
            }
            admin.queueDelete(queue);
        }

        private static String describe(GetResponse r) {
            AMQP.BasicProperties p = r.getProps();
            Map<String, String> headers = new TreeMap<>();
            if (p.getHeaders() != null) {
                p.getHeaders().forEach((k, v) -> headers.put(k, String.valueOf(v)));
            }
            return headers + " content-type=" + p.getContentType() + " delivery-mode=" + p.getDeliveryMode()
                    + " message-id=" + p.getMessageId() + " body=" + r.getBody().length + " B";
        }

        /** Empties the publish queues so that the node's memory and disk stay flat. */
        @TearDown(Level.Iteration)
        public void purge() throws IOException {
            admin.queuePurge(RAW_TOPIC);
            admin.queuePurge(OMNIBUS_TOPIC);
        }

        /** Stops the clients and kills the node. */
        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            try {
                if (bus != null) {
                    bus.close(Duration.ofSeconds(5));
                }
                if (rawPublisher != null) {
                    rawPublisher.close();
                }
                if (raw != null) {
                    raw.abort(2_000);
                }
            } finally {
                node.stop();
            }
        }

        /** A new topic whose queue {@code queue.apply(topic)} holds {@value #BACKLOG} events (not measured). */
        String fillBacklog(String kind, java.util.function.Function<String, String> queue) throws Exception {
            String topic = "bench.backlog." + kind + "." + backlogs++;
            declareQueue(queue.apply(topic), topic);
            rawPublisher.publish(topic, messages, BACKLOG);
            int ready = admin.queueDeclarePassive(queue.apply(topic)).getMessageCount();
            if (ready != BACKLOG) {
                throw new IllegalStateException("backlog of " + ready + " instead of " + BACKLOG);
            }
            return topic;
        }

        /**
         * Fails unless {@code queue} holds nothing after its consumer closed (what was delivered and not acked is
         * back in it), apart from the library's ack marker (header {@code omnibus-sync}); then deletes it.
         */
        void requireAllAcked(String queue) throws IOException {
            int left = 0;
            for (GetResponse r = admin.basicGet(queue, true); r != null; r = admin.basicGet(queue, true)) {
                Map<String, Object> h = r.getProps().getHeaders();
                if (h == null || !h.containsKey("omnibus-sync")) {
                    left++;
                }
            }
            admin.queueDelete(queue);
            if (left != 0) {
                throw new IllegalStateException(queue + ": " + left + " events not acked after the invocation");
            }
        }
    }

    /** Not thread-safe (JMH state): a raw consumer over a fresh backlog, started in the set-up. */
    @State(Scope.Thread)
    public static class RawBacklog {
        CountDownLatch done;
        volatile int received;
        private Rabbit rabbit;
        private String queue;
        private Channel channel;

        /** Creates the state (JMH does this). */
        public RawBacklog() {
        }

        /** Writes the backlog and starts the consumer (not measured); the measured part waits for it. */
        @Setup(Level.Invocation)
        public void fill(Rabbit r) throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                rabbit = r;
                String topic = r.fillBacklog("raw", t -> "raw:" + t);
                queue = "raw:" + topic;
                CountDownLatch latch = new CountDownLatch(1);
                done = latch;
                received = 0;
                channel = r.raw.createChannel();
                channel.basicQos(PREFETCH);
                channel.basicConsume(queue, false, new DefaultConsumer(channel) {
                    private int count;

                    @Override
                    public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties,
                                               byte[] body) throws IOException {
                        int n = ++count; // one dispatch thread per channel at a time
                        if (n % ACK_EVERY == 0 || n == BACKLOG) {
                            getChannel().basicAck(envelope.getDeliveryTag(), true);
                            received = n;
                        }
                        if (n == BACKLOG) {
                            latch.countDown();
                        }
                    }
                });
            });
        }

        /** Closes the consumer's channel and checks that everything was acked. */
        @TearDown(Level.Invocation)
        public void check() throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                channel.close();
                rabbit.requireAllAcked(queue);
            });
        }
    }

    /** Not thread-safe (JMH state): the Omnibus subscription over a fresh backlog, opened in the set-up. */
    @State(Scope.Thread)
    public static class OmnibusBacklog {
        final FanOutLatch latch = new FanOutLatch();
        private final DeliveryHandler handler = latch.newHandler();
        private Rabbit rabbit;
        private String queue;
        private Subscription subscription;

        /** Creates the state (JMH does this). */
        public OmnibusBacklog() {
        }

        /** Writes the backlog into the group's queue, then subscribes in the group (not measured). */
        @Setup(Level.Invocation)
        public void fill(Rabbit r) throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                rabbit = r;
                String group = "g" + r.backlogs;
                // the group's queue, as the backend names it: <exchange>:<group>:<topic>
                String topic = r.fillBacklog("omnibus", t -> EXCHANGE + ":" + group + ":" + t);
                queue = EXCHANGE + ":" + group + ":" + topic;
                latch.arm(BACKLOG);
                // no startAt(earliest): RabbitMQ denies REPLAY; the group's queue holds the backlog already
                subscription = r.bus.subscriber().subscribe(SubscribeOptions.topic(topic).group(group)
                        .ackMode(AckMode.AUTO).concurrency(1).maxInFlight(PREFETCH), handler);
            });
        }

        /** Closes the subscription (its last acks go out) and checks that nothing is left unacked. */
        @TearDown(Level.Invocation)
        public void check() throws Exception {
            ThreadCpuProfiler.unmeasured(() -> {
                Backlogs.closeAndRequireAllAcked(subscription, BACKLOG);
                rabbit.requireAllAcked(queue);
            });
        }
    }
}
