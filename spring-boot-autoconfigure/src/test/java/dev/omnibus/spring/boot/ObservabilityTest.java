package dev.omnibus.spring.boot;

import dev.omnibus.Publisher;
import dev.omnibus.micrometer.OmnibusMetrics;
import dev.omnibus.opentelemetry.OmnibusTracing;
import dev.omnibus.spring.boot.autoconfigure.OmnibusAutoConfiguration;
import dev.omnibus.spring.boot.autoconfigure.OmnibusMetricsAutoConfiguration;
import dev.omnibus.spring.boot.autoconfigure.OmnibusTracingAutoConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * omnibus-micrometer reports to the application's MeterRegistry bean and omnibus-opentelemetry to its OpenTelemetry
 * bean; neither is bound without its bean or its module.
 */
class ObservabilityTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(OmnibusAutoConfiguration.class,
                    OmnibusMetricsAutoConfiguration.class, OmnibusTracingAutoConfiguration.class))
            .withPropertyValues("omnibus.url=mem://observability");

    @Test
    void publishesAreCountedInTheApplicationsRegistry() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        runner.withBean(MeterRegistry.class, () -> registry).run(context -> {
            assertThat(context).hasSingleBean(OmnibusMetrics.class).doesNotHaveBean(OmnibusTracing.class);
            context.getBean(Publisher.class).publish("metered", Events.json("m-1", "{}")).toCompletableFuture().join();
            assertThat(registry.get("omnibus.published").tag("topic", "metered").counter().count()).isEqualTo(1.0);
            assertThat(registry.get("omnibus.connection.state").tag("state", "CONNECTED").gauge().value())
                    .isEqualTo(1.0);
        });
    }

    @Test
    void publishesAreTracedWithTheApplicationsOpenTelemetry() {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        SdkTracerProvider tracer = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans))
                .build();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(tracer).build();
        runner.withBean(OpenTelemetry.class, () -> sdk).run(context -> {
            assertThat(context).hasSingleBean(OmnibusTracing.class);
            context.getBean(Publisher.class).publish("traced", Events.json("t-1", "{}")).toCompletableFuture().join();
            await("the producer span").atMost(Duration.ofSeconds(5)).until(() -> spans.getFinishedSpanItems().stream()
                    .anyMatch(s -> s.getName().equals("send traced")));
        });
        tracer.close();
    }

    @Test
    void nothingIsBoundWithoutTheBeansOrTheModules() {
        runner.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(OmnibusMetrics.class)
                .doesNotHaveBean(OmnibusTracing.class));
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withClassLoader(new FilteredClassLoader(OmnibusMetrics.class))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(OmnibusMetrics.class));
    }
}
