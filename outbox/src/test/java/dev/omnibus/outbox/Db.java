package dev.omnibus.outbox;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Small JDBC helpers for the tests. */
final class Db {
    private Db() {
    }

    interface Work {
        void run(Connection c) throws Exception;
    }

    /** Runs {@code work} in a transaction and commits. */
    static void commit(DataSource ds, Work work) throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            work.run(c);
            c.commit();
        }
    }

    /** Runs {@code work} in a transaction and rolls it back. */
    static void rollback(DataSource ds, Work work) throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            work.run(c);
            c.rollback();
        }
    }

    static void execute(DataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static long count(DataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static List<String> strings(DataSource ds, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** The side effect of the idempotent-consumer tests: one row per applied event. */
    static void insertEffect(Connection c, String eventId) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("INSERT INTO effects (event_id) VALUES (?)")) {
            p.setString(1, eventId);
            p.executeUpdate();
        }
    }

    /** {@code count(*)} as a long, or -1 while the database is unreachable (for waits across a restart). */
    static long countOrMinusOne(DataSource ds, String sql) {
        try {
            return count(ds, sql);
        } catch (SQLException e) {
            return -1;
        }
    }
}
