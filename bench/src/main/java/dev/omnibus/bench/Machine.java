package dev.omnibus.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.stream.Stream;

/**
 * When and on what a figure was measured, for the JSON files the benchmark tools write: the date, cores, CPU model
 * (from {@code /proc/cpuinfo} where there is one), operating system and JVM. Nothing secret (no host name, user or
 * environment). Stateless and thread-safe.
 */
final class Machine {
    /** The mapper every benchmark tool writes and reads its JSON with. */
    static final ObjectMapper JSON = new ObjectMapper();

    private Machine() {
    }

    /** A new JSON object holding {@code date} (now, UTC, to the second) and {@code machine}. */
    static ObjectNode stamped() {
        ObjectNode file = JSON.createObjectNode();
        file.put("date", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        Runtime rt = Runtime.getRuntime();
        file.putObject("machine").put("cores", rt.availableProcessors()).put("cpu", cpu())
                .put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"))
                .put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"))
                .put("maxHeapMiB", rt.maxMemory() >> 20);
        return file;
    }

    /** Writes {@code file} to {@code path}, indented. */
    static void write(ObjectNode file, Path path) throws IOException {
        Files.writeString(path, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(file) + "\n");
    }

    private static String cpu() {
        Path info = Path.of("/proc/cpuinfo");
        if (Files.isReadable(info)) {
            try (Stream<String> lines = Files.lines(info)) {
                return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                        .findFirst().orElse("unknown");
            } catch (IOException | RuntimeException e) {
                return "unknown";
            }
        }
        return "unknown";
    }
}
