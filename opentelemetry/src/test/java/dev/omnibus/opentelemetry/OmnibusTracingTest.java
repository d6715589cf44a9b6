package dev.omnibus.opentelemetry;

import dev.omnibus.Config;
import dev.omnibus.Omnibus;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.redis.RedisHarness;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.MDC;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Trace propagation across a real broker: the consumer span is a child of the producer span, on the memory backend
 * and on a real {@code redis-server} (started for this class), with an OpenTelemetry SDK and an in-memory exporter.
 */
class OmnibusTracingTest {
    private static final RedisHarness redis = new RedisHarness();
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final SdkTracerProvider tracerProvider = SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(tracerProvider).build();
    private final Tracer appTracer = otel.getTracer("test-app");
    private final List<Omnibus> opened = new CopyOnWriteArrayList<>();
    private final String topic = "traced-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void startRedis() throws Exception {
        redis.start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.stop();
    }

    @AfterEach
    void closeAll() {
        opened.forEach(o -> o.close(Duration.ofSeconds(5)));
        tracerProvider.close();
    }

    static Stream<String> backends() {
        return Stream.of("memory", "redis");
    }

    private Omnibus connect(String backend) {
        String url = backend.equals("memory") ? "mem://traced-" + UUID.randomUUID() : redis.url();
        Omnibus bus = Omnibus.connect(Config.builder().url(url).useEnvironment(false)
                .instrumentation(OmnibusTracing.of(otel)).build());
        opened.add(bus);
        return bus;
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/tracing")).withType("tracing")
                .withData("text/plain", id.getBytes(StandardCharsets.UTF_8)).build();
    }

    private SpanData span(String name) {
        return exporter.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no finished span '" + name + "' among "
                        + exporter.getFinishedSpanItems().stream().map(SpanData::getName).toList()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void theConsumerSpanIsAChildOfTheProducerSpanAcrossTheBroker(String backend) {
        Omnibus bus = connect(backend);
        Map<String, String> inHandler = new ConcurrentHashMap<>();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(topic).group("audit"), d -> {
            inHandler.put("mdc", String.valueOf(MDC.get(OmnibusTracing.MDC_TRACE_ID)));
            inHandler.put("current", Span.current().getSpanContext().getSpanId());
            inHandler.put("traceparent", String.valueOf(d.event().getExtension(OmnibusTracing.TRACEPARENT)));
        });
        Span request = appTracer.spanBuilder("request").startSpan();
        try (Scope ignored = request.makeCurrent()) {
            bus.publisher().publish(topic, event("t-1")).toCompletableFuture().join();
        } finally {
            request.end();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> s.stats().acked() == 1
                && exporter.getFinishedSpanItems().size() == 3);

        SpanData send = span("send " + topic);
        SpanData process = span("process " + topic);
        assertThat(send.getKind()).isEqualTo(SpanKind.PRODUCER);
        assertThat(send.getParentSpanId()).as("the producer span is a child of the caller's span")
                .isEqualTo(request.getSpanContext().getSpanId());
        assertThat(process.getKind()).isEqualTo(SpanKind.CONSUMER);
        assertThat(process.getTraceId()).isEqualTo(send.getTraceId());
        assertThat(process.getParentSpanId()).as("the consumer span is a child of the producer span")
                .isEqualTo(send.getSpanId());
        assertThat(inHandler).containsEntry("mdc", process.getTraceId())
                .containsEntry("current", process.getSpanId());
        assertThat(inHandler.get("traceparent")).startsWith("00-" + send.getTraceId() + "-" + send.getSpanId() + "-");
        assertThat(MDC.get(OmnibusTracing.MDC_TRACE_ID)).isNull();

        String system = backend.equals("memory") ? "memory" : "redis";
        assertThat(send.getAttributes().asMap()).containsEntry(AttributeKey.stringKey("messaging.system"), system)
                .containsEntry(AttributeKey.stringKey("messaging.destination.name"), topic)
                .containsEntry(AttributeKey.stringKey("messaging.operation.type"), "send")
                .containsEntry(AttributeKey.stringKey("messaging.message.id"), "t-1")
                .containsKey(AttributeKey.stringKey("omnibus.publish.position"));
        assertThat(process.getAttributes().asMap()).containsEntry(AttributeKey.stringKey("messaging.system"), system)
                .containsEntry(AttributeKey.stringKey("messaging.destination.name"), topic)
                .containsEntry(AttributeKey.stringKey("messaging.operation.type"), "process")
                .containsEntry(AttributeKey.stringKey("messaging.message.id"), "t-1")
                .containsEntry(AttributeKey.stringKey("messaging.consumer.group.name"), "audit")
                .containsEntry(AttributeKey.longKey("omnibus.delivery.attempt"), 1L);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void aFailingHandlerMarksItsSpanAndTheRedeliveryStaysInTheTrace(String backend) {
        Omnibus bus = connect(backend);
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(topic).group("flaky"), d -> {
            if (d.attempt() == 1) {
                throw new IllegalStateException("first attempt fails");
            }
        });
        bus.publisher().publish(topic, event("f-1")).toCompletableFuture().join();
        await().atMost(Duration.ofSeconds(20)).until(() -> s.stats().acked() == 1
                && exporter.getFinishedSpanItems().size() == 3);
        SpanData send = span("send " + topic);
        List<SpanData> processes = exporter.getFinishedSpanItems().stream()
                .filter(x -> x.getName().equals("process " + topic)).toList();
        assertThat(processes).hasSize(2).allSatisfy(p -> assertThat(p.getParentSpanId()).isEqualTo(send.getSpanId()));
        SpanData first = processes.stream().filter(p -> p.getAttributes()
                .get(AttributeKey.longKey("omnibus.delivery.attempt")) == 1L).findFirst().orElseThrow();
        assertThat(first.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(first.getEvents()).anySatisfy(e -> assertThat(e.getName()).isEqualTo("exception"));
    }

    @Test
    void withoutARecordingSdkEventsAreSentUnchanged() {
        Omnibus bus = Omnibus.connect(Config.builder().url("mem://untraced-" + UUID.randomUUID())
                .useEnvironment(false).instrumentation(OmnibusTracing.of(OpenTelemetry.noop()))
                .build());
        opened.add(bus);
        List<Object> seen = new CopyOnWriteArrayList<>();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(topic),
                d -> seen.add(String.valueOf(d.event().getExtension(OmnibusTracing.TRACEPARENT))));
        bus.publisher().publish(topic, event("n-1")).toCompletableFuture().join();
        await().atMost(Duration.ofSeconds(5)).until(() -> s.stats().acked() == 1);
        assertThat(seen).containsExactly("null");
    }
}
