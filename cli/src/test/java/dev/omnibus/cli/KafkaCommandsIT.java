package dev.omnibus.cli;

import dev.omnibus.kafka.KafkaHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code tck} and {@code bench} against a real Kafka broker (KRaft, a child JVM started once for the class by the
 * Kafka kit's own harness): to both, a broker they did not start.
 */
class KafkaCommandsIT {
    private static final KafkaHarness KAFKA = new KafkaHarness();

    @BeforeAll
    static void startKafka() throws Exception {
        KAFKA.start();
    }

    @AfterAll
    static void stopKafka() throws Exception {
        KAFKA.stop();
    }

    @Test
    void tckRunsItsRulesAgainstABrokerItDidNotStart(@TempDir Path dir) {
        Cli.Result result = Cli.run("tck", "--url", KAFKA.url(), "--rules", "R01,R06,R17", "--report",
                dir.toString());

        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        List<String> progress = result.out().lines().filter(l -> l.matches("R\\d\\d .*")).toList();
        assertThat(progress).as(result.out()).hasSize(3);
        assertThat(progress).filteredOn(l -> l.matches("R(01|06) PASSED  .*")).hasSize(2);
        assertThat(progress).contains("R17 SKIPPED broker restart mid-stream: kafka: the kit did not start this "
                + "broker, so it cannot restart it (kill -9) or cut its connections");
        assertThat(dir.resolve("report-partial.json")).exists();
    }

    @Test
    void benchMeasuresEveryEventItPublished() {
        Cli.Result result = Cli.run("bench", "--url", KAFKA.url(), "--size", "100", "--duration", "1s",
                "--warmup", "500ms", "--rate", "200", "--json");

        // latency events due at 0, 5, ... 995 ms
        BenchJson.assertComplete(result, "kafka", 200);
    }
}
