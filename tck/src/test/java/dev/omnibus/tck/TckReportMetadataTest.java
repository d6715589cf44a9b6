package dev.omnibus.tck;

import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a report says about the run besides verdicts: the kit's version, the date, the broker's version and changed
 * settings, and whether the run was partial (then it is written under another name).
 */
class TckReportMetadataTest {
    private static final Capabilities CAPS = Capabilities.builder().supports(Capability.AT_LEAST_ONCE).build();

    /** A kit class of its own per test: the reporter keeps one run per kit class. */
    private static final class WholeRun {
    }

    private static final class PartialRun {
    }

    private static void touch(Class<?> kit, String rule) {
        TckReporter.figure(kit, rule, "probe", 0); // a recorded figure makes the rule "ran" without a JUnit context
    }

    @Test
    void aWholeRunRecordsTheKitTheBrokerAndItsSettings(@TempDir Path dir) throws IOException {
        TckReporter.describe(WholeRun.class, "demo", CAPS, "demo-server 1.2.3",
                Map.of("queue.limit", "100000", "a \"quoted\" name", "x"));
        for (String rule : RuleCatalogue.RULES.keySet()) {
            touch(WholeRun.class, rule);
        }
        TckReporter.write(WholeRun.class, dir);

        assertThat(dir.resolve("report-partial.json")).doesNotExist();
        TckReport report = TckReport.read(dir.resolve("report.json"));
        assertThat(report.partial()).isFalse();
        assertThat(report.kitVersion()).isEqualTo(TckReporter.kitVersion()).isNotEqualTo("unknown");
        assertThat(report.date()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(report.brokerVersion()).isEqualTo("demo-server 1.2.3");
        assertThat(report.brokerSettings()).containsExactly(Map.entry("a \"quoted\" name", "x"),
                Map.entry("queue.limit", "100000"));
        assertThat(Files.readString(dir.resolve("report.md")))
                .contains("broker: demo-server 1.2.3, with a \"quoted\" name = x, queue.limit = 100000");
        assertThat(ConformanceMatrix.render(List.of(report)))
                .contains("Tested against, **demo**: demo-server 1.2.3; settings changed: a \"quoted\" name = x, "
                        + "queue.limit = 100000 (kit " + TckReporter.kitVersion() + ")");
    }

    @Test
    void aRunOfSomeRulesIsWrittenAsAPartialReportAndSaysWhichRulesDidNotRun(@TempDir Path dir) throws IOException {
        TckReporter.describe(PartialRun.class, "demo", CAPS, null, null);
        touch(PartialRun.class, "R07");
        TckReporter.write(PartialRun.class, dir);

        assertThat(dir.resolve("report.json")).as("a partial run must not overwrite the whole run's report")
                .doesNotExist();
        TckReport report = TckReport.read(dir.resolve("report-partial.json"));
        assertThat(report.partial()).isTrue();
        assertThat(report.brokerVersion()).isEqualTo("unknown");
        assertThat(report.brokerSettings()).isEmpty();
        assertThat(Files.readString(dir.resolve("report-partial.md"))).contains("**Partial run**: no test ran for R01");
    }

    @Test
    void aReportFromBeforeTheMetadataReadsAsUnknownAndTheComparableMatrixIgnoresBrokerVersions() {
        TckReport old = TckReport.parse("{\n  \"backend\": \"old\",\n  \"capabilities\": [],\n  \"rules\": [\n  ]\n}\n");
        assertThat(old.kitVersion()).isEqualTo("unknown");
        assertThat(old.brokerVersion()).isEqualTo("unknown");
        assertThat(old.partial()).isFalse();

        String here = "| rule | demo |\nTested against, **demo**: demo-server 1.2.3 (kit 0.1.0).  \n";
        String there = "| rule | demo |\nTested against, **demo**: demo-server 1.4.0 (kit 0.1.0).  \n";
        assertThat(ConformanceMatrix.comparable(here)).isEqualTo(ConformanceMatrix.comparable(there));
        assertThat(ConformanceMatrix.comparable(here.replace("demo |", "other |")))
                .isNotEqualTo(ConformanceMatrix.comparable(there));
    }
}
