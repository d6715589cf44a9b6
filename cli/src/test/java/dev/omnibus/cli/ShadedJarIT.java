package dev.omnibus.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shaded jar, {@code target/omnibus-cli.jar}, run as {@code ./omnibus} runs it ({@code java -jar}): the service
 * files of every module are merged, so ServiceLoader finds every backend and the JUnit engine the kit runs on. Runs
 * after the package phase (see the module's pom).
 */
class ShadedJarIT {
    private static final Path JAR = Path.of("target/omnibus-cli.jar");

    private record Run(int exitCode, String out, String err) {
    }

    private static Run java(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", JAR.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("java -jar " + String.join(" ", args) + " did not end within 60 s");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void everyBackendIsFoundByItsScheme(@TempDir Path dir) throws Exception {
        Run run = java(dir, "publish", "--url", "foo://x", "--topic", "t");

        assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
        assertThat(run.err()).contains(
                "installed backends: amqp, amqps, gcppubsub, jetstream, kafka, mem, nats, redis, rediss");
    }

    @Test
    void theKitRunsFromTheJar(@TempDir Path dir) throws Exception {
        Run run = java(dir, "tck", "--url", "mem://", "--rules", "R01,R17");

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains("R01 PASSED  round trip", "R17 SKIPPED broker restart mid-stream: mem: the kit "
                + "did not start this broker");
        assertThat(dir.resolve("omnibus-tck/report-partial.json")).isRegularFile();
        assertThat(dir.resolve("omnibus-tck/report-partial.md")).isRegularFile();
    }
}
