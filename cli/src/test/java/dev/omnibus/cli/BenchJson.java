package dev.omnibus.cli;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks of {@code omnibus bench --json} output shared by the broker tests; stateless. */
final class BenchJson {
    private BenchJson() {
    }

    /**
     * Asserts that a one-size bench on {@code backend} completed: every throughput event confirmed and received, the
     * latency phase's {@code latencyEvents} sent and received, percentiles in order.
     */
    static void assertComplete(Cli.Result result, String backend, int latencyEvents) {
        assertThat(result.exitCode()).as(result.err()).isZero();
        Map<String, Object> json = JsonText.object(result.out());
        assertThat(json).containsEntry("backend", backend).containsEntry("complete", true);
        Map<?, ?> only = (Map<?, ?>) ((List<?>) json.get("results")).get(0);
        Map<?, ?> throughput = (Map<?, ?>) only.get("throughput");
        assertThat(number(throughput, "confirmed")).isPositive().isEqualTo(number(throughput, "sent"))
                .isEqualTo(number(throughput, "received"));
        assertThat(number(throughput, "publish_events_per_second")).isPositive();
        assertThat(number(throughput, "consume_events_per_second")).isPositive();
        Map<?, ?> latency = (Map<?, ?>) only.get("latency");
        assertThat(number(latency, "sent")).isEqualTo(latencyEvents);
        assertThat(number(latency, "received")).isEqualTo(latencyEvents);
        assertThat(number(latency, "p50_ms")).isPositive().isLessThanOrEqualTo(number(latency, "p90_ms"));
        assertThat(number(latency, "p90_ms")).isLessThanOrEqualTo(number(latency, "p99_ms"));
        assertThat(number(latency, "p99_ms")).isLessThanOrEqualTo(number(latency, "p99_9_ms"));
        assertThat(number(latency, "p99_9_ms")).isLessThanOrEqualTo(number(latency, "max_ms"));
    }

    private static double number(Map<?, ?> object, String key) {
        assertThat(object.get(key)).as(key + " in " + object).isInstanceOf(BigDecimal.class);
        return ((BigDecimal) object.get(key)).doubleValue();
    }
}
