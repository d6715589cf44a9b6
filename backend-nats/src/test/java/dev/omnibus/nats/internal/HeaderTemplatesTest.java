package dev.omnibus.nats.internal;

import dev.omnibus.nats.NatsBinding;
import dev.omnibus.tck.GeneratedEvents;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.MessageWriter;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.rw.CloudEventContextWriter;
import io.cloudevents.rw.CloudEventWriter;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The templated binary writer ({@link NatsMessageWriter} with {@link HeaderTemplates}) against a reference writer that
 * puts every attribute the CloudEvents SDK hands it straight into jnats headers (the writer as it was before the
 * templates): same headers, same payload, same event read back, on generated events. If this fails, check which
 * attributes {@code NatsMessageWriter} treats as constant and whether a template is changed after it is shared.
 */
class HeaderTemplatesTest {

    @Test
    void templatedHeadersEqualTheSdkDrivenHeadersOnGeneratedEvents() {
        HeaderTemplates templates = new HeaderTemplates();
        Random random = new Random(42);
        for (int i = 0; i < 3000; i++) {
            CloudEvent event = GeneratedEvents.generated(random, i);
            NatsMessage templated = new NatsMessageWriter("s.t", templates).writeBinary(event);
            NatsMessage reference = new ReferenceWriter("s.t").writeBinary(event);

            assertThat(asMap(templated.getHeaders())).as("headers of event %d", i)
                    .isEqualTo(asMap(reference.getHeaders()));
            assertThat(templated.getData()).as("payload of event %d", i).isEqualTo(reference.getData());
            // binary mode carries extension values as text, so compare with what the reference message reads as
            assertThat(NatsBinding.toEvent(templated)).as("event %d read back", i)
                    .isEqualTo(NatsBinding.toEvent(reference));
            assertThat(NatsBinding.toEvent(templated).getId()).isEqualTo(event.getId());
        }
        NatsMessage templated = new NatsMessageWriter("s.t", templates).writeBinary(GeneratedEvents.generated(random, 0));
        assertThat(templated.getHeaders().isReadOnly()).as("jnats then publishes the headers without copying them")
                .isTrue();
        assertThat(templates.size()).as("one template per (specversion, source, type, content type, schema) seen")
                // spec versions 2 x sources 5 x types 3 x content types 5 (none included) x schemas 4
                .isBetween(2, 2 * 5 * 3 * 5 * 4);
    }

