package dev.omnibus.opentelemetry;

import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.v1.CloudEventV1;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Puts a span's W3C trace context into an event as the CloudEvents distributed-tracing extension; stateless and
 * thread-safe. The result equals what {@code CloudEventBuilder.from(event).withExtension(...).build()} makes (every
 * attribute, the data and the other extensions kept; {@code tracestate} set only when the context has one), but a
 * 1.0 event is made directly from its attributes: the builder copies every attribute and extension into itself and
 * checks each extension name again, work the publishing thread did for every traced publish.
 */
final class TraceContextEvents {
    /** Carrier: [0] the traceparent, [1] the tracestate. */
    private static final TextMapSetter<String[]> FIELDS = (fields, key, value) -> {
        if (fields != null) {
            fields[OmnibusTracing.TRACESTATE.equals(key) ? 1 : 0] = value;
        }
    };

    private TraceContextEvents() {
    }

    /**
     * {@code event} carrying {@code context}'s trace context; {@code event} itself when the context has none to
     * propagate (no valid span).
     */
    static CloudEvent with(CloudEvent event, Context context) {
        String[] fields = new String[2];
        OmnibusTracing.W3C.inject(context, fields, FIELDS);
        if (fields[0] == null) {
            return event;
        }
        if (event.getSpecVersion() != SpecVersion.V1) {
            CloudEventBuilder b = CloudEventBuilder.from(event).withExtension(OmnibusTracing.TRACEPARENT, fields[0]);
            if (fields[1] != null) {
                b.withExtension(OmnibusTracing.TRACESTATE, fields[1]);
            }
            return b.build();
        }
        Set<String> names = event.getExtensionNames();
        Map<String, Object> extensions = new HashMap<>(2 * (names.size() + 2));
        for (String name : names) {
            extensions.put(name, event.getExtension(name));
        }
        extensions.put(OmnibusTracing.TRACEPARENT, fields[0]);
        if (fields[1] != null) {
            extensions.put(OmnibusTracing.TRACESTATE, fields[1]);
        }
        return new CloudEventV1(event.getId(), event.getSource(), event.getType(), event.getDataContentType(),
                event.getDataSchema(), event.getSubject(), event.getTime(), event.getData(), extensions);
    }
}
