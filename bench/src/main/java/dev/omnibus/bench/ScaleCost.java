package dev.omnibus.bench;

import dev.omnibus.Omnibus;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.kafka.KafkaHarness;
import dev.omnibus.tck.BrokerProcess;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What scale costs: threads and heap per idle subscription and per topic published to, and how long opening and
 * closing subscriptions takes, on one connection per backend, each against a broker this program starts itself
 * (memory needs none). Not a throughput benchmark: counts, heap and millisecond timings, printed as a table.
 *
 * <pre>
 * mvn -B -q -DskipTests -pl bench -am package
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.ScaleCost [backend:subscriptions:topics ...]
 * </pre>
 * Default: {@code mem:1000:10000 nats:1000:10000 jetstream:1000:1000 redis:1000:10000 kafka:200:500}. Heap is
 * measured after {@code System.gc()} (three calls), so it is what stays reachable, within a few hundred KB of noise.
 * Run it alone: the timings (not the counts) depend on what else the two cores do.
 */
public final class ScaleCost {
    private ScaleCost() {
    }

    /** Runs each {@code backend:subscriptions:topics} argument in turn and prints one table row per backend. */
    public static void main(String[] args) throws Exception {
        List<String> runs = args.length > 0 ? List.of(args)
                : List.of("mem:1000:10000", "nats:1000:10000", "jetstream:1000:1000", "redis:1000:10000",
                "kafka:200:500");
        List<String> rows = new ArrayList<>();
        for (String run : runs) {
            String[] p = run.split(":");
            if (p.length != 3) {
                throw new IllegalArgumentException("'" + run + "': expected backend:subscriptions:topics, e.g. "
                        + "redis:1000:10000; backends: mem, nats, jetstream, redis, kafka");
            }
            rows.add(measure(p[0], Integer.parseInt(p[1]), Integer.parseInt(p[2])));
        }
        System.out.println();
        System.out.println("| backend | idle subscriptions | threads per subscription | heap per subscription | open, "
                + "per subscription | close one by one, per subscription | bus.close with them all | topics "
                + "published to | heap per topic |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        rows.forEach(System.out::println);
    }

    /** One backend: its broker started, measured, stopped. */
    private static String measure(String backend, int subs, int topics) throws Exception {
        try (Broker broker = Broker.start(backend)) {
            Omnibus bus = Omnibus.connect(broker.url);
            try {
                return measure(backend, bus, broker.url, subs, topics);
            } finally {
                bus.close(Duration.ofSeconds(30));
            }
        }
    }

    private static String measure(String backend, Omnibus bus, String url, int subs, int topics) {
        String run = Long.toString(System.nanoTime() % 100_000, 36);
        // warm: one subscription and one publish, so that per-connection set-up is in the baseline
        Subscription warm = bus.subscriber().subscribe(SubscribeOptions.topic("scale." + run + ".warm"), d -> { });
        publish(bus.publisher(), List.of("scale." + run + ".warm"));
        warm.close(Duration.ofSeconds(10));

        Sample base = Sample.take();
        long t0 = System.nanoTime();
        List<Subscription> open = openIdle(bus, "scale." + run + ".s", subs);
        long opened = System.nanoTime() - t0;
        Sample withSubs = Sample.take();
        t0 = System.nanoTime();
        for (Subscription s : open) {
            s.close(Duration.ofSeconds(10));
        }
        long closedOneByOne = System.nanoTime() - t0;
        log("%s: %d idle subscriptions opened in %d ms, closed one by one in %d ms", backend, subs, ms(opened),
                ms(closedOneByOne));

        Sample beforeTopics = Sample.take();
        List<String> names = new ArrayList<>(topics);
        for (int i = 0; i < topics; i++) {
            names.add("scale." + run + ".t." + i);
        }
        t0 = System.nanoTime();
        publish(bus.publisher(), names);
        long published = System.nanoTime() - t0;
        Sample afterTopics = Sample.take();
        log("%s: one event to each of %d topics in %d ms", backend, topics, ms(published));

        // bus.close with every subscription open: on a second connection, so this one's figures stay apart
        long busClose;
        try (Omnibus second = Omnibus.connect(url)) {
            openIdle(second, "scale." + run + ".c", subs);
            t0 = System.nanoTime();
            second.close(Duration.ofSeconds(30));
            busClose = System.nanoTime() - t0;
        }
        log("%s: bus.close with %d idle subscriptions in %d ms", backend, subs, ms(busClose));

        return String.format(Locale.ROOT, "| %s | %d | %.2f | %.1f KB | %.1f ms | %.1f ms | %d ms | %d | %.2f KB |",
                backend, subs, (withSubs.threads - base.threads) / (double) subs,
                (withSubs.heap - base.heap) / 1024.0 / subs, opened / 1e6 / subs, closedOneByOne / 1e6 / subs,
                ms(busClose), topics, (afterTopics.heap - beforeTopics.heap) / 1024.0 / topics);
    }

    private static List<Subscription> openIdle(Omnibus bus, String prefix, int n) {
        List<Subscription> open = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            open.add(bus.subscriber().subscribe(SubscribeOptions.topic(prefix + "." + i), d -> { }));
        }
        return open;
    }

    /** One event to each topic, at most 256 unconfirmed. */
    private static void publish(Publisher publisher, List<String> topics) {
        URI source = URI.create("/omnibus/bench/scale");
        List<CompletableFuture<?>> window = new ArrayList<>();
        int i = 0;
        for (String t : topics) {
            CloudEvent e = CloudEventBuilder.v1().withId("scale-" + i++).withSource(source)
                    .withType("dev.omnibus.bench.scale").build();
            window.add(publisher.publish(t, e).toCompletableFuture());
            if (window.size() == 256) {
                CompletableFuture.allOf(window.toArray(new CompletableFuture<?>[0])).join();
                window.clear();
            }
        }
        CompletableFuture.allOf(window.toArray(new CompletableFuture<?>[0])).join();
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static void log(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
    }

    /** Live threads and reachable heap now. */
    private static final class Sample {
        final int threads;
        final long heap;

        private Sample(int threads, long heap) {
            this.threads = threads;
            this.heap = heap;
        }

        static Sample take() {
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            return new Sample(ManagementFactory.getThreadMXBean().getThreadCount(),
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
    }

    /** The broker of one backend, started on a free loopback port (none for memory). */
    private static final class Broker implements AutoCloseable {
        final String url;
        private final AutoCloseable stop;

        private Broker(String url, AutoCloseable stop) {
            this.url = url;
            this.stop = stop;
        }

        static Broker start(String backend) throws Exception {
            switch (backend) {
                case "mem":
                    return new Broker("mem://scale-" + System.nanoTime() + "?instrumentation=none", () -> { });
                case "nats":
                case "jetstream": {
                    BrokerProcess server = BenchBrokers.natsServer();
                    return new Broker(backend + "://127.0.0.1:" + server.port() + "?instrumentation=none",
                            server::stop);
                }
                case "redis": {
                    BrokerProcess server = BenchBrokers.redisServer();
                    return new Broker("redis://127.0.0.1:" + server.port() + "?instrumentation=none", server::stop);
                }
                case "kafka": {
                    KafkaHarness kafka = BenchBrokers.kafka("instrumentation=none");
                    kafka.start();
                    return new Broker(kafka.url(), kafka::stop);
                }
                default:
                    throw new IllegalArgumentException("unknown backend '" + backend
                            + "': expected mem, nats, jetstream, redis or kafka");
            }
        }

        @Override
        public void close() throws Exception {
            stop.close();
        }
    }
}
