package dev.omnibus.bench;

import dev.omnibus.Config;
import dev.omnibus.micrometer.OmnibusMetrics;
import dev.omnibus.opentelemetry.OmnibusTracing;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;

import java.util.Collection;

/**
 * The "metrics + tracing" set-up every instrumentation benchmark uses: {@link OmnibusMetrics} on a
 * {@link SimpleMeterRegistry} and {@link OmnibusTracing} on an OpenTelemetry SDK that samples every span (the SDK's
 * default sampler, parent-based always-on) through a {@link BatchSpanProcessor} into an exporter that discards them:
 * what is measured is making, ending and queueing spans, not shipping them. {@link #close()} shuts the SDK down. Not
 * thread-safe to close twice; the instrumentation itself is used from any thread.
 */
final class BenchTracing implements AutoCloseable {
    private final SdkTracerProvider tracerProvider;

    private BenchTracing(SdkTracerProvider tracerProvider) {
        this.tracerProvider = tracerProvider;
    }

    /** Adds metrics and tracing to {@code config}; close the result after the connection. */
    static BenchTracing metricsAndTracing(Config.Builder config) {
        BenchTracing tracing = sdk();
        config.instrumentation(OmnibusTracing.of(tracing.openTelemetry()));
        config.instrumentation(OmnibusMetrics.of(new SimpleMeterRegistry()));
        return tracing;
    }

    /** The tracing SDK alone, set up as {@link #metricsAndTracing} sets it up; close it when done. */
    static BenchTracing sdk() {
        return new BenchTracing(SdkTracerProvider.builder()
                .addSpanProcessor(BatchSpanProcessor.builder(new Discard()).setMaxQueueSize(1 << 20).build())
                .build());
    }

    /** An {@link OpenTelemetrySdk} on this tracer provider. */
    OpenTelemetrySdk openTelemetry() {
        return OpenTelemetrySdk.builder().setTracerProvider(tracerProvider).build();
    }

    @Override
    public void close() {
        tracerProvider.close();
    }

    /** An exporter that drops every span. */
    private static final class Discard implements SpanExporter {
        @Override
        public CompletableResultCode export(Collection<SpanData> spans) {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
