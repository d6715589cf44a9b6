package dev.omnibus.nats.shared;

import dev.omnibus.Extensions;
import dev.omnibus.nats.NatsBinding;
import dev.omnibus.nats.internal.HeaderTemplates;
import dev.omnibus.nats.internal.NatsMessageReader;
import dev.omnibus.nats.internal.NatsMessageWriter;
import dev.omnibus.spi.EventBuilders;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.StructuredJson;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The binding as both NATS backends use it: events to messages in the configured mode, messages to
 * {@link ReceivedMessage}s, where anything that is not a CloudEvent becomes {@link ReceivedMessage#invalid} (never an
 * exception). Thread-safe; binary-mode headers are copied from this instance's {@link HeaderTemplates}. Part of the
 * NATS seam ({@link dev.omnibus.nats.shared}), not API.
 */
public final class NatsWire {
    /** Room kept for the {@code ce-} headers below the server's max_payload when declaring the data limit. */
    public static final int HEADER_ROOM = 8 * 1024;
    private final EventFormat structured;
    private final HeaderTemplates templates = new HeaderTemplates();
    private final boolean writtenHeaders;
    /** The parsed source of the last message decoded, for the next that repeats it. */
    private final EventBuilders.Sources sources = new EventBuilders.Sources();

    /**
     * The largest event data to declare: the configured cap, else the server's max_payload less
     * {@value #HEADER_ROOM} bytes for the headers (three quarters of that in structured mode, where binary data is
     * base64 text inside the JSON).
     */
    public static int maxData(long serverMaxPayload, int configured, boolean structured) {
        long room = Math.max(1024, serverMaxPayload - HEADER_ROOM);
        if (structured) {
            room = room * 3 / 4;
        }
        return (int) Math.min(Integer.MAX_VALUE, configured > 0 ? Math.min(configured, room) : room);
    }

    /** {@code structured}: publish in structured mode (JSON), else binary; JetStream's wire. */
    public NatsWire(boolean structured) {
        this(structured, false);
    }

    /**
     * {@code structured}: publish in structured mode (JSON), else binary; {@code writtenHeaders}: binary-mode headers
     * serialized at once, for NATS core only (see {@code HeaderTemplates.Written}: jnats' JetStream publish copies
     * headers in a way they do not support).
     */
    public NatsWire(boolean structured, boolean writtenHeaders) {
        this.structured = structured
                ? StructuredJson.format(EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE)) : null;
        this.writtenHeaders = writtenHeaders;
    }

    /** The message for {@code event} on {@code subject}. */
    public NatsMessage encode(String subject, CloudEvent event) {
        return structured == null ? new NatsMessageWriter(subject, templates, writtenHeaders).writeBinary(event)
                : NatsBinding.toStructuredMessage(subject, event, structured);
    }

    /** Decodes {@code message}; the other arguments are as for the setters of {@link ReceivedMessage.Builder}. */
    public ReceivedMessage decode(Message message, int deliveryCount, String redeliveryKey, String position,
                                  Object handle) {
        String topic = message.getSubject();
        byte[] body = message.getData();
        String reason;
        try {
            CloudEvent event = NatsMessageReader.toEvent(message.getHeaders(), body, sources);
            Headers h = message.getHeaders();
            if (body != null && h != null && StructuredJson.isStructured(h.getFirst(NatsBinding.CONTENT_TYPE))) {
                event = StructuredJson.restoreData(event, body);
            }
            Object key = event.getExtension(Extensions.PARTITION_KEY);
            return ReceivedMessage.event(topic, event).deliveryCount(deliveryCount).redeliveryKey(redeliveryKey)
                    .orderingKey(key == null ? null : key.toString()).position(position).handle(handle).build();
        } catch (RuntimeException e) {
            reason = "not a valid CloudEvent: " + e.getMessage();
        }
        return ReceivedMessage.invalid(topic, body, headers(message.getHeaders()), reason).deliveryCount(deliveryCount)
                .redeliveryKey(redeliveryKey).position(position).handle(handle).build();
    }

    private static Map<String, String> headers(Headers headers) {
        Map<String, String> out = new LinkedHashMap<>();
        if (headers != null) {
            for (Map.Entry<String, List<String>> e : headers.entrySet()) {
                if (!e.getValue().isEmpty()) {
                    out.put(e.getKey(), String.join(",", e.getValue()));
                }
            }
        }
        return out;
    }
}
