package dev.omnibus.outbox;

import dev.omnibus.outbox.internal.Jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;

/**
 * A snapshot of an outbox table: rows pending, the oldest pending row's age, rows parked; immutable.
 *
 * @param pending rows not yet confirmed by the broker (and not parked)
 * @param oldestPendingAge how long the oldest pending row has waited ({@link Duration#ZERO} when none)
 * @param parked rows the broker refused for good, waiting for a person
 */
public record OutboxBacklog(long pending, Duration oldestPendingAge, long parked) {
    /**
     * Reads the snapshot of {@code schema}'s outbox on {@code connection} (one query; counts scan the pending and
     * parked rows, so poll it every few seconds, not per event).
     *
     * @param connection an open connection
     * @param schema the tables
     * @return the snapshot
     * @throws dev.omnibus.OmnibusException if the database refuses
     */
    public static OutboxBacklog of(Connection connection, OutboxSchema schema) {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(schema, "schema");
        String sql = "SELECT count(*) FILTER (WHERE sent_at IS NULL AND parked_at IS NULL),"
                + " coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE sent_at IS NULL"
                + " AND parked_at IS NULL)) * 1000, 0)::bigint,"
                + " count(*) FILTER (WHERE parked_at IS NOT NULL) FROM " + schema.outboxTable()
                + " WHERE sent_at IS NULL";
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return new OutboxBacklog(rs.getLong(1), Duration.ofMillis(Math.max(0, rs.getLong(2))), rs.getLong(3));
        } catch (SQLException e) {
            throw Jdbc.failure("reading the backlog of " + schema.outboxTable(), e);
        }
    }
}
