package dev.omnibus.nats.internal;

import dev.omnibus.nats.NatsBinding;
import dev.omnibus.spi.EventTime;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.message.MessageWriter;
import io.cloudevents.rw.CloudEventContextWriter;
import io.cloudevents.rw.CloudEventWriter;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import java.time.OffsetDateTime;
import java.util.Arrays;

/**
 * Writes one CloudEvent as a jnats message, binary ({@code ce-} headers) or structured; not thread-safe, one
 * instance per message. In binary mode the attributes are collected first and the headers made at the end: from a
 * {@link HeaderTemplates} copy when the writer has one, else one by one (the same headers either way). Not API: use
 * {@link NatsBinding}.
 */
public final class NatsMessageWriter implements MessageWriter<NatsMessageWriter, NatsMessage>,
        CloudEventWriter<NatsMessage> {
    private static final byte[] EMPTY = new byte[0];
    private static final String ID = NatsBinding.CE_PREFIX + "id";

    private final String subject;
    private final HeaderTemplates templates;
    private final boolean written;
    private String specVersion;
    private String source;
    private String type;
    private String dataContentType;
    private String dataSchema;
    /** The other attributes and extensions: header name, encoded value, name, value, ... */
    private String[] varying = new String[8];
    private int varyingLength;

    /** A writer of a message to {@code subject} that builds every header itself. */
    public NatsMessageWriter(String subject) {
        this(subject, null);
    }

    /** A writer of a message to {@code subject}, copying the constant headers from {@code templates} if not null. */
    public NatsMessageWriter(String subject, HeaderTemplates templates) {
        this(subject, templates, false);
    }

    /**
     * As {@link #NatsMessageWriter(String, HeaderTemplates)}; {@code written}: the headers are serialized at once
     * ({@link HeaderTemplates.Written}), for a message NATS core publishes as it is (not one for JetStream).
     */
    public NatsMessageWriter(String subject, HeaderTemplates templates, boolean written) {
        this.subject = subject;
        this.templates = templates;
        this.written = written && templates != null;
    }

    @Override
    public NatsMessageWriter create(SpecVersion version) {
        specVersion = version.toString();
        return this;
    }

    @Override
    public CloudEventContextWriter withContextAttribute(String name, OffsetDateTime value) {
        return withContextAttribute(name, EventTime.format(value)); // the SDK's text, faster
    }

    @Override
    public CloudEventContextWriter withContextAttribute(String name, String value) {
        switch (name) {
            case "source" -> source = repeating(HeaderTemplates.SOURCE, value);
            case "type" -> type = repeating(HeaderTemplates.TYPE, value);
            case "datacontenttype" -> dataContentType = repeating(HeaderTemplates.DATA_CONTENT_TYPE, value);
            case "dataschema" -> dataSchema = repeating(HeaderTemplates.DATA_SCHEMA, value);
            case "id" -> vary(ID, HeaderValues.encode(value));
            default -> vary(NatsBinding.CE_PREFIX + name, HeaderValues.encode(value));
        }
        return this;
    }

    /** The header form of a value that usually repeats: remembered by the templates, if the writer has them. */
    private String repeating(int attribute, String value) {
        return templates == null ? HeaderValues.encode(value) : templates.encoded(attribute, value);
    }

    private void vary(String header, String encoded) {
        if (varyingLength == varying.length) {
            varying = Arrays.copyOf(varying, varyingLength * 2);
        }
        varying[varyingLength++] = header;
        varying[varyingLength++] = encoded;
    }

    @Override
    public NatsMessage end(CloudEventData data) {
        return build(binaryHeaders(), data == null ? EMPTY : data.toBytes());
    }

    @Override
    public NatsMessage end() {
        return build(binaryHeaders(), EMPTY);
    }

    @Override
    public NatsMessage setEvent(EventFormat format, byte[] value) {
        Headers headers = new Headers();
        headers.put(NatsBinding.CONTENT_TYPE, format.serializedContentType());
        return build(headers, value);
    }

    private Headers binaryHeaders() {
        HeaderTemplates.Template template = templates == null ? null
                : templates.templateFor(specVersion, source, type, dataContentType, dataSchema);
        if (written && template != null) {
            Headers headers = HeaderTemplates.written(template, varying, varyingLength);
            if (headers != null) {
                return headers;
            }
        }
        Headers headers = template != null ? HeaderTemplates.headersFrom(template)
                : HeaderTemplates.build(specVersion, source, type, dataContentType, dataSchema);
        for (int i = 0; i < varyingLength; i += 2) {
            headers.put(varying[i], varying[i + 1]);
        }
        return headers;
    }

    private NatsMessage build(Headers headers, byte[] body) {
        return NatsMessage.builder().subject(subject).headers(headers).data(body).build();
    }
}