    /**
     * Headers written at once for NATS core ({@link HeaderTemplates.Written}): the bytes jnats sends (parsed back)
     * and every read of the headers equal the reference's, on generated events, some with an empty extension value
     * (not plain: built through jnats instead). If this fails, check {@code Written.of} against jnats'
     * {@code Headers.serializeToArray} (format {@code NATS/1.0\r\n}, {@code name:value\r\n} each, blank line).
     */
    @Test
    void writtenHeadersSerializeAsJnatsAndReadAsTheReference() {
        HeaderTemplates templates = new HeaderTemplates();
        Random random = new Random(43);
        int written = 0;
        for (int i = 0; i < 3000; i++) {
            CloudEvent event = GeneratedEvents.generated(random, i);
            if (random.nextInt(10) == 0) {
                event = CloudEventBuilder.from(event).withExtension("emptyext", "").build();
            }
            NatsMessage message = new NatsMessageWriter("s.t", templates, true).writeBinary(event);
            NatsMessage reference = new ReferenceWriter("s.t").writeBinary(event);
            Headers headers = message.getHeaders();
            written += headers instanceof HeaderTemplates.Written ? 1 : 0;
            assertThat(headers instanceof HeaderTemplates.Written).as("event %d written at once unless an empty value",
                    i).isEqualTo(event.getExtension("emptyext") == null);

            byte[] bytes = new byte[headers.serializedLength()];
            assertThat(headers.serializeToArray(0, bytes)).isEqualTo(bytes.length);
            assertThat(parse(bytes)).as("bytes of event %d", i).isEqualTo(asMap(reference.getHeaders()));
            assertThat(headers.serializedLength()).isEqualTo(reference.getHeaders().serializedLength());
            assertThat(headers.isReadOnly()).isTrue();
            assertThat(headers.isEmpty()).isFalse();
            assertThat(asMap(headers)).as("headers of event %d read", i).isEqualTo(asMap(reference.getHeaders()));
            assertThat(headers.getFirst("ce-id")).isEqualTo(reference.getHeaders().getFirst("ce-id"));
            assertThat(message.getData()).isEqualTo(reference.getData());
            assertThat(NatsBinding.toEvent(message)).as("event %d read back", i)
                    .isEqualTo(NatsBinding.toEvent(reference));
        }
        assertThat(written).as("most events written at once").isGreaterThan(2500);
        Headers headers = new NatsMessageWriter("s", templates, true).writeBinary(GeneratedEvents.generated(random, 1)).getHeaders();
        assertThatThrownBy(() -> headers.put("ce-id", "other")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(headers::clear).isInstanceOf(UnsupportedOperationException.class);
    }

    /** What a NATS server receives: the serialized headers read back as jnats' header format defines. */
    private static Map<String, List<String>> parse(byte[] serialized) {
        String text = new String(serialized, StandardCharsets.US_ASCII);
        assertThat(text).startsWith("NATS/1.0\r\n").endsWith("\r\n\r\n");
        Map<String, List<String>> out = new TreeMap<>();
        String[] lines = text.substring("NATS/1.0\r\n".length(), text.length() - 4).split("\r\n");
        for (String line : lines) {
            int colon = line.indexOf(':');
            out.merge(line.substring(0, colon), List.of(line.substring(colon + 1)),
                    (a, b) -> java.util.stream.Stream.concat(a.stream(), b.stream()).toList());
        }
        return out;
    }

    @Test
    void templatesStopGrowingAtTheBoundAndLaterEventsAreStillRight() {
        HeaderTemplates templates = new HeaderTemplates();
        for (int i = 0; i < HeaderTemplates.MAX + 50; i++) {
            CloudEvent event = CloudEventBuilder.v1().withId("id-" + i).withSource(URI.create("/source/" + i))
                    .withType("t").build();
            NatsMessage message = new NatsMessageWriter("s", templates).writeBinary(event);
            assertThat(message.getHeaders().getFirst("ce-source")).isEqualTo("/source/" + i);
            assertThat(message.getHeaders().getFirst("ce-id")).isEqualTo("id-" + i);
        }
        assertThat(templates.size()).isEqualTo(HeaderTemplates.MAX);
    }

    private static Map<String, List<String>> asMap(Headers headers) {
        Map<String, List<String>> out = new TreeMap<>();
        headers.entrySet().forEach(e -> out.put(e.getKey(), List.copyOf(e.getValue())));
        return out;
    }

    /** Every attribute put into the headers as the SDK hands it over, nothing cached. */
    private static final class ReferenceWriter implements MessageWriter<ReferenceWriter, NatsMessage>,
            CloudEventWriter<NatsMessage> {
        private final String subject;
        private final Headers headers = new Headers();

        ReferenceWriter(String subject) {
            this.subject = subject;
        }

        @Override
        public ReferenceWriter create(SpecVersion version) {
            headers.put("ce-specversion", version.toString());
            return this;
        }

        @Override
        public CloudEventContextWriter withContextAttribute(String name, String value) {
            headers.put("ce-" + name, HeaderValues.encode(value));
            return this;
        }

        @Override
        public NatsMessage end(CloudEventData data) {
            return NatsMessage.builder().subject(subject).headers(headers)
                    .data(data == null ? new byte[0] : data.toBytes()).build();
        }

        @Override
        public NatsMessage end() {
            return end(null);
        }

        @Override
        public NatsMessage setEvent(EventFormat format, byte[] value) {
            throw new UnsupportedOperationException("binary only");
        }
    }
}
