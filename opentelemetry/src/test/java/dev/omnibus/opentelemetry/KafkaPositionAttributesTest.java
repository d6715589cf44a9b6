package dev.omnibus.opentelemetry;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kafka span attributes taken from Omnibus' Kafka positions ({@code <partition>:<offset>}), on real SDK spans.
 * (Spans on a running Kafka broker are not tested here: this module's broker tests run on memory and Redis.)
 */
class KafkaPositionAttributesTest {
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final SdkTracerProvider provider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    private final Tracer tracer = provider.get("test");

    @AfterEach
    void close() {
        provider.close();
    }

    private SpanData spanWith(String system, String position) {
        Span span = tracer.spanBuilder("s").startSpan();
        OmnibusTracing.kafkaPosition(system, position, span);
        span.end();
        return exporter.getFinishedSpanItems().get(exporter.getFinishedSpanItems().size() - 1);
    }

    @Test
    void aKafkaPositionBecomesThePartitionAndOffsetAttributes() {
        SpanData s = spanWith("kafka", "3:42");
        assertThat(s.getAttributes().get(OmnibusTracing.PARTITION)).as("messaging.destination.partition.id")
                .isEqualTo("3");
        assertThat(s.getAttributes().get(OmnibusTracing.KAFKA_OFFSET)).as("messaging.kafka.offset").isEqualTo(42L);
    }

    @Test
    void otherSystemsAndOtherShapesGetNoKafkaAttributes() {
        for (String[] c : new String[][] {{"redis", "3:42"}, {"kafka", "1700000000000-0"}, {"kafka", ":42"},
                {"kafka", "3:"}, {"kafka", "x:42"}, {"kafka", "3:x"}}) {
            SpanData s = spanWith(c[0], c[1]);
            assertThat(s.getAttributes().get(OmnibusTracing.PARTITION)).as("partition for %s %s", c[0], c[1])
                    .isNull();
            assertThat(s.getAttributes().get(OmnibusTracing.KAFKA_OFFSET)).as("offset for %s %s", c[0], c[1])
                    .isNull();
        }
    }
}
