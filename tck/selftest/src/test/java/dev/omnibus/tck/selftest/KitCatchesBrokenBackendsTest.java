package dev.omnibus.tck.selftest;

import dev.omnibus.tck.RuleCatalogue;
import dev.omnibus.tck.TckReport;
import dev.omnibus.tck.TckReporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The kit proves itself (the Reactive Streams TCK's way): run against each deliberately broken variant
 * of the memory backend, it must fail the rule that names the defect, with a message naming the backend and the
 * rule; run against the same wrapper without a defect, it must pass.
 */
class KitCatchesBrokenBackendsTest {
    @ParameterizedTest(name = "{0} is failed at its rule")
    @EnumSource(value = Defect.class, mode = EnumSource.Mode.EXCLUDE, names = {"NONE", "NONE_AT_MOST_ONCE_WINDOW"})
    void eachDefectIsFailedAtTheRuleThatNamesIt(Defect defect, @TempDir Path reports) throws IOException {
        TckReport.Rule verdict = runKit(defect, defect.rule, reports).rule(defect.rule);

        assertThat(verdict.status()).as("kit verdict on %s for %s", defect, defect.rule).isEqualTo("FAILED");
        assertThat(verdict.reason()).as("failure message of %s names the backend and the rule", defect)
                .contains("[" + defect.backendName() + "] " + defect.rule);
        assertThat(Files.readString(reports.resolve("report-partial.md"))).as("report.md tells the implementer of %s what "
                + "to check", defect).contains("if this fails, check: " + RuleCatalogue.CHECKS.get(defect.rule));
    }

    @Test
    void theWrapperWithoutADefectPassesTheWholeKit(@TempDir Path reports) throws IOException {
        TckReport report = runKit(Defect.NONE, null, reports);

        assertThat(report.rules()).extracting(TckReport.Rule::id).as("every rule of the catalogue, in order")
                .containsExactlyElementsOf(RuleCatalogue.RULES.keySet());
        report.rules().forEach(rule -> assertThat(rule.status()).as("%s on the unbroken wrapper: %s", rule.id(),
                rule.reason()).isIn("PASSED", "SKIPPED"));
        assertThat(report.rule("R01").status()).isEqualTo("PASSED");
        // the harness simulates a restart, so R23 runs here and reports its figures
        assertThat(report.rule("R23").status()).as("R23 on the unbroken wrapper: %s", report.rule("R23").reason())
                .isEqualTo("PASSED");
        assertThat(report.rule("R23").figures()).containsOnlyKeys("duplicates", "resumeMillis");
        assertThat(report.kitVersion()).as("the kit's version").isEqualTo(TckReporter.kitVersion())
                .isNotEqualTo("unknown");
        assertThat(report.brokerVersion()).as("the harness's broker version").startsWith("in-process memory broker");
    }

    /**
     * R25's other half: on a backend without a nack whose broker frees a slot only on settlement, the library
     * settles what fails or expires (an MQTT backend stalled after 20 failures with every rule passing).
     */
    @Test
    void anAtMostOnceBackendWithAnInFlightWindowPassesTheWholeKit(@TempDir Path reports) throws IOException {
        TckReport report = runKit(Defect.NONE_AT_MOST_ONCE_WINDOW, null, reports);

        report.rules().forEach(rule -> assertThat(rule.status()).as("%s on the at-most-once shape: %s", rule.id(),
                rule.reason()).isIn("PASSED", "SKIPPED"));
        assertThat(report.rule("R25").status()).as("R25 runs whatever the backend declares: %s",
                report.rule("R25").reason()).isEqualTo("PASSED");
    }

    @Test
    void aDefectCaughtByR23IsNotCaughtByTheRulesBeforeIt(@TempDir Path reports) throws IOException {
        // COMMITS_LAZILY sends its acks within 10 s and on close: only a crash, which R23 alone combines with
        // steady load, exposes it
        TckReport report = runKit(Defect.COMMITS_LAZILY, "R17", reports);
        assertThat(report.rule("R17").status()).as("R17 on %s: %s", Defect.COMMITS_LAZILY,
                report.rule("R17").reason()).isEqualTo("PASSED");
    }

    private static TckReport runKit(Defect defect, String onlyRule, Path reports) throws IOException {
        BrokenKit.defect = defect;
        String previous = System.setProperty(TckReporter.REPORT_DIR_PROPERTY, reports.toString());
        try {
            LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request()
                    .selectors(selectClass(BrokenKit.class));
            if (onlyRule != null) {
                request.filters(TagFilter.includeTags(onlyRule));
            }
            LauncherDiscoveryRequest built = request.build();
            Launcher launcher = LauncherFactory.create();
            SummaryGeneratingListener summary = new SummaryGeneratingListener();
            launcher.execute(built, summary);
            assertThat(summary.getSummary().getTestsFoundCount()).as("kit tests found for %s", defect).isPositive();
        } finally {
            if (previous == null) {
                System.clearProperty(TckReporter.REPORT_DIR_PROPERTY);
            } else {
                System.setProperty(TckReporter.REPORT_DIR_PROPERTY, previous);
            }
        }
        String name = TckReporter.reportName(onlyRule != null);
        assertThat(reports.resolve(TckReporter.reportName(onlyRule == null) + ".json"))
                .as("a %s run writes only %s.json", onlyRule == null ? "whole" : "partial", name).doesNotExist();
        TckReport report = TckReport.read(reports.resolve(name + ".json"));
        assertThat(report.backend()).isEqualTo(defect.backendName());
        assertThat(report.partial()).as("partial flag of a run of %s", onlyRule == null ? "every rule" : onlyRule)
                .isEqualTo(onlyRule != null);
        return report;
    }
}
