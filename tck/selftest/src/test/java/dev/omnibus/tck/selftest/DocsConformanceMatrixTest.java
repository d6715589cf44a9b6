package dev.omnibus.tck.selftest;

import dev.omnibus.tck.ConformanceMatrix;
import dev.omnibus.tck.TckReport;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The conformance matrix of {@code docs/conformance.md} is the one the kit's reports of this build generate: one
 * column per backend module of the reactor (the parent POM's modules), each built before this module. Figures (R23's
 * counts and times) are compared by name, not value: they are the measurements of the run that generated the page.
 */
class DocsConformanceMatrixTest {
    private static final Path ROOT = Path.of("../..");
    private static final Path PAGE = Path.of("docs/conformance.md");
    private static final Pattern BACKEND_MODULE = Pattern.compile("<module>(backend-[^<]+)</module>");

    @Test
    void theMatrixMatchesTheReportsOfThisBuild() throws IOException {
        List<TckReport> reports = new ArrayList<>();
        List<String> paths = new ArrayList<>();
        Matcher module = BACKEND_MODULE.matcher(Files.readString(ROOT.resolve("pom.xml"), StandardCharsets.UTF_8));
        while (module.find()) {
            Path report = ROOT.resolve(module.group(1)).resolve("target/omnibus-tck/report.json");
            assertThat(report).as("kit report of reactor module %s (built before this module)", module.group(1))
                    .exists();
            reports.add(TckReport.read(report));
            paths.add(ROOT.relativize(report).toString());
        }
        assertThat(reports).as("reports of backend modules built before this one").isNotEmpty();
        String page = Files.readString(ROOT.resolve(PAGE), StandardCharsets.UTF_8);
        String section = ConformanceMatrix.section(page);
        assertThat(section).as("%s has no generated conformance matrix", PAGE).isNotNull();
        // Verdicts, skip reasons and which figures were measured must match this build; the figures' values are
        // measurements of the run that generated the page (R23's duplicates and resume time) and vary by run, and the
        // brokers' versions are those of the machine that generated it.
        assertThat(ConformanceMatrix.comparable(section))
                .as("the conformance matrix of %s is stale; regenerate it with:%n  java -cp tck/target/classes "
                        + "dev.omnibus.tck.ConformanceMatrix %s %s", PAGE, PAGE, String.join(" ", paths))
                .isEqualTo(ConformanceMatrix.comparable(ConformanceMatrix.render(reports)));
    }
}
