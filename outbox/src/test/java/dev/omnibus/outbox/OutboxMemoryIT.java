package dev.omnibus.outbox;

import dev.omnibus.InvalidArgumentException;
import dev.omnibus.InvalidEventException;
import dev.omnibus.Omnibus;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The outbox, relay and idempotent consumer against a real PostgreSQL and the in-memory broker. */
class OutboxMemoryIT {
    private static PostgresServer postgres;
    private DataSource ds;
    private final Outbox outbox = Outbox.create(OutboxSchema.defaults());

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = PostgresServer.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    @BeforeEach
    void freshDatabase() throws Exception {
        ds = postgres.dataSource(postgres.newDatabase());
        assertThat(OutboxSchema.defaults().migrate(ds)).isEqualTo(1);
        Db.execute(ds, "CREATE TABLE effects (event_id text NOT NULL)");
    }

    @Test
    void migrateIsIdempotentAlsoConcurrently() throws Exception {
        OutboxSchema other = OutboxSchema.of("orders_outbox", "orders_inbox");
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Integer>> runs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                runs.add(pool.submit(() -> other.migrate(ds)));
            }
            for (Future<Integer> f : runs) {
                assertThat(f.get()).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(OutboxSchema.defaults().migrate(ds)).isEqualTo(1);
        assertThat(Db.count(ds, "SELECT count(*) FROM orders_outbox_version")).isEqualTo(1);
        assertThat(Db.count(ds, "SELECT count(*) FROM omnibus_outbox_version")).isEqualTo(1);
    }

    @Test
    void rolledBackTransactionsPublishNothingAndCommittedOnesExactlyTheirEvents() throws Exception {
        try (Omnibus bus = Omnibus.connect("mem://");
             OutboxRelay relay = OutboxRelay.builder(ds, bus.publisher()).pollInterval(Duration.ofMillis(200))
                     .start()) {
            List<CloudEvent> got = new CopyOnWriteArrayList<>();
            Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic("orders.created").group("g"),
                    d -> got.add(d.event()));
            Db.rollback(ds, c -> outbox.publishAll(c, "orders.created",
                    List.of(Events.plain("rolled-1"), Events.plain("rolled-2"))));
            CloudEvent full = Events.full("full-1");
            Db.commit(ds, c -> {
                outbox.publish(c, "orders.created", full);
                outbox.publishAll(c, "orders.created", List.of(Events.plain("c-1"), Events.plain("c-2")));
            });
            Db.rollback(ds, c -> outbox.publish(c, "orders.created", Events.plain("rolled-3")));
            Db.commit(ds, c -> outbox.publish(c, "orders.created", Events.plain("sentinel")));

            // the sentinel was committed after every rollback and keyless rows go in seq order within one relay
            await().atMost(Duration.ofSeconds(20)).until(() -> got.stream().anyMatch(e -> e.getId().equals("sentinel")));
            assertThat(got).extracting(CloudEvent::getId)
                    .containsExactlyInAnyOrder("full-1", "c-1", "c-2", "sentinel");
            Events.assertRoundTrip(got.stream().filter(e -> e.getId().equals("full-1")).findFirst().orElseThrow(),
                    full);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> Db.count(ds, "SELECT count(*) FROM omnibus_outbox") == 0);
            assertThat(relay.stats().published()).isEqualTo(4);
            s.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsWritten() throws Exception {
        CloudEvent badKey = CloudEventBuilder.v1(Events.plain("k")).withExtension("partitionkey", 7).build();
        Db.rollback(ds, c -> {
            assertThatThrownBy(() -> outbox.publish(c, "orders created", Events.plain("a")))
                    .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("topic");
            assertThatThrownBy(() -> outbox.publish(c, "orders.created", badKey))
                    .isInstanceOf(InvalidEventException.class).hasMessageContaining("partitionkey");
            assertThatThrownBy(() -> Outbox.create(OutboxSchema.defaults(), 4)
                    .publish(c, "orders.created", Events.plain("too-big")))
                    .isInstanceOf(InvalidEventException.class).hasMessageContaining("above the limit of 4");
            assertThatThrownBy(() -> outbox.publishAll(c, "orders.created",
                    List.of(Events.plain("ok"), badKey))).isInstanceOf(InvalidEventException.class);
            assertThat(Db.count(ds, "SELECT count(*) FROM omnibus_outbox")).isZero();
        });
        try (Connection c = ds.getConnection()) {
            assertThatThrownBy(() -> outbox.publish(c, "orders.created", Events.plain("auto")))
                    .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("auto-commit");
        }
        assertThat(Db.count(ds, "SELECT count(*) FROM omnibus_outbox")).isZero();
        assertThatThrownBy(() -> OutboxRelay.builder(ds, null)).isInstanceOf(NullPointerException.class);
        try (Omnibus bus = Omnibus.connect("mem://")) {
            assertThatThrownBy(() -> OutboxRelay.builder(ds, bus.publisher()).batchSize(0))
                    .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("batchSize must be 1 to 10000");
            assertThatThrownBy(() -> OutboxRelay.builder(ds, bus.publisher()).name("a b"))
                    .isInstanceOf(InvalidArgumentException.class);
        }
        assertThatThrownBy(() -> IdempotentHandler.wrap(ds, "", (d, c) -> { }))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("consumer group");
    }

