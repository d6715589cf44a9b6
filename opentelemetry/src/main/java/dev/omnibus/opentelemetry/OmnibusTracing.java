package dev.omnibus.opentelemetry;

import dev.omnibus.Delivery;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.Subscription;
import dev.omnibus.instrument.BusInfo;
import dev.omnibus.instrument.BusObserver;
import dev.omnibus.instrument.Instrumentation;
import dev.omnibus.instrument.PublishContext;
import dev.omnibus.instrument.PublishObserver;
import dev.omnibus.instrument.SubscriptionObserver;
import io.cloudevents.CloudEvent;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import org.slf4j.MDC;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * OpenTelemetry tracing for Omnibus, the same on every backend; immutable and thread-safe: one instance may serve
 * any number of connections. Turn it on with one line,
 * {@code Config.builder().url(url).instrumentation(OmnibusTracing.of(openTelemetry))}, or just put this module on
 * the classpath: with the {@code instrumentation} option at its default {@code auto} it then uses
 * {@link GlobalOpenTelemetry} once that is set (and does nothing until then; it never sets it to a no-op itself).
 *
 * <h2>What it does</h2>
 * <ul>
 *   <li>Publish: a {@link SpanKind#PRODUCER} span {@code send <topic>}, child of the current span (or, with none,
 *   of a {@code traceparent} the event already carries), ended when the broker confirms or the publish fails. Its
 *   W3C trace context goes into the event as the CloudEvents distributed-tracing extension: attributes
 *   {@value #TRACEPARENT} and {@value #TRACESTATE}, so it crosses any broker with the event.</li>
 *   <li>Delivery: a {@link SpanKind#CONSUMER} span {@code process <topic>} whose parent is the context extracted
 *   from the event's {@value #TRACEPARENT}: a child of the producer's span. It is current while the handler runs
 *   (so the handler's own spans and logs join the trace), ends when the handler returns, and records what it
 *   threw. During the handler the SLF4J {@link MDC} holds {@value #MDC_TRACE_ID}, {@value #MDC_SPAN_ID} and
 *   {@value #MDC_TRACE_FLAGS} (the previous values are put back afterwards).</li>
 *   <li>Attributes per the OpenTelemetry messaging semantic conventions: {@code messaging.system} (see
 *   {@link #messagingSystem(String)}), {@code messaging.destination.name}, {@code messaging.operation.type}
 *   ({@code send}, {@code process}), {@code messaging.operation.name}, {@code messaging.message.id} (the event id),
 *   {@code messaging.consumer.group.name}; plus {@code omnibus.delivery.attempt} and, on the producer span,
 *   {@code omnibus.publish.position} (the broker's position for the event, e.g. a stream entry id); on Kafka also
 *   {@code messaging.destination.partition.id} and {@code messaging.kafka.offset}, on both spans.</li>
 * </ul>
 * Without a recording SDK (a no-op {@link OpenTelemetry}) spans are not sampled and events are sent unchanged.
 */
public final class OmnibusTracing implements Instrumentation {
    /** Its name in the {@code instrumentation} option. */
    public static final String NAME = "opentelemetry";
    /** The CloudEvents distributed-tracing extension attribute carrying the W3C {@code traceparent}. */
    public static final String TRACEPARENT = "traceparent";
    /** The CloudEvents distributed-tracing extension attribute carrying the W3C {@code tracestate}. */
    public static final String TRACESTATE = "tracestate";
    /** MDC key of the trace id during a handler. */
    public static final String MDC_TRACE_ID = "trace_id";
    /** MDC key of the consumer span id during a handler. */
    public static final String MDC_SPAN_ID = "span_id";
    /** MDC key of the trace flags during a handler. */
    public static final String MDC_TRACE_FLAGS = "trace_flags";
    /** The instrumentation scope name of its tracer. */
    public static final String SCOPE = "dev.omnibus";

    static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
    static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
    static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    static final AttributeKey<String> CONSUMER_GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("omnibus.delivery.attempt");
    static final AttributeKey<String> POSITION = AttributeKey.stringKey("omnibus.publish.position");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<String> PARTITION = AttributeKey.stringKey("messaging.destination.partition.id");
    static final AttributeKey<Long> KAFKA_OFFSET = AttributeKey.longKey("messaging.kafka.offset");

    static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
    private static final List<String> FIELDS = List.of(TRACEPARENT, TRACESTATE);
    private static final TextMapGetter<CloudEvent> FROM_EVENT = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(CloudEvent event) {
            return FIELDS;
        }

        @Override
        public String get(CloudEvent event, String key) {
            if (event == null) {
                return null;
            }
            Object v = event.getExtension(key);
            return v == null ? null : v.toString();
        }
    };

    private final Supplier<Tracer> tracer;

    private OmnibusTracing(Supplier<Tracer> tracer) {
        this.tracer = tracer;
    }

    /** Tracing with {@code openTelemetry}'s tracer provider. */
    public static OmnibusTracing of(OpenTelemetry openTelemetry) {
        Tracer t = Objects.requireNonNull(openTelemetry, "openTelemetry").getTracer(SCOPE);
        return new OmnibusTracing(() -> t);
    }

    /** Tracing with {@link GlobalOpenTelemetry} once it is set; no spans before (never sets it itself). */
    public static OmnibusTracing global() {
        return new OmnibusTracing(new GlobalTracer());
    }

    /**
     * The {@code messaging.system} value for a backend: {@code kafka}, {@code gcp_pubsub}, {@code nats} (NATS core
     * and JetStream), {@code redis}; otherwise the backend's own name ({@code memory}).
     */
    public static String messagingSystem(String backend) {
        switch (backend.toLowerCase(Locale.ROOT)) {
            case "kafka":
                return "kafka";
            case "gcppubsub":
            case "gcp-pubsub":
            case "pubsub":
                return "gcp_pubsub";
            case "nats":
            case "jetstream":
                return "nats";
            case "redis":
            case "redis-streams":
                return "redis";
            default:
                return backend;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public BusObserver open(BusInfo bus) {
        return new Traced(messagingSystem(bus.backend()));
    }

    @Override
    public String toString() {
        return "OmnibusTracing";
    }

    /** The global tracer, looked up until {@link GlobalOpenTelemetry} is set, then kept. */
    private static final class GlobalTracer implements Supplier<Tracer> {
        private volatile Tracer tracer;

        @Override
        public Tracer get() {
            Tracer t = tracer;
            if (t != null) {
                return t;
            }
            if (!GlobalOpenTelemetry.isSet()) {
                return OpenTelemetry.noop().getTracer(SCOPE);
            }
            t = GlobalOpenTelemetry.get().getTracer(SCOPE);
            tracer = t;
            return t;
        }
    }

    /** One connection's observer. */
    private final class Traced implements BusObserver {
        private final String system;
        private final SpanNames send = new SpanNames("send ");
        private final SpanNames process = new SpanNames("process ");

        Traced(String system) {
            this.system = system;
        }

        @Override
        public PublishObserver publishing(PublishContext publish) {
            CloudEvent event = publish.event();
            Context parent = Context.current();
            if (!Span.fromContext(parent).getSpanContext().isValid() && event.getExtension(TRACEPARENT) != null) {
                parent = W3C.extract(parent, event, FROM_EVENT);
            }
            Span span = tracer.get().spanBuilder(send.of(publish.topic())).setParent(parent)
                    .setSpanKind(SpanKind.PRODUCER)
                    .setAttribute(SYSTEM, system)
                    .setAttribute(DESTINATION, publish.topic())
                    .setAttribute(OPERATION_TYPE, "send")
                    .setAttribute(OPERATION_NAME, "send")
                    .setAttribute(MESSAGE_ID, event.getId())
                    .startSpan();
            SpanContext sc = span.getSpanContext();
            if (!sc.isValid()) {
                return PublishObserver.NONE;
            }
            publish.event(TraceContextEvents.with(event, parent.with(span)));
            return new Sending(span, system);
        }

        @Override
        public SubscriptionObserver subscribed(Subscription subscription) {
            String group = subscription.options().group();
            return new SubscriptionObserver() {
                @Override
                public Object handling(Delivery delivery) {
                    CloudEvent event = delivery.event();
                    Context parent = event.getExtension(TRACEPARENT) != null
                            ? W3C.extract(Context.root(), event, FROM_EVENT) : Context.root();
                    var builder = tracer.get().spanBuilder(process.of(delivery.topic())).setParent(parent)
                            .setSpanKind(SpanKind.CONSUMER)
                            .setAttribute(SYSTEM, system)
                            .setAttribute(DESTINATION, delivery.topic())
                            .setAttribute(OPERATION_TYPE, "process")
                            .setAttribute(OPERATION_NAME, "process")
                            .setAttribute(MESSAGE_ID, event.getId())
                            .setAttribute(ATTEMPT, (long) delivery.attempt());
                    if (group != null) {
                        builder.setAttribute(CONSUMER_GROUP, group);
                    }
                    Span span = builder.startSpan();
                    SpanContext sc = span.getSpanContext();
                    if (!sc.isValid()) {
                        return null;
                    }
                    if (delivery.position() != null) {
                        kafkaPosition(system, delivery.position(), span);
                    }
                    Scope scope = span.makeCurrent();
                    return new Handling(span, scope, sc);
                }

                @Override
                public void handled(Delivery delivery, Object token, long nanos, Throwable error) {
                    if (token instanceof Handling h) {
                        h.end(error);
                    }
                }
            };
        }
    }

    /**
     * On Kafka, whose positions read {@code <partition>:<offset>}, sets {@code messaging.destination.partition.id}
     * and {@code messaging.kafka.offset} from {@code position}; does nothing for other systems or other shapes.
     */
    static void kafkaPosition(String system, String position, Span span) {
        if (!"kafka".equals(system)) {
            return;
        }
        int colon = position.indexOf(':');
        if (colon <= 0 || colon == position.length() - 1) {
            return;
        }
        try {
            long offset = Long.parseLong(position.substring(colon + 1));
            String partition = position.substring(0, colon);
            Integer.parseInt(partition);
            span.setAttribute(PARTITION, partition);
            span.setAttribute(KAFKA_OFFSET, offset);
        } catch (NumberFormatException e) {
            // not a Kafka position after all: leave the attributes out
        }
    }

    /** A publish's producer span, ended when the broker confirms or the publish fails. */
    private static final class Sending implements PublishObserver {
        private final Span span;
        private final String system;

        Sending(Span span, String system) {
            this.span = span;
            this.system = system;
        }

        @Override
        public void published(PublishReceipt receipt) {
            if (receipt.position() != null) {
                span.setAttribute(POSITION, receipt.position());
                kafkaPosition(system, receipt.position(), span);
            }
            span.end();
        }

        @Override
        public void failed(OmnibusException error) {
            span.recordException(error);
            span.setAttribute(ERROR_TYPE, error.code().name());
            span.setStatus(StatusCode.ERROR, error.getMessage());
            span.end();
        }
    }

    /** A running handler's span, scope and the MDC values it replaced. */
    private static final class Handling {
        private final Span span;
        private final Scope scope;
        private final String traceId;
        private final String spanId;
        private final String flags;

        Handling(Span span, Scope scope, SpanContext sc) {
            this.span = span;
            this.scope = scope;
            this.traceId = MDC.get(MDC_TRACE_ID);
            this.spanId = MDC.get(MDC_SPAN_ID);
            this.flags = MDC.get(MDC_TRACE_FLAGS);
            MDC.put(MDC_TRACE_ID, sc.getTraceId());
            MDC.put(MDC_SPAN_ID, sc.getSpanId());
            MDC.put(MDC_TRACE_FLAGS, sc.getTraceFlags().asHex());
        }

        void end(Throwable error) {
            try {
                if (error != null) {
                    span.recordException(error);
                    span.setAttribute(ERROR_TYPE, error.getClass().getName());
                    span.setStatus(StatusCode.ERROR, String.valueOf(error.getMessage()));
                }
                span.end();
            } finally {
                scope.close();
                restore(MDC_TRACE_ID, traceId);
                restore(MDC_SPAN_ID, spanId);
                restore(MDC_TRACE_FLAGS, flags);
            }
        }

        private static void restore(String key, String value) {
            if (value == null) {
                MDC.remove(key);
            } else {
                MDC.put(key, value);
            }
        }
    }
}
