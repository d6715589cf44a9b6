package dev.omnibus.tck;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The log file of a {@link BrokerProcess}: each start appends a marker line, then the child appends its output. Reads
 * what was logged since the latest marker (what {@link BrokerProcess.Probe#logShows} looks at) and the last lines of
 * a log for failure messages. Thread-safe: the marker is written by the starting thread under the broker's lock, and
 * the offset it leaves is volatile, so a probe or a test on any thread reads from the latest start.
 */
final class BrokerLog {
    /** How much of the end of a log a tail reads: enough for {@link BrokerProcess#TAIL_LINES} long lines. */
    private static final int TAIL_BYTES = 64 * 1024;

    private final Path file;
    private volatile long startOffset;

    BrokerLog(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** Appends {@code [BrokerProcess] start N at <time>: <command>}; what follows is the latest start's. */
    void markStart(int start, List<String> command) throws IOException {
        Files.writeString(file, "[BrokerProcess] start " + start + " at " + Instant.now() + ": "
                + String.join(" ", command) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        startOffset = Files.size(file);
    }

    /** What was logged after the latest marker ({@code ""} before the first); UTF-8, malformed bytes replaced. */
    String sinceStart() throws IOException {
        if (!Files.exists(file)) {
            return "";
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long from = Math.min(startOffset, f.length());
            byte[] bytes = new byte[(int) Math.min(Integer.MAX_VALUE - 8, f.length() - from)];
            f.seek(from);
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /** A failure message's context: the command line and this log's last {@link BrokerProcess#TAIL_LINES} lines. */
    String describe(List<String> command) {
        return "\ncommand: " + String.join(" ", command) + "\nlog (" + file + "), last lines:\n"
                + tail(file, BrokerProcess.TAIL_LINES);
    }

    /** The last {@code lines} lines of {@code file}, or a note saying why there are none; never throws. */
    static String tail(Path file, int lines) {
        if (!Files.exists(file)) {
            return "(no log: " + file + " does not exist)";
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long from = Math.max(0, f.length() - TAIL_BYTES);
            byte[] bytes = new byte[(int) (f.length() - from)];
            f.seek(from);
            f.readFully(bytes);
            List<String> all = new String(bytes, StandardCharsets.UTF_8).lines().collect(Collectors.toList());
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }
}
