package dev.omnibus.opentelemetry;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link TraceContextEvents} makes the event the SDK's builder made before it: same attributes, data and extensions,
 * the trace context's fields set, on generated 1.0 and 0.3 events with and without extensions, a previous
 * {@code traceparent}/{@code tracestate}, and contexts with and without a trace state. If this fails, check
 * {@code TraceContextEvents.with} against {@code CloudEventBuilder.from}.
 */
class TraceContextEventsTest {
    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();

    @Test
    void theTracedEventEqualsTheOneTheBuilderMakes() {
        Random random = new Random(7);
        for (int i = 0; i < 2_000; i++) {
            CloudEvent event = event(random, i);
            Context context = context(random);
            CloudEvent expected = builderMade(event, context);
            CloudEvent traced = TraceContextEvents.with(event, context);
            assertThat(traced).as("event %d: %s", i, event).isEqualTo(expected);
            assertThat(traced.getSpecVersion()).isEqualTo(event.getSpecVersion());
            assertThat(traced.getExtensionNames()).containsExactlyInAnyOrderElementsOf(expected.getExtensionNames());
        }
    }

    @Test
    void aContextWithoutASpanLeavesTheEventAsItIs() {
        CloudEvent event = event(new Random(1), 1);
        assertThat(TraceContextEvents.with(event, Context.root())).isSameAs(event);
    }

    @Test
    void theTraceparentIsTheSpansAndATraceStateIsCarriedWhenThereIsOne() {
        SpanContext sc = SpanContext.create("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
                TraceFlags.getSampled(), TraceState.builder().put("vendor", "v1").build());
        CloudEvent traced = TraceContextEvents.with(event(new Random(2), 2), Context.root().with(Span.wrap(sc)));
        assertThat(traced.getExtension(OmnibusTracing.TRACEPARENT))
                .isEqualTo("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        assertThat(traced.getExtension(OmnibusTracing.TRACESTATE)).isEqualTo("vendor=v1");
    }

    private static CloudEvent builderMade(CloudEvent event, Context context) {
        CloudEventBuilder b = CloudEventBuilder.from(event);
        W3C.inject(context, b, (builder, key, value) -> builder.withExtension(key, value));
        return b.build();
    }

    private static Context context(Random random) {
        String traceId = hex(random, 32);
        String spanId = hex(random, 16);
        TraceState state = random.nextBoolean() ? TraceState.getDefault()
                : TraceState.builder().put("k" + random.nextInt(10), "v" + random.nextInt(100)).build();
        SpanContext sc = SpanContext.create(traceId, spanId,
                random.nextBoolean() ? TraceFlags.getSampled() : TraceFlags.getDefault(), state);
        return Context.root().with(Span.wrap(sc));
    }

    private static String hex(Random random, int length) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(Character.forDigit(1 + random.nextInt(15), 16));
        }
        return b.toString();
    }

    private static CloudEvent event(Random random, int i) {
        CloudEventBuilder b = random.nextInt(4) == 0 ? CloudEventBuilder.v03() : CloudEventBuilder.v1();
        b.withId("e-" + i).withSource(URI.create("/src/" + i)).withType("dev.omnibus.t" + random.nextInt(3));
        if (random.nextBoolean()) {
            b.withSubject("subject ✓ " + i);
        }
        if (random.nextBoolean()) {
            b.withTime(OffsetDateTime.of(2026, 12, 5, 6, 0, random.nextInt(60), 0, ZoneOffset.ofHours(1)));
        }
        if (random.nextBoolean()) {
            b.withDataSchema(URI.create("https://example.com/schema/" + i));
        }
        if (random.nextBoolean()) {
            b.withData(random.nextBoolean() ? "application/json" : "text/plain",
                    ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8));
        }
        int extensions = random.nextInt(5);
        for (int x = 0; x < extensions; x++) {
            switch (random.nextInt(4)) {
                case 0:
                    b.withExtension("ext" + x, "value ✓ " + random.nextInt(100));
                    break;
                case 1:
                    b.withExtension("num" + x, random.nextInt());
                    break;
                case 2:
                    b.withExtension("flag" + x, random.nextBoolean());
                    break;
                default:
                    b.withExtension("ref" + x, URI.create("https://example.com/" + x));
                    break;
            }
        }
        if (random.nextInt(4) == 0) {
            b.withExtension(OmnibusTracing.TRACEPARENT, "00-" + hex(random, 32) + "-" + hex(random, 16) + "-01");
        }
        if (random.nextInt(4) == 0) {
            b.withExtension(OmnibusTracing.TRACESTATE, "old=" + random.nextInt(10));
        }
        return b.build();
    }
}
