package dev.omnibus.cli;

import dev.omnibus.outbox.Outbox;
import dev.omnibus.outbox.OutboxSchema;
import dev.omnibus.outbox.PostgresServer;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code omnibus outbox relay} against a PostgreSQL the test starts (the outbox module's harness). */
class OutboxCommandIT {
    private static final String SECRET = "hunter2-very-secret";
    private static PostgresServer postgres;

    @BeforeAll
    static void start() throws Exception {
        postgres = PostgresServer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void relaysCommittedRowsAndNeverPrintsThePassword() throws Exception {
        String database = postgres.newDatabase();
        DataSource ds = postgres.dataSource(database);
        OutboxSchema.defaults().migrate(ds);
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            for (int i = 0; i < 3; i++) {
                Outbox.create(OutboxSchema.defaults()).publish(c, "orders.cli", CloudEventBuilder.v1()
                        .withId("cli-" + i).withSource(URI.create("/cli")).withType("t").build());
            }
            c.commit();
        }
        // the test cluster trusts loopback, so any password connects: enough to see it is never printed
        String url = postgres.jdbcUrl(database) + "&password=" + SECRET;
        Cli.Result r = Cli.run("outbox", "relay", "--db", url, "--url", "mem://", "--migrate", "--count", "3",
                "--timeout", "30s", "--poll-interval", "100ms");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("published=3").contains("relaying jdbc:postgresql://").contains("password=****")
                .doesNotContain(SECRET);
        assertThat(r.err()).doesNotContain(SECRET);
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM omnibus_outbox")) {
            rs.next();
            assertThat(rs.getLong(1)).isZero();
        }
    }

    @Test
    void badInputIsExitCode2WithoutThePassword() throws Exception {
        Cli.Result notPostgres = Cli.run("outbox", "relay", "--db", "jdbc:mysql://h/db?password=" + SECRET,
                "--url", "mem://");
        assertThat(notPostgres.exitCode()).isEqualTo(2);
        assertThat(notPostgres.err()).contains("--db must be a PostgreSQL JDBC URL").doesNotContain(SECRET);

        Cli.Result badTable = Cli.run("outbox", "relay", "--db", postgres.jdbcUrl("postgres") + "&password="
                + SECRET, "--url", "mem://", "--table", "Bad-Name");
        assertThat(badTable.exitCode()).isEqualTo(2);
        assertThat(badTable.err()).contains("outbox table").doesNotContain(SECRET);

        Path file = Files.createTempFile("pw", ".txt");
        try {
            Files.writeString(file, "");
            Cli.Result emptyFile = Cli.run("outbox", "relay", "--db", postgres.jdbcUrl("postgres"),
                    "--db-password-file", file.toString(), "--url", "mem://");
            assertThat(emptyFile.exitCode()).isEqualTo(2);
            assertThat(emptyFile.err()).contains("must hold the password on one line");
        } finally {
            Files.delete(file);
        }

        Cli.Result missing = Cli.run("outbox");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("missing what to do: relay");
    }

    @Test
    void anUnreachableDatabaseFailsWithoutThePassword() {
        Cli.Result r = Cli.run("outbox", "relay", "--db", "jdbc:postgresql://127.0.0.1:1/x?user=u&password=" + SECRET
                + "&connectTimeout=1", "--url", "mem://", "--migrate");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("omnibus: ").doesNotContain(SECRET);
    }
}
