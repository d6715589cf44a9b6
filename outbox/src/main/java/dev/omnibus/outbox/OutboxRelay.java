package dev.omnibus.outbox;

import dev.omnibus.InvalidArgumentException;
import dev.omnibus.Publisher;
import dev.omnibus.ReconnectPolicy;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Publishes the committed rows of an outbox table through an Omnibus {@link Publisher} (any broker URL) and removes
 * them once the broker confirmed; thread-safe. Each relay runs one thread, {@code omnibus-outbox-relay-<name>}, and
 * holds one database connection; run several (threads or processes) to share the work.
 *
 * <pre>{@code
 * try (Omnibus bus = Omnibus.connect("kafka://broker:9092");
 *      OutboxRelay relay = OutboxRelay.builder(dataSource, bus.publisher()).start()) {
 *     ...   // runs until closed
 * }
 * }</pre>
 *
 * <p>What it guarantees:
 * <ul>
 *   <li>At least once: a row is deleted (or marked sent) only in the transaction that claimed it, after the broker
 *       confirmed the publish ({@link dev.omnibus.PublishReceipt}). A relay killed, or a database connection lost, at
 *       any moment leaves every unconfirmed row pending; it is published again, possibly a second time (the event
 *       id stays the same: consumers deduplicate with {@link IdempotentHandler}).</li>
 *   <li>Per-key order: rows sharing a {@code partitionkey} are published in outbox order ({@code seq}, the order of
 *       the inserts), never by two relays at once, and within a relay each only after the previous one's confirm.
 *       Rows without a key are published in parallel, across relays too.</li>
 *   <li>Poison rows: a publish refused for good ({@code INVALID_ARGUMENT}, {@code NOT_FOUND},
 *       {@code PERMISSION_DENIED}, {@code UNSUPPORTED}, {@code INTERNAL}, {@code UNKNOWN} and not retryable) parks the
 *       row ({@code parked_at}, {@code park_reason}), counted in {@link RelayStats#parked()}, logged at WARN; the key's
 *       later rows go on. Set {@code parked_at} back to null to retry it.</li>
 *   <li>Failures: an unconfirmed publish (broker down, timeout) or a database failure backs off with the
 *       {@link ReconnectPolicy}, then retries; the relay never gives up on its own. It stops only when closed, or
 *       when its publisher is closed ({@link #failure()} says so).</li>
 * </ul>
 *
 * <p>It wakes on {@code LISTEN}/{@code NOTIFY} (each {@link Outbox} write notifies on commit) and polls every
 * {@link Builder#pollInterval(Duration)} as a fallback (a missed notification, rows written by other means).
 */
public final class OutboxRelay implements AutoCloseable {
    /** Default rows per claim. */
    public static final int DEFAULT_BATCH_SIZE = 100;
    /** Default poll interval when no notification comes. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
    /** Default longest wait for a batch's confirms. */
    public static final Duration DEFAULT_CONFIRM_TIMEOUT = Duration.ofSeconds(30);
    /** Default wait for the loop on {@link #close()}. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final RelayLoop loop;
    private final Thread thread;
    private final RelayStats stats = new RelayStats();
    private final String name;

    private OutboxRelay(Builder b) {
        this.name = b.name;
        this.loop = new RelayLoop(b, stats);
        this.thread = new Thread(loop, "omnibus-outbox-relay-" + b.name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * A builder of a relay reading the outbox through {@code dataSource} and publishing with {@code publisher}
     * (which the relay uses but never closes).
     *
     * @param dataSource PostgreSQL connections (the relay holds one, and gets a new one after a failure)
     * @param publisher where the events go
     * @return a builder with the defaults
     */
    public static Builder builder(DataSource dataSource, Publisher publisher) {
        return new Builder(Objects.requireNonNull(dataSource, "dataSource"),
                Objects.requireNonNull(publisher, "publisher"));
    }

    /**
     * What this relay did so far.
     *
     * @return live counters
     */
    public RelayStats stats() {
        return stats;
    }

    /**
     * Whether the loop runs: {@code true} from start until closed or failed.
     *
     * @return whether running
     */
    public boolean isRunning() {
        return thread.isAlive() && loop.failure() == null;
    }

    /**
     * Why the loop stopped on its own (its publisher was closed, or a bug), if it did.
     *
     * @return the failure, or empty
     */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(loop.failure());
    }

    /**
     * Stops: the batch in flight gets up to {@code timeout} to be confirmed and committed; if it does not make it,
     * the loop is interrupted and its transaction rolled back, so its rows stay pending. Idempotent.
     *
     * @param timeout how long to wait, not negative
     * @return {@code true} if the loop ended within the timeout
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean close(Duration timeout) throws InterruptedException {
        if (timeout == null || timeout.isNegative()) {
            throw new InvalidArgumentException("the close timeout must be zero or positive, got " + timeout);
        }
        loop.stop();
        thread.join(Math.max(1, timeout.toMillis()));
        if (thread.isAlive()) {
            thread.interrupt();
            thread.join(DEFAULT_CLOSE_TIMEOUT.toMillis());
            return false;
        }
        return true;
    }

    /** {@link #close(Duration)} with {@link #DEFAULT_CLOSE_TIMEOUT}; an interrupt is kept as the thread's status. */
    @Override
    public void close() {
        try {
            close(DEFAULT_CLOSE_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "OutboxRelay{" + name + ", " + stats + "}";
    }

    /**
     * Options of a relay; not thread-safe: configure it on one thread, then {@link #start()}.
     */
    public static final class Builder {
        final DataSource dataSource;
        final Publisher publisher;
        OutboxSchema schema = OutboxSchema.defaults();
        int batchSize = DEFAULT_BATCH_SIZE;
        Duration pollInterval = DEFAULT_POLL_INTERVAL;
        Duration confirmTimeout = DEFAULT_CONFIRM_TIMEOUT;
        Duration retention = Duration.ZERO;
        ReconnectPolicy reconnectPolicy = ReconnectPolicy.defaults();
        String name;

        private Builder(DataSource dataSource, Publisher publisher) {
            this.dataSource = dataSource;
            this.publisher = publisher;
        }

        /**
         * The tables; default {@link OutboxSchema#defaults()}.
         *
         * @param schema the tables
         * @return this builder
         */
        public Builder schema(OutboxSchema schema) {
            this.schema = Objects.requireNonNull(schema, "schema");
            return this;
        }

        /**
         * Rows claimed per transaction, 1 to 10000; default {@value #DEFAULT_BATCH_SIZE}.
         *
         * @param rows the batch size
         * @return this builder
         * @throws InvalidArgumentException if out of range
         */
        public Builder batchSize(int rows) {
            if (rows < 1 || rows > 10_000) {
                throw new InvalidArgumentException("batchSize must be 1 to 10000, got " + rows);
            }
            this.batchSize = rows;
            return this;
        }

        /**
         * How often to look for rows when no {@code NOTIFY} comes, 10 ms to 1 h; default 1 s.
         *
         * @param interval the interval
         * @return this builder
         * @throws InvalidArgumentException if out of range
         */
        public Builder pollInterval(Duration interval) {
            this.pollInterval = range("pollInterval", interval, Duration.ofMillis(10), Duration.ofHours(1));
            return this;
        }

        /**
         * How long a batch waits for the broker's confirms before leaving the unconfirmed rows pending (they may
         * then be published twice), 100 ms to 10 min; default 30 s. Keep it below the database's
         * {@code idle_in_transaction_session_timeout}.
         *
         * @param timeout the timeout
         * @return this builder
         * @throws InvalidArgumentException if out of range
         */
        public Builder confirmTimeout(Duration timeout) {
            this.confirmTimeout = range("confirmTimeout", timeout, Duration.ofMillis(100), Duration.ofMinutes(10));
            return this;
        }

        /**
         * How long sent rows are kept (with {@code sent_at} set) before a relay deletes them; default
         * {@link Duration#ZERO}: deleted in the transaction that saw them confirmed.
         *
         * @param keep zero, or up to 365 days
         * @return this builder
         * @throws InvalidArgumentException if negative or longer
         */
        public Builder retention(Duration keep) {
            if (keep != null && keep.isZero()) {
                this.retention = Duration.ZERO;
                return this;
            }
            this.retention = range("retention", keep, Duration.ofMillis(1), Duration.ofDays(365));
            return this;
        }

        /**
         * The backoff after a database failure or an unconfirmed batch; default {@link ReconnectPolicy#defaults()}.
         *
         * @param policy the policy
         * @return this builder
         */
        public Builder reconnectPolicy(ReconnectPolicy policy) {
            this.reconnectPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * The relay's name in its thread name and log lines: 1 to 64 characters of {@code A-Z a-z 0-9 - _ .};
         * default a number.
         *
         * @param name the name
         * @return this builder
         * @throws InvalidArgumentException if not of that form
         */
        public Builder name(String name) {
            if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new InvalidArgumentException("a relay name is 1 to 64 characters of A-Z a-z 0-9 - _ . , got '"
                        + dev.omnibus.internal.Redaction.printable(String.valueOf(name), 80) + "'");
            }
            this.name = name;
            return this;
        }

        /**
         * Starts the relay's thread.
         *
         * @return the running relay
         */
        public OutboxRelay start() {
            if (name == null) {
                name = String.valueOf(COUNTER.incrementAndGet());
            }
            return new OutboxRelay(this);
        }

        private static Duration range(String what, Duration d, Duration min, Duration max) {
            if (d == null || d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw new InvalidArgumentException(what + " must be from " + min + " to " + max + ", got " + d);
            }
            return d;
        }
    }
}
