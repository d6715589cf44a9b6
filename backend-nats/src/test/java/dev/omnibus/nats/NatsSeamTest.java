package dev.omnibus.nats;

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
 * The seam between the NATS backends is declared and kept: {@code dev.omnibus.nats.shared} is used by
 * {@code backend-nats} and {@code backend-jetstream} only, and {@code dev.omnibus.nats.internal} by
 * {@code backend-nats} only. Reads the sources of every module of the repository.
 */
class NatsSeamTest {
    private static final Path ROOT = Path.of("..");

    @Test
    void onlyTheNatsBackendsUseTheSeamAndOnlyNatsCoreItsInternals() throws IOException {
        List<String> misuse = new ArrayList<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path module : (Iterable<Path>) modules.filter(Files::isDirectory)::iterator) {
                String name = module.getFileName().toString();
                for (Path source : sources(module)) {
                    String text = Files.readString(source, StandardCharsets.UTF_8);
                    if (!name.equals("backend-nats") && text.contains("dev.omnibus.nats.internal")) {
                        misuse.add(ROOT.relativize(source) + " uses dev.omnibus.nats.internal (NATS core's own)");
                    }
                    if (!name.equals("backend-nats") && !name.equals("backend-jetstream")
                            && text.contains("dev.omnibus.nats.shared")) {
                        misuse.add(ROOT.relativize(source) + " uses dev.omnibus.nats.shared (the NATS backends' seam)");
                    }
                }
            }
        }
        assertThat(misuse).as("sources reaching into the NATS backends").isEmpty();
        assertThat(ROOT.resolve("backend-nats/src/main/java/dev/omnibus/nats/shared/package-info.java"))
                .as("the seam is documented").exists();
    }

    /** The module's Java sources, nested modules' included (tck/selftest), build output excluded. */
    private static List<Path> sources(Path module) throws IOException {
        try (Stream<Path> files = Files.walk(module)) {
            return files.filter(p -> p.toString().endsWith(".java") && !p.toString().contains("/target/"))
                    .toList();
        }
    }
}
