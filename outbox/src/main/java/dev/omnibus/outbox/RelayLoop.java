package dev.omnibus.outbox;

import dev.omnibus.ReconnectPolicy;
import dev.omnibus.internal.Redaction;
import dev.omnibus.outbox.internal.BatchPublisher;
import dev.omnibus.outbox.internal.Claimer;
import dev.omnibus.outbox.internal.Jdbc;
import dev.omnibus.outbox.internal.Outcome;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The relay's loop, run on its one thread: claim a batch in a transaction, publish it, mark what the broker confirmed,
 * commit; then wait for a {@code NOTIFY} (or the poll interval) when the outbox looked drained.
 *
 * <p>Why the claim transaction stays open while the batch is published: its row locks and advisory key locks are what
 * keeps other relays off these rows and keys, and if this relay dies (or its database connection does) before the
 * commit, PostgreSQL rolls back and releases them, so every unconfirmed row is simply pending again. Nothing needs a
 * lease or a sweeper. The price: a batch's transaction lasts as long as its publishes (bounded by the confirm
 * timeout), so {@code idle_in_transaction_session_timeout} must be longer than that.
 */
final class RelayLoop implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(OutboxRelay.class);
    /** Longest single wait for a notification, so close is seen promptly (pgjdbc's read is not interruptible). */
    private static final long WAIT_SLICE_MS = 200;
    /** How long to wait before reclaiming rows deferred because another relay held their key. */
    private static final long DEFERRED_WAIT_MS = 50;
    private static final int CLEANUP_LIMIT = 10_000;

    private final DataSource dataSource;
    private final OutboxSchema schema;
    private final Claimer claimer;
    private final BatchPublisher publisher;
    private final int batchSize;
    private final Duration pollInterval;
    private final Duration retention;
    private final ReconnectPolicy backoff;
    private final RelayStats stats;
    private final String name;
    private final Object sleeper = new Object();
    private volatile boolean closing;
    private volatile Throwable failure;
    private long lastCleanupNanos = System.nanoTime();

    RelayLoop(OutboxRelay.Builder b, RelayStats stats) {
        this.dataSource = b.dataSource;
        this.schema = b.schema;
        this.claimer = new Claimer(b.schema);
        this.publisher = new BatchPublisher(b.publisher, b.confirmTimeout);
        this.batchSize = b.batchSize;
        this.pollInterval = b.pollInterval;
        this.retention = b.retention;
        this.backoff = b.reconnectPolicy;
        this.stats = stats;
        this.name = b.name;
    }

    Throwable failure() {
        return failure;
    }

    void stop() {
        closing = true;
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
    }

    @Override
    public void run() {
        Connection c = null;
        int failuresInARow = 0;
        try {
            while (!closing) {
                try {
                    if (c == null) {
                        c = open();
                    }
                    Batch batch = runBatch(c);
                    if (batch.publisherClosed) {
                        failure = new IllegalStateException("the relay's publisher is closed");
                        LOG.error("outbox relay {} stops: its publisher is closed; unsent rows stay pending", name);
                        return;
                    }
                    if (batch.retries > 0) {
                        failuresInARow++;
                        stats.failures.incrementAndGet();
                        Duration delay = backoff.delay(failuresInARow);
                        LOG.warn("outbox relay {}: {} event(s) not confirmed ({}), retrying in {} ms", name,
                                batch.retries, batch.lastReason, delay.toMillis());
                        pause(delay.toMillis());
                        continue;
                    }
                    failuresInARow = 0;
                    cleanup(c);
                    if (batch.locked == batchSize && batch.deferred == 0) {
                        continue; // probably more waiting: no need to wait for a notification
                    }
                    awaitNotification(c, batch.deferred > 0 ? Math.min(DEFERRED_WAIT_MS, pollInterval.toMillis())
                            : pollInterval.toMillis());
                } catch (SQLException | RuntimeException e) {
                    Jdbc.closeQuietly(c);
                    c = null;
                    if (closing) {
                        return;
                    }
                    failuresInARow++;
                    stats.failures.incrementAndGet();
                    Duration delay = backoff.delay(failuresInARow);
                    LOG.warn("outbox relay {}: {}; retrying in {} ms", name,
                            Redaction.printable(String.valueOf(e.getMessage()), 500), delay.toMillis());
                    pause(delay.toMillis());
                }
            }
        } catch (InterruptedException e) {
            // close gave up waiting: the open transaction is rolled back below, its rows stay pending
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            failure = t;
            LOG.error("outbox relay {} failed; unsent rows stay pending", name, t);
        } finally {
            Jdbc.closeQuietly(c);
        }
    }

    private Connection open() throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                s.execute("LISTEN " + schema.channel());
            }
            return c;
        } catch (SQLException | RuntimeException e) {
            Jdbc.closeQuietly(c);
            throw e;
        }
    }

    /** What one claim transaction did. */
    private static final class Batch {
        int locked;
        int deferred;
        int retries;
        boolean publisherClosed;
        String lastReason;
    }

    private Batch runBatch(Connection c) throws SQLException, InterruptedException {
        Batch batch = new Batch();
        c.setAutoCommit(false);
        try {
            Claimer.Claim claim = claimer.claim(c, batchSize);
            batch.deferred = claim.deferred();
            batch.locked = claim.rows().size() + claim.deferred();
            if (claim.rows().isEmpty()) {
                c.commit();
                return batch;
            }
            List<Outcome> outcomes = publisher.publish(claim.rows());
            int parked = 0;
            List<Long> sentSeqs = new ArrayList<>();
            List<Outcome> failed = new ArrayList<>();
            for (Outcome o : outcomes) {
                switch (o.kind()) {
                    case SENT -> sentSeqs.add(o.row().seq());
                    case PARKED -> failed.add(o);
                    case RETRY -> {
                        failed.add(o);
                        batch.retries++;
                        batch.lastReason = o.reason();
                    }
                    case CLOSED -> batch.publisherClosed = true;
                }
            }
            markSent(c, sentSeqs);
            for (Outcome o : failed) {
                if (o.kind() == Outcome.Kind.PARKED) {
                    park(c, o);
                    parked++;
                } else {
                    noteFailure(c, o);
                }
            }
            c.commit();
            stats.batches.incrementAndGet();
            stats.published.addAndGet(sentSeqs.size());
            stats.parked.addAndGet(parked);
            stats.retried.addAndGet(batch.retries);
            return batch;
        } catch (SQLException | RuntimeException | InterruptedException e) {
            Jdbc.rollbackQuietly(c);
            throw e;
        } finally {
            try {
                c.setAutoCommit(true);
            } catch (SQLException e) {
                // a broken connection: the next use fails and the loop opens a new one
            }
        }
    }

    private void markSent(Connection c, List<Long> seqs) throws SQLException {
        if (seqs.isEmpty()) {
            return;
        }
        String sql = retention.isZero()
                ? "DELETE FROM " + schema.outboxTable() + " WHERE seq = ANY(?)"
                : "UPDATE " + schema.outboxTable() + " SET sent_at = now() WHERE seq = ANY(?)";
        try (PreparedStatement p = c.prepareStatement(sql)) {
            p.setArray(1, c.createArrayOf("bigint", seqs.toArray()));
            p.executeUpdate();
        }
    }

    private void park(Connection c, Outcome o) throws SQLException {
        LOG.warn("outbox relay {}: row {} (topic {}) parked, the broker refused it for good: {}", name,
                o.row().seq(), o.row().topic(), o.reason());
        try (PreparedStatement p = c.prepareStatement("UPDATE " + schema.outboxTable()
                + " SET parked_at = now(), park_reason = ?, attempts = attempts + 1 WHERE seq = ?")) {
            p.setString(1, o.reason());
            p.setLong(2, o.row().seq());
            p.executeUpdate();
        }
    }

    private void noteFailure(Connection c, Outcome o) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("UPDATE " + schema.outboxTable()
                + " SET attempts = attempts + 1, last_error = ? WHERE seq = ?")) {
            p.setString(1, o.reason());
            p.setLong(2, o.row().seq());
            p.executeUpdate();
        }
    }

    private void cleanup(Connection c) throws SQLException {
        if (retention.isZero()) {
            return;
        }
        long every = Math.max(Duration.ofSeconds(1).toNanos(), Math.min(retention.toNanos() / 2,
                Duration.ofMinutes(1).toNanos()));
        if (System.nanoTime() - lastCleanupNanos < every) {
            return;
        }
        lastCleanupNanos = System.nanoTime();
        String t = schema.outboxTable();
        try (PreparedStatement p = c.prepareStatement("DELETE FROM " + t + " WHERE seq IN (SELECT seq FROM " + t
                + " WHERE sent_at < now() - make_interval(secs => ?) LIMIT " + CLEANUP_LIMIT + ")")) {
            p.setDouble(1, retention.toMillis() / 1000.0);
            p.executeUpdate();
        }
    }

    private void awaitNotification(Connection c, long waitMs) throws SQLException {
        PGConnection pg = c.unwrap(PGConnection.class);
        long deadline = System.nanoTime() + waitMs * 1_000_000L;
        while (!closing) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                return;
            }
            // getNotifications(0) would block for ever: always at least 1 ms
            PGNotification[] got = pg.getNotifications((int) Math.max(1, Math.min(left, WAIT_SLICE_MS)));
            if (got != null && got.length > 0) {
                return;
            }
        }
    }

    private void pause(long ms) throws InterruptedException {
        long deadline = System.nanoTime() + ms * 1_000_000L;
        synchronized (sleeper) {
            while (!closing) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return;
                }
                sleeper.wait(left);
            }
        }
    }
}
