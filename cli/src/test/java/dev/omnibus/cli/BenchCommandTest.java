package dev.omnibus.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code omnibus bench} on the in-process broker: short runs, checking the shape and consistency of the results. */
class BenchCommandTest {
    @Test
    void printsATableWithBothPhasesAndAProgressLineWhenAsked() {
        Cli.Result result = Cli.run("bench", "--url", "mem://", "--size", "100", "--duration", "1500ms",
                "--warmup", "100ms", "--rate", "200", "--progress");

        assertThat(result.exitCode()).as(result.err()).isZero();
        List<String> lines = result.out().lines().toList();
        assertThat(lines.get(0)).matches("omnibus bench on memory, run [0-9a-f]{8}, 1\\.5s per phase");
        assertThat(lines).contains(
                "throughput: publishing flat out, at most 1000 unconfirmed; one subscription consuming and acking",
                "latency: publish to handler at 200 events/s, from the intended send time (ms)");
        // sent at 200/s for 1.5 s: events due at 0, 5, ... 1495 ms, all confirmed and received
        String latencyRow = "\\s+100 B\\s+300\\s+300\\s+300(\\s+\\d+\\.\\d{3}){6}";
        // size, confirmed, failed 0, publish/s, MB/s, received, duplicates 0, consume/s, MB/s
        String throughputRow = "\\s+100 B\\s+\\d+\\s+0\\s+\\d+\\s+[\\d.]+\\s+\\d+\\s+0\\s+\\d+\\s+[\\d.]+";
        assertThat(lines).anySatisfy(line -> assertThat(line).matches(latencyRow));
        assertThat(lines).anySatisfy(line -> assertThat(line).matches(throughputRow));
        // not a terminal: a progress line per second of each phase (the first at 1 s), each on a line of its own
        assertThat(result.err().lines()).anySatisfy(line -> assertThat(line).matches("\\s+100 B throughput\\s+"
                + "(1s/1\\.5s|draining)\\s+published \\d+ \\(\\d+/s\\)\\s+received \\d+ \\(\\d+/s\\)"));
        assertThat(result.err().lines()).anySatisfy(line -> assertThat(line).matches("\\s+100 B latency\\s+"
                + "(1s/1\\.5s|draining)\\s+sent \\d+\\s+received \\d+\\s+p99 ([\\d.]+|-) ms \\(last second\\)"));
        assertThat(result.err()).doesNotContain("\r");
    }

