package dev.omnibus.cli;

import dev.omnibus.nats.NatsHarness;
import dev.omnibus.tck.RuleCatalogue;
import dev.omnibus.tck.TckReport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The commands against a real {@code nats-server -js}, started once for the class by the JetStream kit's own harness
 * (a child process on a free loopback port): to {@code omnibus tck}, a broker it did not start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JetStreamCommandsIT {
    private final NatsHarness server = new NatsHarness("jetstream", "");

    @BeforeAll
    void startServer() throws Exception {
        server.start();
    }

    @AfterAll
    void stopServer() throws Exception {
        server.stop();
    }

    @Test
    void subscribeReceivesWhatPublishSent() {
        Cli.Result published = Cli.run("publish", "--url", server.url(), "--topic", "cli.orders", "--data", "hello",
                "--id", "order", "--count", "2");
        Cli.Result received = Cli.run("subscribe", "--url", server.url(), "--topic", "cli.orders", "--from",
                "earliest", "--count", "2", "--timeout", "15s");

        assertThat(published.exitCode()).as(published.err()).isZero();
        assertThat(published.out().lines()).hasSize(2).allMatch(l -> l.startsWith("published id=order-"));
        assertThat(received.exitCode()).as(received.err()).isZero();
        assertThat(received.out().lines()).containsExactly(
                "topic=cli.orders id=order-1 type=dev.omnibus.cli.message attempt=1 data=hello",
                "topic=cli.orders id=order-2 type=dev.omnibus.cli.message attempt=1 data=hello");
    }

    @Test
    void tckPassesWhatItCanRunAndSkipsTheFaultRulesWithTheReason(@TempDir Path dir) throws IOException {
        String reason = "jetstream: the kit did not start this broker, so it cannot restart it (kill -9) or cut its "
                + "connections";

        Cli.Result result = Cli.run("tck", "--url", server.url(), "--rules", "R01,R02,R05,R07,R15,R17,R18",
                "--report", dir.toString());

        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        List<String> progress = result.out().lines().filter(l -> l.matches("R\\d\\d .*")).toList();
        assertThat(progress).as(result.out()).hasSize(7);
        assertThat(progress).filteredOn(l -> l.matches("R(01|02|05|07|15) PASSED  .*")).hasSize(5);
        assertThat(progress).contains("R17 SKIPPED broker restart mid-stream: " + reason,
                "R18 SKIPPED connection cut / stall: " + reason);
        assertThat(result.out()).startsWith("omnibus tck: jetstream at " + server.url() + ", rules R01,R02,R05,R07,"
                + "R15,R17,R18").contains("| rule | jetstream |", "rules: 5 passed, 0 failed, " + (RuleCatalogue.RULES.size() - 5) + " skipped");

        TckReport report = TckReport.read(dir.resolve("report-partial.json"));
        assertThat(report.backend()).isEqualTo("jetstream");
        assertThat(report.rule("R07").status()).isEqualTo("PASSED");
        assertThat(report.rule("R17").reason()).isEqualTo(reason);
        assertThat(report.rule("R18").reason()).isEqualTo(reason);
        assertThat(Files.readString(dir.resolve("report-partial.md"))).startsWith("# Omnibus TCK report: jetstream");
    }

    @Test
    void benchMeasuresEveryEventItPublished() {
        Cli.Result result = Cli.run("bench", "--url", server.url(), "--size", "100", "--duration", "1s",
                "--warmup", "300ms", "--rate", "500", "--json");

        BenchJson.assertComplete(result, "jetstream", 500);
    }
}
