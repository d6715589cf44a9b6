package dev.omnibus.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * What a figure was measured on, for the files the benchmark tools write: cores, CPU model (from
 * {@code /proc/cpuinfo} where there is one), operating system and JVM. Nothing secret (no host name, user or
 * environment). Stateless and thread-safe.
 */
final class Machine {
    private Machine() {
    }

    /** A JSON object describing this machine. */
    static String json() {
        Runtime rt = Runtime.getRuntime();
        return String.format(Locale.ROOT, "{\"cores\": %d, \"cpu\": %s, \"os\": %s, \"java\": %s, \"maxHeapMiB\": %d}",
                rt.availableProcessors(), quote(cpu()),
                quote(System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch")),
                quote(System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")),
                rt.maxMemory() >> 20);
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

    /** {@code s} as a JSON string literal. */
    static String quote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                q.append('\\').append(c);
            } else if (c < 0x20) {
                q.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                q.append(c);
            }
        }
        return q.append('"').toString();
    }
}
