package dev.omnibus.outbox;

import dev.omnibus.Omnibus;
import dev.omnibus.PublishReceipt;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.nats.NatsHarness;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A rough measurement, not a test: relay throughput with one and three relays, next to plain {@code publish}, and
 * commit-to-handler latency, on JetStream ({@code nats-server -js}) and a PostgreSQL it starts. Not run by the build
 * (the name matches neither {@code *Test} nor {@code *IT}); run it with {@code mvn -B verify -pl outbox -am
 * -Djapicmp.skip -Dtest=RelayBench -Dsurefire.failIfNoSpecifiedTests=false}: the figures are in
 * {@code outbox/target/surefire-reports/dev.omnibus.outbox.RelayBench-output.txt} (docs/outbox.md has one run's).
 */
public final class RelayBench {
    private static final int EVENTS = 5000;

    @org.junit.jupiter.api.Test
    void measure() throws Exception {
        main(new String[0]);
    }

    /**
     * Runs the measurements and prints them.
     *
     * @param args none
     * @throws Exception on any failure
     */
    public static void main(String[] args) throws Exception {
        NatsHarness jetstream = new NatsHarness("jetstream", "");
        jetstream.start();
        try (PostgresServer postgres = PostgresServer.start(); Omnibus bus = Omnibus.connect(jetstream.url())) {
            Outbox outbox = Outbox.create(OutboxSchema.defaults());
            System.out.printf("plain publish: %.0f events/s%n", plainPublish(bus, "bench.plain"));
            for (int relays : new int[] {1, 3, 1, 3}) {
                DataSource ds = postgres.dataSource(postgres.newDatabase());
                OutboxSchema.defaults().migrate(ds);
                System.out.printf("%d relay(s), %d events over 100 keys: %.0f events/s%n", relays, EVENTS,
                        relayThroughput(ds, bus, outbox, relays, "bench.relay" + relays));
            }
            DataSource ds = postgres.dataSource(postgres.newDatabase());
            OutboxSchema.defaults().migrate(ds);
            latency("jetstream, outbox", ds, bus, outbox, true);
            latency("jetstream, plain publish after commit", ds, bus, outbox, false);
            try (Omnibus mem = Omnibus.connect("mem://")) {
                latency("mem, outbox", ds, mem, outbox, true);
            }
        } finally {
            jetstream.stop();
        }
    }

    private static double plainPublish(Omnibus bus, String topic) {
        bus.publisher().publish(topic, Events.plain("warm-up")).toCompletableFuture().join();
        long start = System.nanoTime();
        List<CompletableFuture<PublishReceipt>> window = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            window.add(bus.publisher().publish(topic, Events.keyed("p-" + i, "k" + (i % 100), i))
                    .toCompletableFuture());
            if (window.size() == 100) { // as a relay batch: 100 in flight at most
                window.forEach(CompletableFuture::join);
                window.clear();
            }
        }
        window.forEach(CompletableFuture::join);
        return EVENTS / ((System.nanoTime() - start) / 1e9);
    }

    private static double relayThroughput(DataSource ds, Omnibus bus, Outbox outbox, int relays, String topic)
            throws Exception {
        bus.publisher().publish(topic, Events.plain("warm-up")).toCompletableFuture().join();
        for (int t = 0; t < EVENTS / 100; t++) {
            int base = t * 100;
            Db.commit(ds, c -> {
                List<io.cloudevents.CloudEvent> events = new ArrayList<>();
                for (int i = base; i < base + 100; i++) {
                    events.add(Events.keyed(topic + "-" + i, "k" + (i % 100), i));
                }
                outbox.publishAll(c, topic, events);
            });
        }
        List<OutboxRelay> running = new ArrayList<>();
        long start = System.nanoTime();
        for (int r = 0; r < relays; r++) {
            running.add(OutboxRelay.builder(ds, bus.publisher()).pollInterval(Duration.ofMillis(20)).start());
        }
        while (running.stream().mapToLong(r -> r.stats().published()).sum() < EVENTS) {
            TimeUnit.MILLISECONDS.sleep(5); // measurement polling, not synchronisation of a test
        }
        double rate = EVENTS / ((System.nanoTime() - start) / 1e9);
        for (OutboxRelay r : running) {
            r.close();
        }
        return rate;
    }

    private static void latency(String what, DataSource ds, Omnibus bus, Outbox outbox, boolean viaOutbox)
            throws Exception {
        String topic = "bench.latency" + Math.abs(what.hashCode());
        Map<String, Long> committedAt = new ConcurrentHashMap<>();
        List<Long> micros = Collections.synchronizedList(new ArrayList<>());
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(topic).group("g"), d -> {
            Long at = committedAt.get(d.event().getId());
            if (at != null) {
                micros.add((System.nanoTime() - at) / 1000);
            }
        });
        int n = 1500;
        try (OutboxRelay relay = OutboxRelay.builder(ds, bus.publisher()).start()) {
            for (int i = 0; i < n; i++) {
                String id = topic + "-" + i;
                if (viaOutbox) {
                    // timed from the commit call: the relay may deliver before commit() has returned here
                    Db.commit(ds, c -> {
                        outbox.publish(c, topic, Events.plain(id));
                        committedAt.put(id, System.nanoTime());
                    });
                } else {
                    committedAt.put(id, System.nanoTime());
                    bus.publisher().publish(topic, Events.plain(id));
                }
                TimeUnit.MILLISECONDS.sleep(5); // pacing: about 150 transactions a second
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (micros.size() < n && System.nanoTime() < end) {
                TimeUnit.MILLISECONDS.sleep(10);
            }
        } finally {
            s.close(Duration.ofSeconds(5));
        }
        List<Long> sorted = new ArrayList<>(micros);
        Collections.sort(sorted);
        System.out.printf("%s: commit -> handler over %d events (one per transaction, ~150/s): p50 %.1f ms, p90 %.1f"
                        + " ms, p99 %.1f ms, max %.1f ms%n", what, sorted.size(), pct(sorted, 0.5), pct(sorted, 0.9),
                pct(sorted, 0.99), sorted.get(sorted.size() - 1) / 1000.0);
    }

    private static double pct(List<Long> sorted, double p) {
        return sorted.get((int) (sorted.size() * p)) / 1000.0;
    }
}
