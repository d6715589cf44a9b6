package dev.omnibus.outbox.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.outbox.OutboxSchema;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies the versioned SQL resources {@code dev/omnibus/outbox/V<n>__*.sql} in order, recording each in the
 * version table. Stateless and thread-safe.
 */
public final class SchemaMigrator {
    /** The scripts, oldest first; a new version appends its resource here. */
    private static final List<String> RESOURCES = List.of("V1__outbox.sql");

    private SchemaMigrator() {
    }

    /** Every version's SQL for {@code schema}, oldest first. */
    public static List<String> scripts(OutboxSchema schema) {
        List<String> out = new ArrayList<>();
        for (String resource : RESOURCES) {
            out.add(render(schema, read(resource)));
        }
        return List.copyOf(out);
    }

    /** Applies the versions not yet in the version table, in one transaction; returns the newest version. */
    public static int migrate(OutboxSchema schema, Connection c) {
        boolean autoCommit;
        try {
            autoCommit = c.getAutoCommit();
        } catch (SQLException e) {
            throw Jdbc.failure("migrating the outbox schema", e);
        }
        try {
            c.setAutoCommit(false);
            // Serialise concurrent migrations (several relays starting at once): CREATE TABLE IF NOT EXISTS alone
            // races on the catalog's unique index. The lock is per outbox table, released at commit.
            try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
                lock.setString(1, "omnibus-outbox-schema:" + schema.outboxTable());
                lock.execute();
            }
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS " + schema.versionTable()
                        + " (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
            }
            int current = 0;
            try (Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT coalesce(max(version), 0) FROM " + schema.versionTable())) {
                rs.next();
                current = rs.getInt(1);
            }
            List<String> scripts = scripts(schema);
            if (current > scripts.size()) {
                throw new OmnibusException(ErrorCode.INVALID_CONFIG, "the outbox schema in the database is version "
                        + current + ", newer than this library knows (" + scripts.size()
                        + "): use a newer omnibus-outbox");
            }
            for (int v = current + 1; v <= scripts.size(); v++) {
                try (Statement s = c.createStatement()) {
                    s.execute(scripts.get(v - 1));
                }
                try (PreparedStatement p = c.prepareStatement("INSERT INTO " + schema.versionTable()
                        + " (version) VALUES (?)")) {
                    p.setInt(1, v);
                    p.executeUpdate();
                }
            }
            c.commit();
            return scripts.size();
        } catch (SQLException e) {
            Jdbc.rollbackQuietly(c);
            throw Jdbc.failure("migrating the outbox schema " + schema, e);
        } catch (RuntimeException e) {
            Jdbc.rollbackQuietly(c);
            throw e;
        } finally {
            try {
                c.setAutoCommit(autoCommit);
            } catch (SQLException ignored) {
                // a broken connection: the caller sees the failure above
            }
        }
    }

    private static String render(OutboxSchema schema, String sql) {
        return sql.replace("${outbox_name}", unqualified(schema.outboxTable()))
                .replace("${inbox_name}", unqualified(schema.inboxTable()))
                .replace("${outbox}", schema.outboxTable())
                .replace("${inbox}", schema.inboxTable());
    }

    private static String unqualified(String table) {
        return table.substring(table.indexOf('.') + 1);
    }

    private static String read(String resource) {
        try (InputStream in = SchemaMigrator.class.getResourceAsStream("/dev/omnibus/outbox/" + resource)) {
            if (in == null) {
                throw new OmnibusException(ErrorCode.INTERNAL, "the outbox schema resource " + resource
                        + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new OmnibusException(ErrorCode.INTERNAL, "cannot read the outbox schema resource " + resource, e);
        }
    }
}