    @Test
    void threeRelaysKeepPerKeyOrderAtTheConsumer() throws Exception {
        int keys = 8;
        int perKey = 40;
        try (Omnibus bus = Omnibus.connect("mem://")) {
            Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
            AtomicInteger unkeyed = new AtomicInteger();
            Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic("orders.keyed").group("g"), d -> {
                String key = (String) d.event().getExtension("partitionkey");
                if (key == null) {
                    unkeyed.incrementAndGet();
                } else {
                    seen.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>()))
                            .add((Integer) d.event().getExtension("seq"));
                }
            });
            List<OutboxRelay> relays = new ArrayList<>();
            try {
                for (int r = 0; r < 3; r++) {
                    relays.add(OutboxRelay.builder(ds, bus.publisher()).batchSize(5).name("r" + r)
                            .pollInterval(Duration.ofMillis(50)).start());
                }
                // interleaved transactions: each writes the next event of every key and one unkeyed event
                for (int i = 0; i < perKey; i++) {
                    int n = i;
                    Db.commit(ds, c -> {
                        for (int k = 0; k < keys; k++) {
                            outbox.publish(c, "orders.keyed", Events.keyed("k" + k + "-" + n, "k" + k, n));
                        }
                        outbox.publish(c, "orders.keyed", Events.plain("u-" + n));
                    });
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> unkeyed.get() >= perKey
                        && seen.values().stream().mapToInt(List::size).sum() >= keys * perKey);
                List<Integer> expected = new ArrayList<>();
                for (int i = 0; i < perKey; i++) {
                    expected.add(i);
                }
                for (int k = 0; k < keys; k++) {
                    assertThat(seen.get("k" + k)).as("order of key k" + k).isEqualTo(expected);
                }
                assertThat(unkeyed.get()).isEqualTo(perKey);
                long total = relays.stream().mapToLong(r -> r.stats().published()).sum();
                assertThat(total).isEqualTo((long) (keys + 1) * perKey);
                assertThat(relays).filteredOn(r -> r.stats().published() > 0).as("relays that published")
                        .hasSizeGreaterThan(1);
            } finally {
                for (OutboxRelay r : relays) {
                    r.close();
                }
                s.close(Duration.ofSeconds(5));
            }
        }
    }

    @Test
    void duplicatesGiveExactlyOneSideEffectPerEvent() throws Exception {
        int n = 30;
        try (Omnibus bus = Omnibus.connect("mem://");
             OutboxRelay relay = OutboxRelay.builder(ds, bus.publisher()).pollInterval(Duration.ofMillis(100))
                     .start()) {
            AtomicInteger calls = new AtomicInteger();
            AtomicInteger deliveries = new AtomicInteger();
            IdempotentHandler effect = IdempotentHandler.wrap(ds, "billing", (d, c) -> {
                calls.incrementAndGet();
                Db.insertEffect(c, d.event().getId());
            });
            Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic("orders.dup").group("billing")
                    .concurrency(4), d -> {
                        effect.handle(d);
                        deliveries.incrementAndGet();
                    });
            for (int round = 0; round < 2; round++) { // every event written twice: two outbox rows, one id
                Db.commit(ds, c -> {
                    for (int i = 0; i < n; i++) {
                        outbox.publish(c, "orders.dup", Events.plain("d-" + i));
                    }
                });
            }
            for (int i = 0; i < n; i++) { // and a third time straight to the broker
                bus.publisher().publish("orders.dup", Events.plain("d-" + i)).toCompletableFuture().join();
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> deliveries.get() == 3 * n);
            assertThat(Db.count(ds, "SELECT count(*) FROM effects")).isEqualTo(n);
            assertThat(Db.count(ds, "SELECT count(DISTINCT event_id) FROM effects")).isEqualTo(n);
            assertThat(calls.get()).isEqualTo(n);
            assertThat(Db.count(ds, "SELECT count(*) FROM omnibus_inbox WHERE consumer_group = 'billing'"))
                    .isEqualTo(n);
            s.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void aHandlerFailureRollsBackTheInboxRowAndTheRedeliveryAppliesIt() throws Exception {
        try (Omnibus bus = Omnibus.connect("mem://")) {
            AtomicInteger attempts = new AtomicInteger();
            List<Integer> appliedOnAttempt = new CopyOnWriteArrayList<>();
            IdempotentHandler effect = IdempotentHandler.wrap(ds, "g", (d, c) -> {
                Db.insertEffect(c, d.event().getId());
                if (attempts.incrementAndGet() == 1) {
                    throw new IllegalStateException("first attempt fails after writing");
                }
                appliedOnAttempt.add(d.attempt());
            });
            Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic("orders.fail").group("g")
                    .retryBackoff(Duration.ofMillis(10), Duration.ofMillis(50)), effect);
            bus.publisher().publish("orders.fail", Events.plain("f-1")).toCompletableFuture().join();
            await().atMost(Duration.ofSeconds(10)).until(() -> !appliedOnAttempt.isEmpty());
            assertThat(appliedOnAttempt).containsExactly(2);
            assertThat(Db.count(ds, "SELECT count(*) FROM effects")).isEqualTo(1);
            assertThat(Db.count(ds, "SELECT count(*) FROM omnibus_inbox")).isEqualTo(1);
            s.close(Duration.ofSeconds(5));
        }
        try (Connection c = ds.getConnection()) {
            Db.execute(ds, "UPDATE omnibus_inbox SET processed_at = now() - interval '2 hours'");
            assertThat(IdempotentHandler.purge(c, OutboxSchema.defaults(), Duration.ofHours(1))).isEqualTo(1);
        }
    }

    @Test
    void manualAckAfterTheWrapperAndDeadLetteringLeaveNoInboxRowForAFailedEvent() throws Exception {
        try (Omnibus bus = Omnibus.connect("mem://")) {
            IdempotentHandler effect = IdempotentHandler.wrap(ds, "g", (d, c) -> {
                Db.insertEffect(c, d.event().getId());
                if (d.event().getId().startsWith("poison")) {
                    throw new IllegalArgumentException("cannot apply " + d.event().getId());
                }
            });
            List<String> deadLetters = new CopyOnWriteArrayList<>();
            Subscription dlq = bus.subscriber().subscribe(SubscribeOptions.topic("orders.manual.dlq").group("ops"),
                    d -> deadLetters.add(d.event().getId()));
            AtomicInteger acked = new AtomicInteger();
            Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic("orders.manual").group("g")
                    .ackMode(dev.omnibus.AckMode.MANUAL).concurrency(3).deadLetter("orders.manual.dlq", 2)
                    .retryBackoff(Duration.ofMillis(10), Duration.ofMillis(50)), d -> {
                        effect.handle(d); // throws: not acked, the library nacks and dead-letters
                        if (d.ack()) {
                            acked.incrementAndGet();
                        }
                    });
            for (String id : List.of("m-1", "m-2", "poison-1", "m-1")) {
                bus.publisher().publish("orders.manual", Events.plain(id)).toCompletableFuture().join();
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> acked.get() == 3 && deadLetters.size() == 1);
            assertThat(deadLetters).containsExactly("poison-1");
            assertThat(Db.strings(ds, "SELECT event_id FROM effects ORDER BY event_id")).containsExactly("m-1", "m-2");
            assertThat(Db.strings(ds, "SELECT event_id FROM omnibus_inbox ORDER BY event_id"))
                    .containsExactly("m-1", "m-2");
            s.close(Duration.ofSeconds(5));
            dlq.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void closeDuringUnconfirmedPublishesLeavesTheRowsPending() throws Exception {
        List<String> published = new CopyOnWriteArrayList<>();
        dev.omnibus.Publisher neverConfirms = new dev.omnibus.Publisher() {
            @Override
            public java.util.concurrent.CompletionStage<dev.omnibus.PublishReceipt> publish(String topic,
                                                                                          CloudEvent event) {
                published.add(event.getId());
                return new java.util.concurrent.CompletableFuture<>();
            }

            @Override
            public void close() {
            }
        };
        Db.commit(ds, c -> outbox.publishAll(c, "orders.close", List.of(Events.plain("x-1"), Events.plain("x-2"))));
        OutboxRelay relay = OutboxRelay.builder(ds, neverConfirms).confirmTimeout(Duration.ofMinutes(1))
                .pollInterval(Duration.ofMillis(50)).start();
        await().atMost(Duration.ofSeconds(10)).until(() -> published.size() == 2);
        long started = System.nanoTime();
        assertThat(relay.close(Duration.ofMillis(300))).as("the batch could not finish in time").isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        assertThat(relay.isRunning()).isFalse();
        assertThat(relay.stats().published()).isZero();
        // the claim transaction was rolled back: both rows pending, unlocked, for the next relay
        try (Connection c = ds.getConnection()) {
            assertThat(OutboxBacklog.of(c, OutboxSchema.defaults()).pending()).isEqualTo(2);
        }
        try (Omnibus bus = Omnibus.connect("mem://");
             OutboxRelay next = OutboxRelay.builder(ds, bus.publisher()).pollInterval(Duration.ofMillis(50))
                     .start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> next.stats().published() == 2);
        }
    }

    @Test
    void aPoisonRowIsParkedWithItsReasonAndTheKeyGoesOn() throws Exception {
        try (Omnibus bus = Omnibus.connect("mem://?max.payload.bytes=64");
             OutboxRelay relay = OutboxRelay.builder(ds, bus.publisher()).pollInterval(Duration.ofMillis(100))
                     .retention(Duration.ofHours(1)).start()) {
            List<String> got = new CopyOnWriteArrayList<>();
            Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic("orders.poison").group("g"),
                    d -> got.add(d.event().getId()));
            CloudEvent big = CloudEventBuilder.v1(Events.keyed("big", "k", 0))
                    .withData("text/plain", new byte[1000]).build();
            Db.commit(ds, c -> outbox.publishAll(c, "orders.poison", List.of(big, Events.keyed("after", "k", 1))));
            Db.commit(ds, c -> Db.execute(ds, "INSERT INTO omnibus_outbox (topic, event_id, event_source,"
                    + " event_type, event) VALUES ('orders.poison', 'damaged', '/x', 't', '\\x0900'::bytea)"));
            await().atMost(Duration.ofSeconds(20)).until(() -> relay.stats().parked() == 2 && got.contains("after"));
            assertThat(got).containsExactly("after");
            assertThat(Db.strings(ds, "SELECT event_id || ': ' || park_reason FROM omnibus_outbox"
                    + " WHERE parked_at IS NOT NULL ORDER BY seq"))
                    .satisfiesExactly(
                            r -> assertThat(r).startsWith("big: InvalidEventException").contains("above the limit"),
                            r -> assertThat(r).startsWith("damaged: ").contains("unknown outbox event format"));
            // retention: the sent row is kept, marked
            assertThat(Db.count(ds, "SELECT count(*) FROM omnibus_outbox WHERE sent_at IS NOT NULL")).isEqualTo(1);
            try (Connection c = ds.getConnection()) {
                OutboxBacklog backlog = OutboxBacklog.of(c, OutboxSchema.defaults());
                assertThat(backlog.pending()).isZero();
                assertThat(backlog.parked()).isEqualTo(2);
            }
            s.close(Duration.ofSeconds(5));
        }
    }
}
