package dev.omnibus.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Figures} on a small run's files: every cell becomes a bar labelled with its ratio, coloured by whether it
 * meets its target, and {@code figures.json} keeps the inputs. If this fails after a change to {@link BenchRatios}' or
 * {@link LatencyRatios}' JSON, check that {@link Figures} reads the same field names.
 */
class FiguresTest {
    private static final String MACHINE = "{\"cores\": 2, \"cpu\": \"test cpu\", \"os\": \"Linux\", \"java\": \"17\", "
            + "\"maxHeapMiB\": 1024}";

    @Test
    void drawsEveryCellAgainstItsTarget(@TempDir Path dir) throws Exception {
        Path throughput = dir.resolve("throughput-KafkaBenchmark.json");
        Files.writeString(throughput, "{\"benchmark\": \"KafkaBenchmark\", \"command\": \"KafkaBenchmark -f 2\", "
                + "\"date\": \"2026-12-04T11:00:00Z\", \"machine\": " + MACHINE + ", \"ratios\": ["
                + "{\"kind\": \"raw\", \"operation\": \"consume\", \"params\": \"dataBytes=1000\", \"baseline\": 300000, "
                + "\"baselineError\": 30000, \"measured\": 240000, \"measuredError\": 24000, \"ratio\": 0.8, "
                + "\"forkRatios\": [0.75, 0.85]},"
                + "{\"kind\": \"raw\", \"operation\": \"publish\", \"params\": \"dataBytes=100\", \"baseline\": 100000, "
                + "\"baselineError\": 0, \"measured\": 98000, \"measuredError\": 0, \"ratio\": 0.98},"
                + "{\"kind\": \"tracing\", \"operation\": \"publish\", \"params\": \"dataBytes=100\", "
                + "\"baseline\": 98000, \"baselineError\": 0, \"measured\": 90000, \"measuredError\": 0, "
                + "\"ratio\": 0.918},"
                // context, not a target cell: left out of the chart
                + "{\"kind\": \"sdk\", \"operation\": \"consume\", \"params\": \"dataBytes=100\", "
                + "\"baseline\": 418000, \"baselineError\": 0, \"measured\": 485000, \"measuredError\": 0, "
                + "\"ratio\": 1.16}]}");
        Path latency = dir.resolve("latency.json");
        Files.writeString(latency, "{\"date\": \"2026-12-04T11:30:00Z\", \"machine\": " + MACHINE + ", "
                + "\"settings\": {}, \"latency\": ["
                + "{\"backend\": \"nats\", \"client\": \"raw\", \"rate\": 10000, \"maxRate\": 300000, \"sent\": 100, "
                + "\"lost\": 0, \"p50us\": 100, \"p90us\": 150, \"p99us\": 1000, \"p999us\": 2000, \"maxus\": 3000},"
                + "{\"backend\": \"nats\", \"client\": \"omnibus\", \"rate\": 10000, \"maxRate\": 300000, "
                + "\"sent\": 100, \"lost\": 0, \"p50us\": 110, \"p90us\": 160, \"p99us\": 1500, \"p999us\": 2500, "
                + "\"maxus\": 3500}], \"notes\": []}");
        Path out = dir.resolve("figures");

        Figures.main(new String[] {out.toString(), "abc1234", throughput.toString(), latency.toString()});

        String svg = Files.readString(out.resolve("figures.svg"));
        assertThat(svg).startsWith("<svg").endsWith("</svg>\n")
                .contains("Kafka consume 1000 B", "0.80", "Kafka publish 100 B", "0.98", "nats at 10.0 k/s", "1.50",
                        "commit abc1234", "test cpu")
                .doesNotContain("Kafka consume 100 B", "1.16");
        // 0.80 and the latency's 1.50 miss their targets, 0.98 and tracing's 0.92 meet theirs
        assertThat(count(svg, "#e08a00")).isEqualTo(2);
        assertThat(count(svg, "#4c9a2a")).isEqualTo(2);
        // one dot per fork pair where the file has them (older files have none): 0.75 and 0.85 of 1.5 x 420 px
        assertThat(count(svg, "<circle")).isEqualTo(2);
        assertThat(svg).contains("cx=\"460.0\"", "cx=\"488.0\"");
        JsonNode merged = new ObjectMapper().readTree(out.resolve("figures.json").toFile());
        assertThat(merged.get("commit").asText()).isEqualTo("abc1234");
        assertThat(merged.get("sources")).hasSize(2);
    }

    private static int count(String s, String part) {
        int n = 0;
        for (int i = s.indexOf(part); i >= 0; i = s.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
