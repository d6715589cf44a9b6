package dev.omnibus.tck.selftest;

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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The kit proves itself (style.md, the Reactive Streams TCK's way): run against each deliberately broken variant
 * of the memory backend, it must fail the rule that names the defect, with a message naming the backend and the
 * rule; run against the same wrapper without a defect, it must pass.
 */
class KitCatchesBrokenBackendsTest {
    private static final Pattern RULE = Pattern.compile(
            "\\{\"id\": \"(R\\d\\d)\"[^}]*?\"status\": \"(\\w+)\"[^}]*?\"reason\": \"((?:[^\"\\\\]|\\\\.)*)\"}");

    @ParameterizedTest(name = "{0} is failed at its rule")
    @EnumSource(value = Defect.class, mode = EnumSource.Mode.EXCLUDE, names = "NONE")
    void eachDefectIsFailedAtTheRuleThatNamesIt(Defect defect, @TempDir Path reports) throws IOException {
        Map<String, String[]> rules = runKit(defect, defect.rule, reports);

        String[] result = rules.get(defect.rule);
        assertThat(result[0]).as("kit verdict on %s for %s", defect, defect.rule).isEqualTo("FAILED");
        assertThat(result[1]).as("failure message of %s names the backend and the rule", defect)
                .contains("[" + defect.backendName() + "] " + defect.rule);
    }

    @Test
    void theWrapperWithoutADefectPassesTheWholeKit(@TempDir Path reports) throws IOException {
        Map<String, String[]> rules = runKit(Defect.NONE, null, reports);

        assertThat(rules).hasSize(20);
        rules.forEach((rule, result) -> assertThat(result[0]).as("%s on the unbroken wrapper: %s", rule, result[1])
                .isIn("PASSED", "SKIPPED"));
        assertThat(rules.get("R01")[0]).isEqualTo("PASSED");
    }

    private static Map<String, String[]> runKit(Defect defect, String onlyRule, Path reports) throws IOException {
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
        String json = Files.readString(reports.resolve("report.json"), StandardCharsets.UTF_8);
        assertThat(json).contains("\"backend\": \"" + defect.backendName() + "\"");
        Map<String, String[]> rules = new TreeMap<>();
        Matcher m = RULE.matcher(json);
        while (m.find()) {
            rules.put(m.group(1), new String[] {m.group(2), m.group(3)});
        }
        return rules;
    }
}
