package dev.omnibus.cli;

import dev.omnibus.Omnibus;
import dev.omnibus.internal.Redaction;
import dev.omnibus.outbox.OutboxRelay;
import dev.omnibus.outbox.OutboxSchema;
import dev.omnibus.outbox.RelayStats;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code omnibus outbox}: the transactional outbox's commands (one so far: {@code relay}); not thread-safe. */
@Command(name = "outbox", description = {"Runs the transactional outbox's relay (module omnibus-outbox).",
        "Example:%n  omnibus outbox relay --db 'jdbc:postgresql://127.0.0.1:5432/shop?user=relay' "
                + "--db-password-file /run/secrets/pg --url kafka://127.0.0.1:9092"},
        subcommands = {OutboxCommand.RelayCommand.class})
final class OutboxCommand implements Runnable {
    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing what to do: relay");
    }

    /**
     * {@code omnibus outbox relay}: an {@link OutboxRelay} from a PostgreSQL outbox to the broker of {@code --url},
     * until SIGTERM/SIGINT, {@code --count} or {@code --timeout}; then prints its counters. Not thread-safe.
     */
    @Command(name = "relay", description = {"Publishes the committed rows of a PostgreSQL outbox table to the broker "
            + "and deletes them once the broker confirmed (at least once; per partition key in order). Run several "
            + "for more throughput or availability: they share the rows. Runs until SIGTERM/SIGINT, --count "
            + "published events or --timeout, then prints the counters.",
            "The password in --db (password=...) or --db-password-file is never printed."})
    static final class RelayCommand extends BusCommand {
        /** How often the main thread looks at the counters. */
        private static final long CHECK_MILLIS = 100;

        @Option(names = "--db", required = true, paramLabel = "JDBC-URL",
                description = "The database: jdbc:postgresql://host:port/database?user=...")
        private String db;

        @Option(names = "--db-password-file", paramLabel = "FILE",
                description = "Read the database password from this file (one line), so that it stays out of the "
                        + "command line and the process list.")
        private Path passwordFile;

        @Option(names = "--table", paramLabel = "NAME", defaultValue = OutboxSchema.DEFAULT_OUTBOX_TABLE,
                description = "The outbox table (default: ${DEFAULT-VALUE}).")
        private String table;

        @Option(names = "--inbox-table", paramLabel = "NAME", defaultValue = OutboxSchema.DEFAULT_INBOX_TABLE,
                description = "The inbox table, created with --migrate (default: ${DEFAULT-VALUE}).")
        private String inboxTable;

        @Option(names = "--migrate", description = "Create or upgrade the outbox schema first.")
        private boolean migrate;

        @Option(names = "--batch-size", paramLabel = "N", defaultValue = "" + OutboxRelay.DEFAULT_BATCH_SIZE,
                description = "Rows per claim transaction (default: ${DEFAULT-VALUE}).")
        private int batchSize;

        @Option(names = "--poll-interval", paramLabel = "DURATION", defaultValue = "1s",
                description = "Look for rows this often when no NOTIFY comes (default: ${DEFAULT-VALUE}).")
        private Duration pollInterval;

        @Option(names = "--retention", paramLabel = "DURATION",
                description = "Keep sent rows this long (default: delete them when confirmed).")
        private Duration retention;

        @Option(names = "--count", paramLabel = "N", description = "Stop once N events were published.")
        private Integer count;

        @Option(names = "--timeout", paramLabel = "DURATION", description = "Stop after this long (default: no limit).")
        private Duration timeout;

        /** The password read from {@link #passwordFile}, kept so that error output can be scrubbed of it. */
        private String password;

        @Override
        protected int run(Omnibus bus) throws Exception {
            long limit = count == null ? Long.MAX_VALUE : positive("--count", count);
            if (db == null || !db.startsWith("jdbc:postgresql:")) {
                throw badInput("--db must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/database?user=...), "
                        + "got '" + Redaction.url(db) + "'", null);
            }
            if (passwordFile != null) {
                password = readPassword();
            }
            OutboxSchema schema = OutboxSchema.of(table, inboxTable);
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            try {
                dataSource.setURL(db);
            } catch (IllegalArgumentException e) {
                throw badInput("--db '" + Redaction.url(db) + "' is not a valid PostgreSQL JDBC URL", null);
            }
            if (password != null) {
                dataSource.setPassword(password);
            }
            if (migrate) {
                out().println("outbox schema version " + schema.migrate(dataSource) + " in place");
            }
            OutboxRelay.Builder builder = OutboxRelay.builder(dataSource, bus.publisher()).schema(schema)
                    .batchSize(positive("--batch-size", batchSize)).pollInterval(pollInterval);
            if (retention != null) {
                builder.retention(retention);
            }
            CountDownLatch stop = new CountDownLatch(1);
            CountDownLatch finished = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                stop.countDown();
                try {
                    finished.await(OutboxRelay.DEFAULT_CLOSE_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "omnibus-outbox-relay-shutdown");
            long started = System.nanoTime();
            try (OutboxRelay relay = builder.start()) {
                out().println("relaying " + Redaction.url(db) + " table " + schema.outboxTable() + " -> "
                        + bus.backend());
                out().flush();
                Runtime.getRuntime().addShutdownHook(hook);
                String outcome = runUntilStopped(relay, stop, limit);
                relay.close();
                print(relay.stats(), Duration.ofNanos(System.nanoTime() - started));
                relay.failure().ifPresent(error -> {
                    throw new IllegalStateException("the relay stopped: " + error.getMessage(), error);
                });
                return outcome == null ? 0 : fail(outcome);
            } finally {
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it returns once finished opened
                }
            }
        }

        private String runUntilStopped(OutboxRelay relay, CountDownLatch stop, long limit)
                throws InterruptedException {
            long end = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
            while (!stop.await(CHECK_MILLIS, TimeUnit.MILLISECONDS)) {
                if (relay.stats().published() >= limit || !relay.isRunning()) {
                    return null;
                }
                if (System.nanoTime() - end >= 0) {
                    return count == null ? null : "published " + relay.stats().published() + " of " + limit
                            + " events within " + human(timeout);
                }
            }
            return null;
        }

        private void print(RelayStats stats, Duration elapsed) {
            out().println("published=" + stats.published() + " parked=" + stats.parked() + " retried="
                    + stats.retried() + " failures=" + stats.failures() + " elapsed="
                    + human(elapsed.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)));
            out().flush();
        }

        private String readPassword() {
            String content;
            try {
                content = Files.readString(passwordFile, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw badInput("cannot read --db-password-file '" + passwordFile + "' ("
                        + e.getClass().getSimpleName() + ")", null);
            }
            if (content.isEmpty() || content.lines().count() != 1) {
                throw badInput("--db-password-file '" + passwordFile + "' must hold the password on one line", null);
            }
            return content;
        }

        @Override
        List<String> secrets() {
            List<String> secrets = new ArrayList<>(super.secrets());
            if (password != null) {
                secrets.add(password);
            }
            if (db != null) {
                // password=... in the JDBC URL's query (pgjdbc's way); the scrubber knows only userinfo passwords
                for (String pair : db.substring(Math.max(0, db.indexOf('?') + 1)).split("&")) {
                    int eq = pair.indexOf('=');
                    if (eq > 0 && Redaction.looksSecret(pair.substring(0, eq))) {
                        secrets.add(pair.substring(eq + 1));
                    }
                }
            }
            return secrets;
        }
    }
}
