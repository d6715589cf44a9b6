package dev.omnibus.outbox;

import dev.omnibus.Omnibus;
import dev.omnibus.ReconnectPolicy;
import dev.omnibus.StartPosition;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.tck.BrokerProcess;
import dev.omnibus.tck.TckHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Faults under steady writes, for one broker a subclass names: a relay process killed with {@code kill -9} mid-batch,
 * and the broker killed. Every committed event reaches the idempotent consumer, and the side-effect table ends with
 * exactly one row per committed event.
 */
abstract class BrokerFaults {
    private static PostgresServer postgres;
    private static TckHarness broker;
    private static Runnable killBroker;
    private static Runnable startBroker;
    private DataSource ds;
    private String database;
    /** Per test: the broker, its streams and its dedup window of event ids outlive a test. */
    private String topic;
    private Omnibus bus;
    private Subscription subscription;

    /** A broker process that can be killed and started again, as the backends' harnesses are. */
    interface Killable {
        void run() throws Exception;
    }

    /** Starts the servers; a subclass calls it from its {@code @BeforeAll} with its harness's kill and start. */
    static void startServers(TckHarness harness, Killable kill, Killable start) throws Exception {
        postgres = PostgresServer.start();
        broker = harness;
        broker.start();
        killBroker = unchecked(kill);
        startBroker = unchecked(start);
    }

    private static Runnable unchecked(Killable k) {
        return () -> {
            try {
                k.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
    }

    @AfterAll
    static void stopServers() throws Exception {
        try {
            if (broker != null) {
                broker.stop();
            }
        } finally {
            if (postgres != null) {
                postgres.close();
            }
        }
    }

    @BeforeEach
    void consumer() throws Exception {
        database = postgres.newDatabase();
        ds = postgres.dataSource(database);
        OutboxSchema.defaults().migrate(ds);
        Db.execute(ds, "CREATE TABLE effects (event_id text NOT NULL)");
        SteadyWriter.createTable(ds);
        topic = "orders." + database;
        bus = Omnibus.connect(broker.url());
        // from the earliest: the topic is new, and a Kafka group joining late would start after the first events
        subscription = bus.subscriber().subscribe(SubscribeOptions.topic(topic).group("billing")
                        .startAt(StartPosition.earliest())
                        .concurrency(2).retryBackoff(Duration.ofMillis(20), Duration.ofMillis(500)),
                IdempotentHandler.wrap(ds, "billing", (d, c) -> Db.insertEffect(c, d.event().getId())));
    }

    @AfterEach
    void closeConsumer() {
        if (subscription != null) {
            subscription.close(Duration.ofSeconds(5));
        }
        if (bus != null) {
            bus.close();
        }
    }

    @Test
    void aRelayProcessKilledMidBatchLosesNothingAndTheEffectHappensOnce() throws Exception {
        BrokerProcess relay = BrokerProcess.builder("outbox-relay")
                .command(p -> BrokerProcess.javaMain(List.of("-Xmx256m"), RelayMain.class.getName(),
                        postgres.jdbcUrl(database), broker.url()))
                .probe("prints '" + RelayMain.READY + "'", BrokerProcess.Probe.logShows(RelayMain.READY))
                .startupTimeout(Duration.ofSeconds(60)).build();
        try {
            relay.start();
            SteadyWriter writer = new SteadyWriter(ds, Outbox.create(OutboxSchema.defaults()), topic);
            try {
                for (int kill = 1; kill <= 3; kill++) {
                    long target = 60L * kill;
                    await().atMost(Duration.ofSeconds(60))
                            .until(() -> Db.count(ds, "SELECT count(*) FROM effects") >= target);
                    relay.kill(); // kill -9 while it claims, publishes and commits batches under steady writes
                    relay.start();
                }
            } finally {
                writer.close();
            }
            assertExactlyOneEffectPerCommittedOrder();
        } finally {
            relay.stop();
        }
    }

    @Test
    void theBrokerKilledUnderSteadyWritesLosesNothing() throws Exception {
        ReconnectPolicy fast = ReconnectPolicy.of(Duration.ofMillis(50), Duration.ofMillis(500), 2.0, 0.5);
        try (OutboxRelay relay = OutboxRelay.builder(ds, bus.publisher()).batchSize(20)
                .pollInterval(Duration.ofMillis(100)).confirmTimeout(Duration.ofSeconds(5)).reconnectPolicy(fast)
                .start()) {
            SteadyWriter writer = new SteadyWriter(ds, Outbox.create(OutboxSchema.defaults()), topic);
            try {
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> Db.count(ds, "SELECT count(*) FROM effects") >= 60);
                killBroker.run();
                int before = writer.commits();
                await().atMost(Duration.ofSeconds(30)).until(() -> writer.commits() >= before + 50);
                startBroker.run();
                long backlog = Db.count(ds, "SELECT count(*) FROM orders");
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> Db.count(ds, "SELECT count(*) FROM effects") >= backlog);
            } finally {
                writer.close();
            }
            assertExactlyOneEffectPerCommittedOrder();
            // whether the relay saw failures depends on timing: a client may buffer publishes across a short outage
            assertThat(relay.stats().published()).isGreaterThanOrEqualTo(Db.count(ds, "SELECT count(*) FROM orders"));
        }
    }

    private void assertExactlyOneEffectPerCommittedOrder() throws Exception {
        long committed = Db.count(ds, "SELECT count(*) FROM orders");
        assertThat(committed).isPositive();
        try {
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> Db.count(ds, "SELECT count(*) FROM effects") >= committed);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("effects " + Db.count(ds, "SELECT count(*) FROM effects") + " of " + committed
                    + "; missing (id, outbox state): " + Db.strings(ds, "SELECT o.id || ' ' || coalesce("
                    + "(SELECT 'pending attempts=' || x.attempts || ' ' || coalesce(x.last_error, '') FROM"
                    + " omnibus_outbox x WHERE x.event_id = o.id), 'not in outbox') FROM orders o WHERE NOT EXISTS"
                    + " (SELECT 1 FROM effects e WHERE e.event_id = o.id) ORDER BY o.id LIMIT 20"), e);
        }
        assertThat(Db.count(ds, "SELECT count(*) FROM effects")).isEqualTo(committed);
        assertThat(Db.count(ds, "SELECT count(*) FROM effects e JOIN orders o ON o.id = e.event_id"))
                .isEqualTo(committed);
        assertThat(Db.count(ds, "SELECT count(*) FROM omnibus_outbox WHERE parked_at IS NOT NULL")).isZero();
    }
}