    @Test
    void jsonHasEverySizeWithConsistentCountsAndOrderedPercentiles() {
        Cli.Result result = Cli.run("bench", "--url", "mem://", "--size", "100,1024", "--duration", "300ms",
                "--warmup", "100ms", "--rate", "500", "--json");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.err()).as("no progress line unless stderr is a terminal").isEmpty();
        assertThat(result.out().lines()).hasSize(1);
        Map<String, Object> json = JsonText.object(result.out());
        assertThat(json).containsEntry("backend", "memory").containsEntry("complete", true)
                .containsEntry("rate", new BigDecimal(500)).containsEntry("in_flight", new BigDecimal(1000))
                .containsKeys("run", "topic_prefix", "duration_seconds");
        assertThat((String) json.get("topic_prefix")).isEqualTo("omnibus-bench." + json.get("run"));
        List<?> results = (List<?>) json.get("results");
        assertThat(results).hasSize(2);
        for (int i = 0; i < 2; i++) {
            Map<?, ?> entry = (Map<?, ?>) results.get(i);
            int size = List.of(100, 1024).get(i);
            assertThat(number(entry, "size")).isEqualTo(size);

            Map<?, ?> t = (Map<?, ?>) entry.get("throughput");
            assertThat(number(t, "confirmed")).isPositive().isEqualTo(number(t, "sent"))
                    .isEqualTo(number(t, "received"));
            assertThat(number(t, "failed")).isZero();
            assertThat(number(t, "duplicates")).isZero();
            // the JSON rounds to 3 decimals: the rate is checked to 1 %
            assertThat(number(t, "publish_events_per_second")).isCloseTo(
                    number(t, "confirmed") / number(t, "publish_seconds"),
                    within(1.0 + 0.01 * number(t, "publish_events_per_second")));
            assertThat(number(t, "publish_mb_per_second"))
                    .isCloseTo(number(t, "publish_events_per_second") * size / 1e6, within(0.01));
            assertThat(number(t, "consume_mb_per_second"))
                    .isCloseTo(number(t, "consume_events_per_second") * size / 1e6, within(0.01));
            assertThat(number(t, "publish_seconds")).isBetween(0.3, 30.0);

            Map<?, ?> l = (Map<?, ?>) entry.get("latency");
            // events due at 0, 2, ... 298 ms
            assertThat(number(l, "sent")).isEqualTo(150);
            assertThat(number(l, "confirmed")).isEqualTo(150);
            assertThat(number(l, "received")).isEqualTo(150);
            assertThat(number(l, "failed")).isZero();
            assertThat(number(l, "p50_ms")).isPositive()
                    .isLessThanOrEqualTo(number(l, "p90_ms"));
            assertThat(number(l, "p90_ms")).isLessThanOrEqualTo(number(l, "p99_ms"));
            assertThat(number(l, "p99_ms")).isLessThanOrEqualTo(number(l, "p99_9_ms"));
            assertThat(number(l, "p99_9_ms")).isLessThanOrEqualTo(number(l, "max_ms"));
            assertThat(number(l, "mean_ms")).isPositive().isLessThanOrEqualTo(number(l, "max_ms"));
        }
    }

    @Test
    void exitsThreeWhenSomePublishesAreNotConfirmed(@TempDir Path dir) throws Exception {
        Cli.Result[] result = new Cli.Result[1];
        // every event whose index ends in 9 fails: a tenth of each phase
        LossyBackendProvider.installed(dir, () -> result[0] = Cli.run("bench", "--url", "lossy://", "--size", "100",
                "--duration", "200ms", "--warmup", "50ms", "--rate", "100", "--json"));

        assertThat(result[0].exitCode()).as(result[0].err()).isEqualTo(3);
        Map<String, Object> json = JsonText.object(result[0].out());
        assertThat(json).containsEntry("backend", "lossy").containsEntry("complete", false);
        Map<?, ?> latency = (Map<?, ?>) ((Map<?, ?>) ((List<?>) json.get("results")).get(0)).get("latency");
        // due at 0, 10, ... 190 ms; 9 and 19 fail
        assertThat(number(latency, "sent")).isEqualTo(20);
        assertThat(number(latency, "failed")).isEqualTo(2);
        assertThat(number(latency, "confirmed")).isEqualTo(18);
        assertThat(number(latency, "received")).isEqualTo(18);
        Map<?, ?> throughput = (Map<?, ?>) ((Map<?, ?>) ((List<?>) json.get("results")).get(0)).get("throughput");
        assertThat(number(throughput, "failed")).isPositive();
        assertThat(number(throughput, "confirmed") + number(throughput, "failed"))
                .isEqualTo(number(throughput, "sent"));
        assertThat(result[0].err()).matches("omnibus: \\d+ publishes not confirmed, 0 confirmed events not received; "
                + "first failure: \\[INTERNAL\\] lossy: event \\d*9 dropped on purpose\\R");
    }

    static Stream<Arguments> rejectsBadInput() {
        return Stream.of(
                Arguments.of(new String[] {"--size", "0"}, "--size must be from 1 to 16777216 bytes, was 0"),
                Arguments.of(new String[] {"--size", "100,x"}, "Invalid value for option '--size'"),
                Arguments.of(new String[] {"--rate", "0"}, "--rate must be from 1 to 1000000 events per second, was 0"),
                Arguments.of(new String[] {"--in-flight", "0"}, "--in-flight must be from 1 to 100000, was 0"),
                Arguments.of(new String[] {"--duration", "soon"}, "'soon' is not a duration"));
    }

    @ParameterizedTest
    @MethodSource
    void rejectsBadInput(String[] options, String message) {
        String[] args = Stream.concat(Stream.of("bench", "--url", "mem://"), Stream.of(options))
                .toArray(String[]::new);

        Cli.Result result = Cli.run(args);

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("omnibus: ").contains(message);
        assertThat(result.out()).isEmpty();
    }

    private static double number(Map<?, ?> object, String key) {
        assertThat(object.get(key)).as(key + " in " + object).isInstanceOf(BigDecimal.class);
        return ((BigDecimal) object.get(key)).doubleValue();
    }
}
