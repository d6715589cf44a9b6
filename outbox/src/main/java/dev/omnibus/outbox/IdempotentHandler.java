package dev.omnibus.outbox;

import dev.omnibus.Delivery;
import dev.omnibus.DeliveryHandler;
import dev.omnibus.ErrorCode;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.OmnibusException;
import dev.omnibus.outbox.internal.Jdbc;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;

/**
 * A {@link DeliveryHandler} that applies each event once per consumer group: in one JDBC transaction it records
 * (group, event source, event id) in the inbox table with {@code INSERT … ON CONFLICT DO NOTHING}, runs the user's
 * {@link TransactionalHandler} with that same connection, and commits; only then does it return. Immutable and
 * thread-safe: one instance serves {@code concurrency(n)} handler threads (each call takes its own connection).
 *
 * <pre>{@code
 * DeliveryHandler billing = IdempotentHandler.wrap(dataSource, "billing", (delivery, c) -> {
 *     try (PreparedStatement p = c.prepareStatement("INSERT INTO invoices ...")) { ...; p.executeUpdate(); }
 * });
 * bus.subscriber().subscribe(SubscribeOptions.topic("orders.created").group("billing"), billing);
 * }</pre>
 *
 * <ul>
 *   <li>A duplicate (the inbox already holds the event for this group) commits nothing, does not call the user's
 *       handler and returns normally, so the delivery is acked. Two deliveries of one event at once (a redelivery
 *       while the first still runs) are serialised by PostgreSQL on the inbox row: the second waits, then sees the
 *       first's commit (duplicate) or its rollback (applies it).</li>
 *   <li>A failure (the user's handler throws, or the database refuses) rolls everything back, the inbox row too, and
 *       rethrows, so the library's nack, retry backoff and dead-letter path apply as for any handler.</li>
 *   <li>{@link dev.omnibus.AckMode#AUTO}: returning acks, after the commit. {@link dev.omnibus.AckMode#MANUAL}: ack
 *       after the wrapper returned, e.g. {@code d -> { billing.handle(d); d.ack(); }}; never inside the user's
 *       handler (an ack before the commit can lose the effect if the commit then fails).</li>
 *   <li>A raw delivery (not a CloudEvent) is recognised by its broker position, which is its id; where the broker
 *       gives none, the wrapper fails it ({@code INVALID_ARGUMENT}, not retried), as it could not tell a redelivery
 *       from a new message.</li>
 *   <li>The one window left: the commit succeeded but the ack did not reach the broker (a crash in between, a
 *       connection cut); the event comes again and is recognised as a duplicate. So the effect happens once.</li>
 * </ul>
 *
 * <p>The connection's auto-commit mode is restored before it is closed (given back to the pool).
 */
public final class IdempotentHandler implements DeliveryHandler {
    private final DataSource dataSource;
    private final String group;
    private final TransactionalHandler handler;
    private final String insertSql;

