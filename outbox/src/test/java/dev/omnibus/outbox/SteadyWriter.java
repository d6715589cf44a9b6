package dev.omnibus.outbox;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A service under steady load: each transaction inserts an order row and its event into the outbox, and commits;
 * every fourth transaction is rolled back instead. The truth of what was committed is the {@code orders} table
 * (written in the same transactions), not what the writer thinks: a commit that fails during a database kill may
 * or may not have happened. Runs on its own thread until {@link #close()}.
 */
final class SteadyWriter implements AutoCloseable {
    private final DataSource ds;
    private final Outbox outbox;
    private final String topic;
    private final Thread thread;
    private final AtomicInteger commits = new AtomicInteger();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean stop;

    SteadyWriter(DataSource ds, Outbox outbox, String topic) {
        this.ds = ds;
        this.outbox = outbox;
        this.topic = topic;
        this.thread = new Thread(this::run, "steady-writer");
        thread.start();
    }

    /** Creates the orders table the writer needs. */
    static void createTable(DataSource ds) throws Exception {
        Db.execute(ds, "CREATE TABLE orders (id text PRIMARY KEY)");
    }

    int commits() {
        return commits.get();
    }

    long failures() {
        return failures.get();
    }

    private void run() {
        int i = 0;
        while (!stop) {
            String id = topic + "-" + i; // unique across tests sharing a broker that deduplicates by id
            boolean rollback = i % 4 == 3;
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                try (PreparedStatement p = c.prepareStatement("INSERT INTO orders (id) VALUES (?)")) {
                    p.setString(1, id);
                    p.executeUpdate();
                }
                outbox.publish(c, topic, Events.keyed(id, "key-" + (i % 5), i));
                if (rollback) {
                    c.rollback();
                } else {
                    c.commit();
                    commits.incrementAndGet();
                }
                i++;
            } catch (Exception e) {
                failures.incrementAndGet();
                i++; // a new id: the failed commit may have happened, and ids must stay unique
                pace(50);
                continue;
            }
            pace(5); // load pacing, not synchronisation: about 150 transactions a second
        }
    }

    private static void pace(long ms) {
        try {
            TimeUnit.MILLISECONDS.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(30_000);
    }
}
