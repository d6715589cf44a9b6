package dev.omnibus.nats.internal;

import dev.omnibus.nats.NatsBinding;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.message.MessageWriter;
import io.cloudevents.rw.CloudEventContextWriter;
import io.cloudevents.rw.CloudEventWriter;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

/**
 * Writes one CloudEvent as a jnats message, binary ({@code ce-} headers) or structured; not thread-safe, one
 * instance per message. Not API: use {@link NatsBinding}.
 */
public final class NatsMessageWriter implements MessageWriter<NatsMessageWriter, NatsMessage>,
        CloudEventWriter<NatsMessage> {
    private static final byte[] EMPTY = new byte[0];

    private final String subject;
    private final Headers headers = new Headers();

    /** A writer of a message to {@code subject}. */
    public NatsMessageWriter(String subject) {
        this.subject = subject;
    }

    @Override
    public NatsMessageWriter create(SpecVersion version) {
        headers.put(NatsBinding.CE_PREFIX + "specversion", version.toString());
        return this;
    }

    @Override
    public CloudEventContextWriter withContextAttribute(String name, String value) {
        headers.put(NatsBinding.CE_PREFIX + name, HeaderValues.encode(value));
        return this;
    }

    @Override
    public NatsMessage end(CloudEventData data) {
        return build(data == null ? EMPTY : data.toBytes());
    }

    @Override
    public NatsMessage end() {
        return build(EMPTY);
    }

    @Override
    public NatsMessage setEvent(EventFormat format, byte[] value) {
        headers.put(NatsBinding.CONTENT_TYPE, format.serializedContentType());
        return build(value);
    }

    private NatsMessage build(byte[] body) {
        return NatsMessage.builder().subject(subject).headers(headers).data(body).build();
    }
}
