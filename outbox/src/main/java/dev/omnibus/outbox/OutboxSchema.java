package dev.omnibus.outbox;

import dev.omnibus.InvalidArgumentException;
import dev.omnibus.outbox.internal.Jdbc;
import dev.omnibus.outbox.internal.SchemaMigrator;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The outbox's tables and how to create them; immutable and thread-safe.
 *
 * <p>Two tables: the outbox ({@value #DEFAULT_OUTBOX_TABLE} by default), one row per event written with
 * {@link Outbox#publish}, and the inbox ({@value #DEFAULT_INBOX_TABLE}), one row per event an
 * {@link IdempotentHandler} applied; plus {@code <outbox>_version}, which records the applied schema versions. The
 * schema ships as versioned SQL in the jar ({@code dev/omnibus/outbox/V1__outbox.sql}, ...); {@link #migrate}
 * applies the versions not yet applied, idempotently and safely from several processes at once (a transaction-level
 * advisory lock serialises them). Teams whose schema is owned by Flyway or Liquibase copy {@link #scripts()} into
 * their own migrations instead and never call {@link #migrate}.
 *
 * <p>Table names are PostgreSQL identifiers the library writes into SQL unquoted, so they are checked: 1 to
 * {@value #MAX_NAME_LENGTH} characters of {@code a-z 0-9 _}, not starting with a digit, optionally qualified by a
 * schema name of the same form ({@code billing.outbox}).
 */
public final class OutboxSchema {
    /** Default outbox table. */
    public static final String DEFAULT_OUTBOX_TABLE = "omnibus_outbox";
    /** Default inbox table. */
    public static final String DEFAULT_INBOX_TABLE = "omnibus_inbox";
    /** Longest table (or schema) name: leaves room for the suffixes of index names within PostgreSQL's 63. */
    public static final int MAX_NAME_LENGTH = 40;

    private static final Pattern PART = Pattern.compile("[a-z_][a-z0-9_]{0," + (MAX_NAME_LENGTH - 1) + "}");
    private static final String RULE = "a table name is 1 to " + MAX_NAME_LENGTH
            + " characters of a-z 0-9 _ not starting with a digit, optionally schema-qualified (e.g. 'billing.outbox')";

    private static final OutboxSchema DEFAULTS = new OutboxSchema(DEFAULT_OUTBOX_TABLE, DEFAULT_INBOX_TABLE);

    private final String outboxTable;
    private final String inboxTable;

    private OutboxSchema(String outboxTable, String inboxTable) {
        this.outboxTable = checkName("outbox table", outboxTable);
        this.inboxTable = checkName("inbox table", inboxTable);
        if (outboxTable.equals(inboxTable)) {
            throw new InvalidArgumentException("the outbox and inbox tables must differ, both are '" + outboxTable
                    + "'");
        }
    }

    /**
     * The default tables {@value #DEFAULT_OUTBOX_TABLE} and {@value #DEFAULT_INBOX_TABLE}.
     *
     * @return the default schema
     */
    public static OutboxSchema defaults() {
        return DEFAULTS;
    }

    /**
     * A schema with these table names.
     *
     * @param outboxTable the outbox table, e.g. {@code orders_outbox} or {@code billing.outbox}
     * @param inboxTable the inbox table
     * @return the schema
     * @throws InvalidArgumentException if a name is not a valid identifier (the message says what is allowed) or
     *     both are the same
     */
    public static OutboxSchema of(String outboxTable, String inboxTable) {
        return new OutboxSchema(outboxTable, inboxTable);
    }

    /**
     * The outbox table, as written in SQL.
     *
     * @return the possibly schema-qualified name
     */
    public String outboxTable() {
        return outboxTable;
    }

    /**
     * The inbox table, as written in SQL.
     *
     * @return the possibly schema-qualified name
     */
    public String inboxTable() {
        return inboxTable;
    }

    /**
     * The table recording applied schema versions: {@code <outbox table>_version}.
     *
     * @return the possibly schema-qualified name
     */
    public String versionTable() {
        return outboxTable + "_version";
    }

    /**
     * The {@code LISTEN}/{@code NOTIFY} channel a write notifies relays on: the outbox table's name.
     *
     * @return the channel name
     */
    public String channel() {
        return outboxTable.replace('.', '_');
    }

    /**
     * Every schema version's SQL with this schema's table names filled in, oldest first: what {@link #migrate} runs,
     * for teams that put it into their own Flyway or Liquibase migrations.
     *
     * @return the scripts, one per version
     */
    public List<String> scripts() {
        return SchemaMigrator.scripts(this);
    }

    /**
     * Creates the tables or brings them to the newest version, in one transaction on {@code connection}, which is
     * left in the auto-commit mode it had. Idempotent; concurrent calls from several processes wait for each other.
     *
     * @param connection an open connection to PostgreSQL, not in a transaction of the caller's
     * @return the schema version now in place
     * @throws dev.omnibus.OmnibusException if the database refuses (the SQL state in the message, the
     *     {@link SQLException} as the cause)
     */
    public int migrate(Connection connection) {
        Objects.requireNonNull(connection, "connection");
        return SchemaMigrator.migrate(this, connection);
    }

    /**
     * {@link #migrate(Connection)} on a connection from {@code dataSource}, closed afterwards.
     *
     * @param dataSource where to get a connection
     * @return the schema version now in place
     * @throws dev.omnibus.OmnibusException if no connection can be had or the database refuses
     */
    public int migrate(DataSource dataSource) {
        Objects.requireNonNull(dataSource, "dataSource");
        try (Connection c = dataSource.getConnection()) {
            return migrate(c);
        } catch (SQLException e) {
            throw Jdbc.failure("connecting to migrate the outbox schema", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OutboxSchema && ((OutboxSchema) o).outboxTable.equals(outboxTable)
                && ((OutboxSchema) o).inboxTable.equals(inboxTable);
    }

    @Override
    public int hashCode() {
        return outboxTable.hashCode() * 31 + inboxTable.hashCode();
    }

    @Override
    public String toString() {
        return "OutboxSchema{outbox=" + outboxTable + ", inbox=" + inboxTable + "}";
    }

    private static String checkName(String what, String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidArgumentException("the " + what + " name is empty: " + RULE);
        }
        String[] parts = name.split("\\.", -1);
        if (parts.length > 2) {
            throw new InvalidArgumentException("the " + what + " name '" + printable(name)
                    + "' has more than one '.': " + RULE);
        }
        for (String part : parts) {
            if (!PART.matcher(part).matches()) {
                throw new InvalidArgumentException("the " + what + " name '" + printable(name)
                        + "' is not a valid identifier: " + RULE);
            }
        }
        return name;
    }

    private static String printable(String s) {
        return dev.omnibus.internal.Redaction.printable(s, 80);
    }
}
