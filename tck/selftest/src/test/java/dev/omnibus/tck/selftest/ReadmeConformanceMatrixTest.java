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
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's conformance matrix is the one the kit's reports of this build generate. The reactor builds every
 * backend module before this one, so their {@code target/omnibus-tck/report.json} are there.
 */
class ReadmeConformanceMatrixTest {
    private static final Path ROOT = Path.of("../..");

    @Test
    void theReadmeMatrixMatchesTheReportsOfThisBuild() throws IOException {
        List<TckReport> reports = new ArrayList<>();
        List<String> paths = new ArrayList<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path module : (Iterable<Path>) modules.sorted()::iterator) {
                Path report = module.resolve("target/omnibus-tck/report.json");
                if (module.getFileName().toString().startsWith("backend-") && Files.exists(report)) {
                    reports.add(TckReport.read(report));
                    paths.add(ROOT.relativize(report).toString());
                }
            }
        }
        assertThat(reports).as("reports of backend modules built before this one").isNotEmpty();
        String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        assertThat(ConformanceMatrix.section(readme))
                .as("README conformance matrix is stale; regenerate it with:%n  java -cp tck/target/classes "
                        + "dev.omnibus.tck.ConformanceMatrix README.md %s", String.join(" ", paths))
                .isEqualTo(ConformanceMatrix.render(reports));
    }
}