    private IdempotentHandler(DataSource dataSource, OutboxSchema schema, String group, TransactionalHandler handler) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(schema, "schema");
        if (group == null || group.isEmpty() || group.length() > 255) {
            throw new InvalidArgumentException("the consumer group of an idempotent handler must be 1 to 255 "
                    + "characters (it is stored in the inbox), got " + (group == null ? "null" : "'" + group + "'"));
        }
        this.group = group;
        this.handler = Objects.requireNonNull(handler, "handler");
        this.insertSql = "INSERT INTO " + schema.inboxTable() + " (consumer_group, event_source, event_id)"
                + " VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
    }

    /**
     * Wraps {@code handler} with the default tables.
     *
     * @param dataSource PostgreSQL connections, one per call
     * @param group the consumer group the inbox records events for (usually the subscription's group)
     * @param handler the effect
     * @return the wrapped handler
     * @throws InvalidArgumentException if the group is empty or longer than 255 characters
     */
    public static IdempotentHandler wrap(DataSource dataSource, String group, TransactionalHandler handler) {
        return new IdempotentHandler(dataSource, OutboxSchema.defaults(), group, handler);
    }

    /**
     * Wraps {@code handler} with {@code schema}'s inbox table.
     *
     * @param dataSource PostgreSQL connections, one per call
     * @param schema the tables
     * @param group the consumer group the inbox records events for
     * @param handler the effect
     * @return the wrapped handler
     * @throws InvalidArgumentException if the group is empty or longer than 255 characters
     */
    public static IdempotentHandler wrap(DataSource dataSource, OutboxSchema schema, String group,
                                         TransactionalHandler handler) {
        return new IdempotentHandler(dataSource, schema, group, handler);
    }

    /**
     * Applies the delivery once, as the class describes.
     *
     * @param delivery the delivery
     * @throws Exception what the user's handler threw, or a {@link dev.omnibus.OmnibusException} for a database
     *     failure, after the rollback
     */
    @Override
    public void handle(Delivery delivery) throws Exception {
        if (delivery.isRaw() && delivery.position() == null) {
            // a raw message's id is its broker position, or made up per delivery where the broker assigns none: a
            // redelivery would look new and be applied twice
            throw new OmnibusException(ErrorCode.INVALID_ARGUMENT, "the idempotent handler of group '" + group
                    + "' cannot recognise a redelivery of a raw message (not a CloudEvent) on '" + delivery.topic()
                    + "': the broker gives it no position, so its id is made up per delivery; dead-letter raw "
                    + "messages (SubscribeOptions.onInvalidMessage(DEAD_LETTER)) or handle them without the wrapper",
                    null, false);
        }
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                if (record(c, delivery)) {
                    handler.handle(delivery, c);
                }
                c.commit();
            } catch (Throwable t) {
                Jdbc.rollbackQuietly(c);
                throw t;
            } finally {
                restore(c, autoCommit);
            }
        } catch (SQLException e) {
            throw Jdbc.failure("the idempotent handler of group '" + group + "'", e);
        }
    }

    /**
     * Deletes inbox rows processed before {@code olderThan} ago, for every group; an event redelivered after its row
     * is gone is applied again, so keep rows longer than the broker may redeliver (its retention).
     *
     * @param connection an open connection (the delete runs in its current transaction mode)
     * @param schema the tables
     * @param olderThan the age, positive
     * @return rows deleted
     * @throws InvalidArgumentException if {@code olderThan} is not positive
     * @throws dev.omnibus.OmnibusException if the database refuses
     */
    public static int purge(Connection connection, OutboxSchema schema, Duration olderThan) {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(schema, "schema");
        if (olderThan == null || olderThan.isNegative() || olderThan.isZero()) {
            throw new InvalidArgumentException("the inbox purge age must be positive, got " + olderThan);
        }
        try (PreparedStatement p = connection.prepareStatement("DELETE FROM " + schema.inboxTable()
                + " WHERE processed_at < now() - make_interval(secs => ?)")) {
            p.setDouble(1, olderThan.toMillis() / 1000.0);
            return p.executeUpdate();
        } catch (SQLException e) {
            throw Jdbc.failure("purging the inbox " + schema.inboxTable(), e);
        }
    }

    /** Inserts the inbox row; {@code false} if it was there (a duplicate). */
    private boolean record(Connection c, Delivery delivery) throws SQLException {
        try (PreparedStatement p = c.prepareStatement(insertSql)) {
            p.setString(1, group);
            p.setString(2, delivery.event().getSource().toString());
            p.setString(3, delivery.event().getId());
            return p.executeUpdate() == 1;
        }
    }

    private static void restore(Connection c, boolean autoCommit) {
        try {
            c.setAutoCommit(autoCommit);
        } catch (SQLException ignored) {
            // a broken connection is discarded by the pool
        }
    }

    @Override
    public String toString() {
        return "IdempotentHandler{group=" + group + "}";
    }
}
