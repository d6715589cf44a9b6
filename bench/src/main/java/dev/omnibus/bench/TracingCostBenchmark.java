package dev.omnibus.bench;

import dev.omnibus.Capabilities;
import dev.omnibus.Config;
import dev.omnibus.ConnectionState;
import dev.omnibus.Delivery;
import dev.omnibus.Omnibus;
import dev.omnibus.PublishReceipt;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.instrument.BusInfo;
import dev.omnibus.instrument.BusObserver;
import dev.omnibus.instrument.PublishContext;
import dev.omnibus.instrument.PublishObserver;
import dev.omnibus.instrument.SubscriptionObserver;
import dev.omnibus.opentelemetry.OmnibusTracing;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * What one traced event costs the thread that publishes or handles it, without a broker: {@link OmnibusTracing}'s
 * observer around one publish and one delivery, next to the OpenTelemetry SDK doing only what that observer asks of
 * it (the same span, kind, attributes and parent, started and ended; for a delivery also the {@code traceparent}
 * extracted and the span made current). The difference is the library's own share; the SDK figure is the floor any
 * tracing with an always-on sampler pays per span. Both use {@link BenchTracing#sdk()}: every span sampled, a batch
 * processor, an exporter that discards. Kafka's attribute shapes (position {@code partition:offset}). Not
 * thread-safe: JMH state of one benchmark thread.
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar TracingCostBenchmark -f 1
 * </pre>
 */
@State(org.openjdk.jmh.annotations.Scope.Thread)
@Fork(value = 1, jvmArgsPrepend = {SteadyHeap.MIN, SteadyHeap.MAX, SteadyHeap.PRE_TOUCH, SteadyHeap.HUGE_PAGES})
@Warmup(iterations = 3, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Threads(1)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TracingCostBenchmark {
    private static final String TOPIC = "bench.traced";
    private static final String POSITION = "3:1234567";
    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
    private static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    private static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
    private static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
    private static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    private static final AttributeKey<String> GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
    private static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("omnibus.delivery.attempt");
    private static final AttributeKey<String> POSITION_KEY = AttributeKey.stringKey("omnibus.publish.position");
    private static final AttributeKey<String> PARTITION = AttributeKey.stringKey("messaging.destination.partition.id");
    private static final AttributeKey<Long> OFFSET = AttributeKey.longKey("messaging.kafka.offset");
    private static final TextMapGetter<Map<String, String>> FROM_MAP = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private BenchTracing sdk;
    private Tracer tracer;
    private BusObserver observer;
    private SubscriptionObserver subscriptionObserver;
    private Omnibus bus;
    private CloudEvent event;
    private PublishReceipt receipt;
    private Delivery delivery;
    private final Map<String, String> carrier = Map.of("traceparent", TRACEPARENT);

    /** Creates the benchmark state (JMH does this). */
    public TracingCostBenchmark() {
    }

    /** The SDK, the observer of a Kafka connection and of one subscription (a memory one, for its options). */
    @Setup(Level.Trial)
    public void setUp() {
        sdk = BenchTracing.sdk();
        OpenTelemetry openTelemetry = sdk.openTelemetry();
        tracer = openTelemetry.getTracer(OmnibusTracing.SCOPE);
        observer = OmnibusTracing.of(openTelemetry).open(new KafkaBus());
        event = CloudEventBuilder.v1().withId("bench-1").withSource(URI.create("/omnibus/bench"))
                .withType("dev.omnibus.bench.tick").withDataContentType("application/octet-stream")
                .withData(new byte[100]).build();
        receipt = new PublishReceipt(TOPIC, event.getId(), POSITION, false);
        bus = Omnibus.connect(Config.builder().url("mem://trace-" + UUID.randomUUID() + "?instrumentation=none")
                .useEnvironment(false).build());
        Subscription subscription = bus.subscriber().subscribe(SubscribeOptions.topic(TOPIC).group("bench"), d -> { });
        subscriptionObserver = observer.subscribed(subscription);
        delivery = new Received(CloudEventBuilder.from(event).withExtension("traceparent", TRACEPARENT).build());
    }

    /** Closes the bus and the SDK. */
    @TearDown(Level.Trial)
    public void tearDown() {
        bus.close(Duration.ofSeconds(5));
        sdk.close();
    }

    /** The SDK alone: the producer span {@link OmnibusTracing} makes for a publish to Kafka, started and ended. */
    @Benchmark
    public Span sdkProducerSpan() {
        Span span = tracer.spanBuilder("send " + TOPIC).setParent(Context.current()).setSpanKind(SpanKind.PRODUCER)
                .setAttribute(SYSTEM, "kafka").setAttribute(DESTINATION, TOPIC).setAttribute(OPERATION_TYPE, "send")
                .setAttribute(OPERATION_NAME, "send").setAttribute(MESSAGE_ID, event.getId()).startSpan();
        span.setAttribute(POSITION_KEY, POSITION).setAttribute(PARTITION, "3").setAttribute(OFFSET, 1234567L);
        span.end();
        return span;
    }

    /** {@link OmnibusTracing} around one publish: span, {@code traceparent} into the event, receipt, end. */
    @Benchmark
    public CloudEvent omnibusPublish() {
        PublishContext context = new PublishContext(TOPIC, event);
        PublishObserver published = observer.publishing(context);
        published.published(receipt);
        return context.event();
    }

    /** The SDK alone: a delivery's consumer span, parent extracted from its {@code traceparent}, made current. */
    @Benchmark
    public Span sdkConsumerSpan() {
        Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), carrier, FROM_MAP);
        Span span = tracer.spanBuilder("process " + TOPIC).setParent(parent).setSpanKind(SpanKind.CONSUMER)
                .setAttribute(SYSTEM, "kafka").setAttribute(DESTINATION, TOPIC).setAttribute(OPERATION_TYPE, "process")
                .setAttribute(OPERATION_NAME, "process").setAttribute(MESSAGE_ID, event.getId())
                .setAttribute(ATTEMPT, 1L).setAttribute(GROUP, "bench").startSpan();
        span.setAttribute(PARTITION, "3").setAttribute(OFFSET, 1234567L);
        try (Scope ignored = span.makeCurrent()) {
            return span;
        } finally {
            span.end();
        }
    }

    /** {@link OmnibusTracing} around one delivery: {@code handling} then {@code handled}. */
    @Benchmark
    public Object omnibusDelivery() {
        Object token = subscriptionObserver.handling(delivery);
        subscriptionObserver.handled(delivery, token, 1_000, null);
        return token;
    }

    /** A Kafka connection as an instrumentation sees it (only the backend's name is read). */
    private static final class KafkaBus implements BusInfo {
        @Override
        public String backend() {
            return "kafka";
        }

        @Override
        public String redactedUrl() {
            return "kafka://localhost:9092";
        }

        @Override
        public Capabilities capabilities() {
            throw new UnsupportedOperationException("not needed here");
        }

        @Override
        public ConnectionState connectionState() {
            return ConnectionState.CONNECTED;
        }
    }

    /** A delivery of a traced event from partition 3 (settling it does nothing). */
    private static final class Received implements Delivery {
        private final CloudEvent event;

        Received(CloudEvent event) {
            this.event = event;
        }

        @Override
        public CloudEvent event() {
            return event;
        }

        @Override
        public String topic() {
            return TOPIC;
        }

        @Override
        public String group() {
            return "bench";
        }

        @Override
        public int attempt() {
            return 1;
        }

        @Override
        public String position() {
            return POSITION;
        }

        @Override
        public boolean isRaw() {
            return false;
        }

        @Override
        public boolean ack() {
            return true;
        }

        @Override
        public boolean nack() {
            return true;
        }

        @Override
        public boolean nack(Duration delay) {
            return true;
        }
    }
}
