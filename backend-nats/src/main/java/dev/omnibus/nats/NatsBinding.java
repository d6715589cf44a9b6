package dev.omnibus.nats;

import dev.omnibus.nats.internal.HeaderValues;
import dev.omnibus.nats.internal.NatsMessageReader;
import dev.omnibus.nats.internal.NatsMessageWriter;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.rw.CloudEventRWException;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

/**
 * The CloudEvents NATS protocol binding on jnats messages, built on cloudevents-core's {@code MessageReader} and
 * {@code MessageWriter}; stateless and thread-safe. Shared by the NATS core and JetStream backends, usable on its own
 * with plain jnats.
 *
 * <h2>Binary mode</h2>
 * One header {@code ce-<name>} per attribute and extension, {@code datacontenttype} included (as
 * {@code ce-datacontenttype}), and the data bytes as the payload. Header values are percent-encoded as the binding
 * specifies: space, {@code "}, {@code %} and anything outside U+0021..U+007E are written as the {@code %XX} of their
 * UTF-8 bytes, hex in upper case. Readers accept double-quoted values, reject invalid UTF-8, match header names in
 * any case and take {@code content-type} as the data content type when {@code ce-datacontenttype} is absent.
 *
 * <h2>Structured mode</h2>
 * Header {@code content-type: application/cloudevents+json} and the JSON event as the payload.
 *
 * <p>A reader picks the mode per message: a {@code content-type} naming a known event format is structured, a
 * {@code ce-specversion} header is binary, anything else is not a CloudEvent.
 */
public final class NatsBinding {
    /** Prefix of the attribute headers. */
    public static final String CE_PREFIX = "ce-";
    /** The header naming a structured event's format (and, as a fallback, a binary event's data content type). */
    public static final String CONTENT_TYPE = "content-type";

    private NatsBinding() {
    }

    /** A binary-mode message for {@code event} to {@code subject}. */
    public static NatsMessage toBinaryMessage(String subject, CloudEvent event) {
        return new NatsMessageWriter(subject).writeBinary(event);
    }

    /** A structured-mode message for {@code event} to {@code subject}, in {@code format}. */
    public static NatsMessage toStructuredMessage(String subject, CloudEvent event, EventFormat format) {
        return new NatsMessageWriter(subject).writeStructured(event, format);
    }

    /**
     * The event a message carries, in either mode.
     *
     * @throws CloudEventRWException    when the message is not a CloudEvent (no structured content type and no
     *                                  {@code ce-specversion}, an unknown spec version, a missing required attribute,
     *                                  unparsable JSON)
     * @throws IllegalArgumentException when a header value is malformed (bad percent-encoding, invalid UTF-8)
     */
    public static CloudEvent toEvent(Message message) {
        return toEvent(message.getHeaders(), message.getData());
    }

    /** As {@link #toEvent(Message)}, from the headers ({@code null} for none) and payload of a message. */
    public static CloudEvent toEvent(Headers headers, byte[] payload) {
        return NatsMessageReader.toEvent(headers, payload, null);
    }

    /** The header form of an attribute value (percent-encoded as the binding specifies). */
    public static String encodeHeaderValue(String value) {
        return HeaderValues.encode(value);
    }

    /**
     * The attribute value of a header value.
     *
     * @throws IllegalArgumentException on malformed percent-encoding or invalid UTF-8
     */
    public static String decodeHeaderValue(String value) {
        return HeaderValues.decode(value);
    }
}
