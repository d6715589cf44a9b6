package dev.omnibus.cli;

import dev.omnibus.tck.RuleCatalogue;
import dev.omnibus.tck.TckReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code omnibus tck} on the in-process memory broker: rules chosen for speed, one run each. */
class TckCommandTest {
    private static final String NOT_STARTED = "mem: the kit did not start this broker, so it cannot restart it "
            + "(kill -9) or cut its connections";
    private static final String NO_RAW = "mem: the kit did not start this broker and holds no raw client of it to "
            + "publish a message from a foreign producer";

    /** A broker of its own per run: the options of the first connection to a memory broker fix it. */
    private static String url() {
        return "mem://cli-tck-" + UUID.randomUUID().toString().substring(0, 8) + "?dedup=true";
    }

    @Test
    void runsTheChosenRulesPrintsALinePerRuleAndTheMatrixAndWritesTheReport(@TempDir Path dir) throws IOException {
        Cli.Result result = Cli.run("tck", "--url", url(), "--rules", "R01,r14,R15,R17,R18,R19", "--report",
                dir.toString());

        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        assertThat(result.out().lines().filter(l -> l.matches("R\\d\\d .*")))
                .as(result.out()).hasSize(6)
                .anySatisfy(l -> assertThat(l).matches("R01 PASSED  round trip of every attribute, extension and "
                        + "data \\(\\d+ tests?, \\d+\\.\\d s\\)"))
                .anySatisfy(l -> assertThat(l).startsWith("R14 PASSED  publish dedup by event id ("))
                .anySatisfy(l -> assertThat(l).startsWith("R15 PASSED  ").endsWith(", 2 skipped: " + NO_RAW + ")"))
                .anySatisfy(l -> assertThat(l).isEqualTo("R17 SKIPPED broker restart mid-stream: " + NOT_STARTED))
                .anySatisfy(l -> assertThat(l).isEqualTo("R18 SKIPPED connection cut / stall: " + NOT_STARTED))
                .anySatisfy(l -> assertThat(l).startsWith("R19 PASSED  wildcard subscriptions ("));
        assertThat(result.out()).startsWith("omnibus tck: mem at mem://cli-tck-")
                .contains("| rule | mem |", "| R01 round trip of every attribute, extension and data | pass |",
                        "| R17 broker restart mid-stream | skip [")
                .contains("rules: 4 passed, 0 failed, " + (RuleCatalogue.RULES.size() - 4) + " skipped; report: " + dir.resolve("report-partial.json"));

        TckReport report = TckReport.read(dir.resolve("report-partial.json"));
        assertThat(report.backend()).isEqualTo("mem");
        assertThat(report.rule("R01").status()).isEqualTo("PASSED");
        assertThat(report.rule("R17").status()).isEqualTo("SKIPPED");
        assertThat(report.rule("R17").reason()).isEqualTo(NOT_STARTED);
        assertThat(report.rule("R15").reason()).isEqualTo("2 test(s) skipped: " + NO_RAW);
        assertThat(report.rule("R05").reason()).isEqualTo("no test of this rule ran in this execution");
        assertThat(report.partial()).as("a run of some rules is a partial report").isTrue();
        assertThat(report.kitVersion()).as("the kit's version from its jar").matches("\\d+\\.\\d+\\.\\d+.*");
        assertThat(dir.resolve("report.json")).as("a partial run never writes the whole run's report").doesNotExist();
        assertThat(Files.readString(dir.resolve("report-partial.md"))).startsWith("# Omnibus TCK report: mem")
                .contains("| R01 | round trip of every attribute, extension and data | PASSED |");
    }

    @Test
    void aFailedRuleExitsWith1AndSaysWhatFailed(@TempDir Path dir) throws IOException {
        // an ack deadline of 1 s cannot expire within a 1 ms wait for the redelivery: R09 fails, whatever the broker
        Cli.Result result = Cli.run("tck", "--url", url(), "--rules", "R09", "--timeout", "1ms", "--report",
                dir.toString());

        assertThat(result.exitCode()).as(result.out() + result.err()).isEqualTo(1);
        assertThat(result.out().lines().filter(l -> l.startsWith("R09 ")))
                .singleElement().asString()
                .startsWith("R09 FAILED  unsettled events are redelivered after the ack deadline (")
                .contains("[mem] R09: ");
        assertThat(result.out()).contains("rules: 0 passed, 1 failed, " + (RuleCatalogue.RULES.size() - 1) + " skipped");
        assertThat(TckReport.read(dir.resolve("report-partial.json")).rule("R09").status()).isEqualTo("FAILED");
    }

    @Test
    void anUnknownRuleIsBadInput(@TempDir Path dir) {
        Cli.Result result = Cli.run("tck", "--rules", "R01,R99", "--report", dir.toString());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).startsWith(
                "omnibus: --rules: unknown rule 'R99'; the rules are R01 to R25 (e.g. --rules R01,R07)");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void anUnknownSchemeIsBadInputNamingTheInstalledBackends(@TempDir Path dir) {
        Cli.Result result = Cli.run("tck", "--url", "nosuch://host", "--report", dir.toString());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("nosuch", "installed backends: ");
        assertThat(dir).isEmptyDirectory();
    }
}
