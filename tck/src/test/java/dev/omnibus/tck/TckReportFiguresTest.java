package dev.omnibus.tck;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Figures (R23's measurements) through report.json, the matrix, and the matrix without their values. */
class TckReportFiguresTest {
    private static final String REPORT = report("PASSED", 12, 1940);

    /** A report of every catalogued rule, passed, with R23 as given. */
    private static String report(String r23, long duplicates, long resumeMillis) {
        StringBuilder json = new StringBuilder("{\n  \"backend\": \"kafka\",\n  \"capabilities\": [\"AT_LEAST_ONCE\"],\n"
                + "  \"rules\": [");
        for (String id : RuleCatalogue.RULES.keySet()) {
            boolean r23Rule = id.equals("R23");
            json.append(id.equals("R01") ? "\n    " : ",\n    ").append("{\"id\": \"").append(id)
                    .append("\", \"title\": \"t\", \"status\": \"").append(r23Rule ? r23 : "PASSED")
                    .append("\", \"tests\": 1, \"passed\": 1, \"failed\": 0, \"skipped\": 0, \"reason\": ")
                    .append(r23Rule ? "\"a \\\"quoted\\\" {reason}\", \"figures\": {\"duplicates\": " + duplicates
                            + ", \"resumeMillis\": " + resumeMillis + "}}" : "\"\"}");
        }
        return json.append("\n  ]\n}\n").toString();
    }

    @Test
    void figuresAreReadBackWithTheirRuleAndRulesWithoutFiguresHaveNone() {
        TckReport report = TckReport.parse(REPORT);

        assertThat(report.rules()).hasSize(RuleCatalogue.RULES.size());
        assertThat(report.rule("R22").figures()).isEmpty();
        assertThat(report.rule("R23").figures()).containsExactly(Map.entry("duplicates", 12L),
                Map.entry("resumeMillis", 1940L));
        assertThat(report.rule("R23").reason()).isEqualTo("a \"quoted\" {reason}");
    }

    @Test
    void durationsAreShownInSecondsAndCountsAsTheyAre() {
        assertThat(TckReport.describeFigures(Map.of("duplicates", 12L, "resumeMillis", 1940L)))
                .isEqualTo("duplicates 12, resume 1.9 s");
    }

    @Test
    void theMatrixShowsFiguresInTheCellAndComparesWithoutTheirValues() {
        String matrix = ConformanceMatrix.render(List.of(TckReport.parse(REPORT)));
        assertThat(matrix).contains("| pass (duplicates 12, resume 1.9 s) |");

        String otherRun = ConformanceMatrix.render(List.of(TckReport.parse(report("PASSED", 3, 120))));
        assertThat(otherRun).isNotEqualTo(matrix);
        assertThat(ConformanceMatrix.withoutFigureValues(otherRun))
                .isEqualTo(ConformanceMatrix.withoutFigureValues(matrix))
                .contains("| pass (duplicates #, resume # s) |");

        String failed = ConformanceMatrix.render(List.of(TckReport.parse(report("FAILED", 12, 1940))));
        assertThat(ConformanceMatrix.withoutFigureValues(failed))
                .as("a verdict that changed is still a difference").isNotEqualTo(
                        ConformanceMatrix.withoutFigureValues(matrix));
    }

    @Test
    void aFigureNameMustSayWhatItIs() {
        assertThatThrownBy(() -> TckReporter.figure(TckReportFiguresTest.class, "R23", "Resume time", 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lower-case word");
    }
}
