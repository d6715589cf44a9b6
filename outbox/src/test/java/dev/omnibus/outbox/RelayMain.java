package dev.omnibus.outbox;

import dev.omnibus.Omnibus;
import dev.omnibus.ReconnectPolicy;
import org.postgresql.ds.PGSimpleDataSource;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/** A relay process for the kill tests: {@code RelayMain <jdbc-url> <broker-url>}; runs until killed. */
public final class RelayMain {
    /** The line printed once the relay runs. */
    static final String READY = "relay started";

    private RelayMain() {
    }

    /**
     * Starts the relay.
     *
     * @param args the JDBC URL and the broker URL
     * @throws Exception if it cannot start
     */
    public static void main(String[] args) throws Exception {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(args[0]);
        Omnibus bus = Omnibus.connect(args[1]);
        OutboxRelay.builder(ds, bus.publisher()).batchSize(20).pollInterval(Duration.ofMillis(100))
                .confirmTimeout(Duration.ofSeconds(5))
                .reconnectPolicy(ReconnectPolicy.of(Duration.ofMillis(50), Duration.ofMillis(500), 2.0, 0.5))
                .name("child").start();
        System.out.println(READY);
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
