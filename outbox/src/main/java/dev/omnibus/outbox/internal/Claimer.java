package dev.omnibus.outbox.internal;

import dev.omnibus.outbox.OutboxSchema;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The claim of a relay batch, in the caller's open transaction; stateless and thread-safe (the connection is not).
 *
 * <p>Why three statements. {@code FOR UPDATE SKIP LOCKED} alone lets relays share rows, but not keep a key's order:
 * relay A may lock rows 1 and 2 of key k while relay B, skipping them, locks row 3 of k and publishes it first. So a
 * keyed row is published only while its relay (1) holds the transaction-level advisory lock of its key (at most one
 * relay publishes a key at a time) and (2) the row is, together with the claimed rows of the same key before it, at
 * the head of the key's pending rows as a fresh statement sees them (no earlier pending row of the key is left to
 * someone else, or not yet visible when the claim ran). Rows that fail either test stay locked until the transaction
 * ends and are left pending, untouched: the next claim, by any relay, takes them in order. Rows without a key are not
 * constrained and flow in parallel across relays.
 */
public final class Claimer {
    private final String claimSql;
    private final String keyLockSql;
    private final String headSql;
    private final String lockNamespace;

    /** A claimer of {@code schema}'s outbox. */
    public Claimer(OutboxSchema schema) {
        String t = schema.outboxTable();
        this.claimSql = "SELECT seq, topic, partition_key, event, attempts FROM " + t
                + " WHERE sent_at IS NULL AND parked_at IS NULL ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED";
        // advisory locks of two int4s: the outbox table's hash keeps two outboxes in one database apart
        this.keyLockSql = "SELECT k, pg_try_advisory_xact_lock(hashtext(?), hashtext(k)) FROM unnest(?::text[]) AS k";
        this.headSql = "SELECT seq, partition_key FROM " + t + " WHERE partition_key = ANY(?::text[])"
                + " AND sent_at IS NULL AND parked_at IS NULL AND seq <= ? ORDER BY seq";
        this.lockNamespace = "omnibus-outbox:" + t;
    }

    /** What a claim got: the rows to publish, in seq order, and how many locked rows it had to leave for later. */
    public record Claim(List<ClaimedRow> rows, int deferred) {
    }

    /** Claims up to {@code limit} rows on {@code c}, which must be in a transaction that the caller ends. */
    public Claim claim(Connection c, int limit) throws SQLException {
        List<ClaimedRow> locked = new ArrayList<>();
        try (PreparedStatement p = c.prepareStatement(claimSql)) {
            p.setInt(1, limit);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    locked.add(new ClaimedRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getBytes(4),
                            rs.getInt(5)));
                }
            }
        }
        Set<String> keys = new LinkedHashSet<>();
        long maxSeq = 0;
        for (ClaimedRow r : locked) {
            if (r.partitionKey() != null) {
                keys.add(r.partitionKey());
                maxSeq = Math.max(maxSeq, r.seq());
            }
        }
        if (keys.isEmpty()) {
            return new Claim(locked, 0);
        }
        Set<String> owned = lockKeys(c, keys);
        Set<Long> publishable = headRows(c, locked, owned, maxSeq);
        List<ClaimedRow> rows = new ArrayList<>(locked.size());
        for (ClaimedRow r : locked) {
            if (r.partitionKey() == null || publishable.contains(r.seq())) {
                rows.add(r);
            }
        }
        return new Claim(rows, locked.size() - rows.size());
    }

    private Set<String> lockKeys(Connection c, Set<String> keys) throws SQLException {
        Set<String> owned = new HashSet<>();
        Array array = c.createArrayOf("text", keys.toArray());
        try (PreparedStatement p = c.prepareStatement(keyLockSql)) {
            p.setString(1, lockNamespace);
            p.setArray(2, array);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    if (rs.getBoolean(2)) {
                        owned.add(rs.getString(1));
                    }
                }
            }
        } finally {
            array.free();
        }
        return owned;
    }

    /** The seqs of claimed keyed rows that lead their key's pending rows, with no gap of someone else's. */
    private Set<Long> headRows(Connection c, List<ClaimedRow> locked, Set<String> owned, long maxSeq)
            throws SQLException {
        Set<Long> mine = new HashSet<>();
        for (ClaimedRow r : locked) {
            if (r.partitionKey() != null && owned.contains(r.partitionKey())) {
                mine.add(r.seq());
            }
        }
        Set<Long> publishable = new HashSet<>();
        if (mine.isEmpty()) {
            return publishable;
        }
        Map<String, Boolean> open = new HashMap<>(); // key -> still at the head (no foreign row met yet)
        Array array = c.createArrayOf("text", owned.toArray());
        try (PreparedStatement p = c.prepareStatement(headSql)) {
            p.setArray(1, array);
            p.setLong(2, maxSeq);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    long seq = rs.getLong(1);
                    String key = rs.getString(2);
                    boolean headStill = open.getOrDefault(key, true);
                    if (headStill && mine.contains(seq)) {
                        publishable.add(seq);
                    } else {
                        open.put(key, false);
                    }
                }
            }
        } finally {
            array.free();
        }
        return publishable;
    }
}
