package dev.omnibus.tck;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link BrokerLog} on a file of its own, without a child process. */
class BrokerLogTest {
    @TempDir
    Path dir;

    private static void append(Path file, String text) throws Exception {
        Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    @Test
    void sinceStartIsWhatFollowsTheLatestMarker() throws Exception {
        BrokerLog log = new BrokerLog(dir.resolve("b.log"));
        assertThat(log.sinceStart()).as("before the first start").isEmpty();
        log.markStart(1, List.of("server", "--port", "1"));
        append(log.file(), "first run ready\n");
        assertThat(log.sinceStart()).isEqualTo("first run ready\n");
        log.markStart(2, List.of("server", "--port", "1"));
        assertThat(log.sinceStart()).isEmpty();
        append(log.file(), "second run\n");
        assertThat(log.sinceStart()).isEqualTo("second run\n");
        assertThat(Files.readString(log.file())).startsWith("[BrokerProcess] start 1 at ")
                .contains(": server --port 1\nfirst run ready\n[BrokerProcess] start 2 at ");
    }

    @Test
    void theTailIsTheLastLinesAndAMissingLogIsSaidSo() throws Exception {
        Path file = dir.resolve("step.log");
        assertThat(BrokerLog.tail(file, 3)).isEqualTo("(no log: " + file + " does not exist)");
        append(file, IntStream.rangeClosed(1, 100).mapToObj(i -> "line " + i).collect(Collectors.joining("\n")));
        assertThat(BrokerLog.tail(file, 3)).isEqualTo("line 98\nline 99\nline 100");
        BrokerLog log = new BrokerLog(file);
        assertThat(log.describe(List.of("a", "b"))).startsWith("\ncommand: a b\nlog (" + file + "), last lines:\n")
                .endsWith("line 100").doesNotContain("line 60\n");
    }
}
