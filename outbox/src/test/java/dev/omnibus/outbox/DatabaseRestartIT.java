package dev.omnibus.outbox;

import dev.omnibus.Omnibus;
import dev.omnibus.ReconnectPolicy;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** PostgreSQL killed with {@code kill -9} under steady writes, then started again: relay and consumer recover. */
class DatabaseRestartIT {
    private static PostgresServer postgres;

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

    @Test
    void relayAndIdempotentConsumerRecoverFromADatabaseKill() throws Exception {
        DataSource ds = postgres.dataSource(postgres.newDatabase());
        OutboxSchema.defaults().migrate(ds);
        Db.execute(ds, "CREATE TABLE effects (event_id text NOT NULL)");
        SteadyWriter.createTable(ds);
        Outbox outbox = Outbox.create(OutboxSchema.defaults());
        ReconnectPolicy fast = ReconnectPolicy.of(Duration.ofMillis(50), Duration.ofMillis(500), 2.0, 0.5);
        try (Omnibus bus = Omnibus.connect("mem://")) {
            Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic("orders.restart").group("billing")
                    .concurrency(2).retryBackoff(Duration.ofMillis(20), Duration.ofMillis(500)),
                    IdempotentHandler.wrap(ds, "billing", (d, c) -> Db.insertEffect(c, d.event().getId())));
            try (OutboxRelay relay = OutboxRelay.builder(ds, bus.publisher()).batchSize(20)
                    .pollInterval(Duration.ofMillis(100)).reconnectPolicy(fast).start()) {
                SteadyWriter writer = new SteadyWriter(ds, outbox, "orders.restart");
                try {
                    await().atMost(Duration.ofSeconds(30)).until(() -> writer.commits() >= 100);
                    postgres.kill();
                    await().atMost(Duration.ofSeconds(30)).until(() -> writer.failures() > 0);
                    postgres.startAgain();
                    int before = writer.commits();
                    await().atMost(Duration.ofSeconds(60)).until(() -> writer.commits() >= before + 100);
                } finally {
                    writer.close();
                }
                long committed = Db.count(ds, "SELECT count(*) FROM orders");
                assertThat(committed).isGreaterThanOrEqualTo(200);
                await().atMost(Duration.ofSeconds(60))
                        .until(() -> Db.countOrMinusOne(ds, "SELECT count(*) FROM effects") >= committed);
                assertThat(Db.count(ds, "SELECT count(*) FROM effects")).isEqualTo(committed);
                assertThat(Db.count(ds, "SELECT count(*) FROM effects e JOIN orders o ON o.id = e.event_id"))
                        .isEqualTo(committed);
                assertThat(relay.stats().failures()).as("the relay saw the database go").isPositive();
                assertThat(relay.isRunning()).isTrue();
            } finally {
                s.close(Duration.ofSeconds(5));
            }
        }
    }
}
