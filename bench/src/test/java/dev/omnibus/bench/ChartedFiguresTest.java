package dev.omnibus.bench;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README and bench/README describe the run the chart shows: they name the commit in {@code figures.json} and
 * count the cells that meet their targets as the chart colours them. If this fails after {@code figures.sh} wrote new
 * figures, update the chart's paragraph in README.md ("bench/figures.sh runs them all") and the section "One run of
 * every figure" in bench/README.md: commit, counts, and the figures they quote.
 */
class ChartedFiguresTest {
    private static final Path FIGURES = Path.of("figures", "figures.json");
    private static final Path BENCH_README = Path.of("README.md");
    private static final Path README = Path.of("..", "README.md");

    @Test
    void readmesNameTheChartedCommit() throws IOException {
        String commit = charted().get("commit").asText();
        assertThat(chartParagraph()).as("README's chart paragraph").contains("commit " + commit);
        assertThat(oneRunSection()).as("bench/README's 'One run of every figure'").contains("commit " + commit);
    }

    @Test
    void readmesCountTheCellsThatMeetTheirTargets() throws IOException {
        List<Figures.Throughput> throughput = new ArrayList<>();
        List<Figures.Latency> latency = new ArrayList<>();
        for (JsonNode source : charted().get("sources")) {
            if (source.has("ratios")) {
                Figures.readThroughput(source, throughput);
            } else {
                Figures.readLatency(source, latency);
            }
        }
        List<Figures.Throughput> raw = throughput.stream().filter(t -> !t.tracing()).toList();
        long fast = raw.stream().filter(t -> t.ratio() >= Figures.THROUGHPUT_TARGET).count();
        long tight = latency.stream().filter(l -> l.ratio() <= Figures.LATENCY_TARGET).count();
        String throughputCount = "At or above 0.95 of raw, " + fast + " of " + raw.size() + " cells";
        String latencyCount = "within 1.2× of raw in " + tight + " of " + latency.size() + " cells";
        assertThat(raw).isNotEmpty();
        assertThat(latency).isNotEmpty();
        assertThat(flat(chartParagraph())).contains(throughputCount, latencyCount);
        assertThat(flat(oneRunSection())).contains(throughputCount, latencyCount);
    }

    private static JsonNode charted() throws IOException {
        return Machine.JSON.readTree(FIGURES.toFile());
    }

    private static String chartParagraph() throws IOException {
        String readme = Files.readString(README);
        int start = readme.indexOf("`bench/figures.sh` runs them all");
        assertThat(start).as("README's chart paragraph").isNotNegative();
        // the paragraph above the chart, the chart, and the paragraph below it
        int below = readme.indexOf("\n\n", readme.indexOf("figures.svg)", start)) + 2;
        return readme.substring(start, readme.indexOf("\n\n", below));
    }

    private static String oneRunSection() throws IOException {
        String bench = Files.readString(BENCH_README);
        int start = bench.indexOf("## One run of every figure");
        assertThat(start).as("bench/README's 'One run of every figure'").isNotNegative();
        return bench.substring(start, bench.indexOf("\n### ", start));
    }

    /** Line breaks as spaces: the sentences are wrapped. */
    private static String flat(String text) {
        return text.replace('\n', ' ');
    }
}
