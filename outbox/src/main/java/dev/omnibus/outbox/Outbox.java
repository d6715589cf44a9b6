package dev.omnibus.outbox;

import dev.omnibus.Extensions;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.internal.EventValidation;
import dev.omnibus.outbox.internal.EventCodec;
import dev.omnibus.outbox.internal.Jdbc;
import dev.omnibus.spi.Topics;
import io.cloudevents.CloudEvent;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;

/**
 * Writes events into the outbox table inside the caller's transaction; immutable and thread-safe (share one), creates
 * no threads. Nothing is sent unless that transaction commits: an {@link OutboxRelay} publishes committed rows.
 *
 * <pre>{@code
 * Outbox outbox = Outbox.create(OutboxSchema.defaults());
 * try (Connection c = dataSource.getConnection()) {
 *     c.setAutoCommit(false);
 *     insertOrder(c, order);                                  // the service's own change
 *     outbox.publish(c, "orders.created", orderCreated(order)); // the event, same transaction
 *     c.commit();                                             // both, or neither
 * }
 * }</pre>
 *
 * <p>Topics and events are validated exactly as {@link dev.omnibus.Publisher#publish} validates them, before anything
 * is written: {@link InvalidArgumentException} for a non-portable topic, {@link dev.omnibus.InvalidEventException}
 * naming every problem of the event. The payload limit of the broker is not known here (the relay picks the broker),
 * so it is checked against {@link #maxPayloadBytes()} ({@link Integer#MAX_VALUE} unless set); an event the broker
 * later refuses is parked by the relay, not retried forever. Each write also issues {@code NOTIFY} on
 * {@link OutboxSchema#channel()}, which PostgreSQL delivers to listening relays only when the transaction commits.
 *
 * <p>Database failures are {@link dev.omnibus.OmnibusException}s with the {@link SQLException} as the cause
 * ({@link dev.omnibus.ErrorCode#UNAVAILABLE} when the connection was lost); the caller's transaction is then in
 * whatever state PostgreSQL left it (usually aborted: roll it back).
 */
public final class Outbox {
    private final OutboxSchema schema;
    private final int maxPayloadBytes;
    private final String insertSql;
    private final String notifySql;

    private Outbox(OutboxSchema schema, int maxPayloadBytes) {
        this.schema = Objects.requireNonNull(schema, "schema");
        if (maxPayloadBytes < 1) {
            throw new InvalidArgumentException("maxPayloadBytes must be at least 1, got " + maxPayloadBytes);
        }
        this.maxPayloadBytes = maxPayloadBytes;
        this.insertSql = "INSERT INTO " + schema.outboxTable()
                + " (topic, event_id, event_source, event_type, partition_key, event) VALUES (?, ?, ?, ?, ?, ?)";
        this.notifySql = "SELECT pg_notify(?, '')";
    }

    /**
     * An outbox on {@code schema}'s tables, with no payload limit of its own.
     *
     * @param schema the tables
     * @return the outbox
     */
    public static Outbox create(OutboxSchema schema) {
        return new Outbox(schema, Integer.MAX_VALUE);
    }

    /**
     * An outbox on {@code schema}'s tables that refuses data above {@code maxPayloadBytes}, like a publisher to a
     * broker with that limit (use {@code bus.capabilities().maxPayloadBytes()} of the relay's broker).
     *
     * @param schema the tables
     * @param maxPayloadBytes the largest data accepted, at least 1
     * @return the outbox
     * @throws InvalidArgumentException if {@code maxPayloadBytes} is below 1
     */
    public static Outbox create(OutboxSchema schema, int maxPayloadBytes) {
        return new Outbox(schema, maxPayloadBytes);
    }

    /**
     * The tables written.
     *
     * @return the schema
     */
    public OutboxSchema schema() {
        return schema;
    }

    /**
     * The largest data this outbox accepts.
     *
     * @return bytes
     */
    public int maxPayloadBytes() {
        return maxPayloadBytes;
    }

    /**
     * Stores {@code event} for {@code topic} in the caller's transaction on {@code connection}.
     *
     * @param connection a connection in a transaction (auto-commit off)
     * @param topic a portable topic
     * @param event a valid event
     * @throws InvalidArgumentException if the topic is not portable or the connection is in auto-commit mode (the
     *     event would be committed on its own, without the caller's change)
     * @throws dev.omnibus.InvalidEventException if the event is invalid (every problem named)
     * @throws dev.omnibus.OmnibusException if the database refuses
     */
    public void publish(Connection connection, String topic, CloudEvent event) {
        publishAll(connection, topic, List.of(Objects.requireNonNull(event, "event")));
    }

    /**
     * Stores {@code events}, in their order, for {@code topic} in the caller's transaction, in one round trip. All
     * are validated before any is written.
     *
     * @param connection a connection in a transaction (auto-commit off)
     * @param topic a portable topic
     * @param events valid events; an empty list writes nothing
     * @throws InvalidArgumentException as {@link #publish}
     * @throws dev.omnibus.InvalidEventException if an event is invalid (the first invalid one named)
     * @throws dev.omnibus.OmnibusException if the database refuses
     */
    public void publishAll(Connection connection, String topic, List<CloudEvent> events) {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(events, "events");
        Topics.validateTopic("topic", topic);
        for (CloudEvent event : events) {
            EventValidation.validate(event, maxPayloadBytes, "outbox");
        }
        if (events.isEmpty()) {
            return;
        }
        try {
            if (connection.getAutoCommit()) {
                throw new InvalidArgumentException("the connection is in auto-commit mode: the outbox row would "
                        + "commit on its own, apart from the caller's change; call setAutoCommit(false) and commit "
                        + "the transaction that also holds the change");
            }
            try (PreparedStatement insert = connection.prepareStatement(insertSql)) {
                for (CloudEvent event : events) {
                    insert.setString(1, topic);
                    insert.setString(2, event.getId());
                    insert.setString(3, event.getSource().toString());
                    insert.setString(4, event.getType());
                    insert.setString(5, (String) event.getExtension(Extensions.PARTITION_KEY));
                    insert.setBytes(6, EventCodec.encode(event));
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            try (PreparedStatement notify = connection.prepareStatement(notifySql)) {
                notify.setString(1, schema.channel());
                notify.execute();
            }
        } catch (SQLException e) {
            throw Jdbc.failure("writing " + events.size() + " event(s) to the outbox " + schema.outboxTable(), e);
        }
    }

    @Override
    public String toString() {
        return "Outbox{" + schema.outboxTable() + (maxPayloadBytes == Integer.MAX_VALUE ? ""
                : ", maxPayloadBytes=" + maxPayloadBytes) + "}";
    }
}
