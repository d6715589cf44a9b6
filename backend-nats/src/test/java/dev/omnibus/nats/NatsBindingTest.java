package dev.omnibus.nats;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.rw.CloudEventRWException;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CloudEvents NATS binding without a server: header encoding, both modes, messages other producers write. */
class NatsBindingTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Headers headers(String... keyValues) {
        Headers h = new Headers();
        for (int i = 0; i < keyValues.length; i += 2) {
            h.add(keyValues[i], keyValues[i + 1]);
        }
        return h;
    }

    @Test
    void headerValuesArePercentEncodedExactlyAsTheBindingSays() {
        assertThat(NatsBinding.encodeHeaderValue("plain/ASCII-value_1.0~!")).isEqualTo("plain/ASCII-value_1.0~!");
        assertThat(NatsBinding.encodeHeaderValue("a b")).isEqualTo("a%20b");
        assertThat(NatsBinding.encodeHeaderValue("say \"hi\"")).isEqualTo("say%20%22hi%22");
        assertThat(NatsBinding.encodeHeaderValue("100%")).isEqualTo("100%25");
        assertThat(NatsBinding.encodeHeaderValue("tab\tnl\ndel\u007f")).isEqualTo("tab%09nl%0Adel%7F");
        assertThat(NatsBinding.encodeHeaderValue("Grüße 🚌")).as("UTF-8 bytes, upper-case hex")
                .isEqualTo("Gr%C3%BC%C3%9Fe%20%F0%9F%9A%8C");
    }

    @Test
    void headerValuesDecodeQuotedAndPercentEncodedFormsAndRefuseInvalidUtf8() {
        assertThat(NatsBinding.decodeHeaderValue("Gr%C3%BC%C3%9Fe%20%F0%9F%9A%8C")).isEqualTo("Grüße 🚌");
        assertThat(NatsBinding.decodeHeaderValue("\"quoted%20value\"")).isEqualTo("quoted value");
        assertThat(NatsBinding.decodeHeaderValue("gr%c3%bc")).as("lower-case hex accepted").isEqualTo("grü");
        assertThatThrownBy(() -> NatsBinding.decodeHeaderValue("%FF%FE")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> NatsBinding.decodeHeaderValue("50%")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("two hex digits");
        assertThatThrownBy(() -> NatsBinding.decodeHeaderValue("%G1")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBinaryMessageCarriesCeHeadersAndTheDataAsPayload() {
        CloudEvent e = CloudEventBuilder.v1().withId("id 1").withSource(URI.create("/shop")).withType("order.created")
                .withSubject("Grüße").withExtension("tenant", "acme").withData("application/json", b("{\"a\":1}"))
                .build();
        NatsMessage m = NatsBinding.toBinaryMessage("orders.created", e);
        assertThat(m.getSubject()).isEqualTo("orders.created");
        assertThat(m.getData()).isEqualTo(b("{\"a\":1}"));
        Headers h = m.getHeaders();
        assertThat(h.getFirst("ce-specversion")).isEqualTo("1.0");
        assertThat(h.getFirst("ce-id")).isEqualTo("id%201");
        assertThat(h.getFirst("ce-subject")).isEqualTo("Gr%C3%BC%C3%9Fe");
        assertThat(h.getFirst("ce-datacontenttype")).isEqualTo("application/json");
        assertThat(h.getFirst("ce-tenant")).isEqualTo("acme");
        CloudEvent back = NatsBinding.toEvent(m);
        assertThat(back).isEqualTo(e);
    }

    @Test
    void aStructuredMessageIsJsonWithTheCloudEventsContentType() {
        CloudEvent e = CloudEventBuilder.v1().withId("s-1").withSource(URI.create("/shop")).withType("t")
                .withData("text/plain", b("hello")).build();
        NatsMessage m = NatsBinding.toStructuredMessage("orders", e,
                EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE));
        assertThat(m.getHeaders().getFirst("content-type")).startsWith("application/cloudevents+json");
        assertThat(m.getHeaders().keySet()).doesNotContain("ce-id");
        assertThat(new String(m.getData(), StandardCharsets.UTF_8)).contains("\"id\":\"s-1\"");
        assertThat(NatsBinding.toEvent(m)).isEqualTo(e);
    }

    @Test
    void handMadeHeadersFromAnotherProducerAreReadInAnyCaseQuotedAndWithContentTypeFallback() {
        Headers h = headers("CE-SpecVersion", "1.0", "Ce-Id", "\"x-1\"", "ce-source", "/legacy", "ce-type",
                "legacy.event", "Content-Type", "text/plain; charset=utf-8", "ce-note", "caf%C3%A9");
        CloudEvent e = NatsBinding.toEvent(h, b("body"));
        assertThat(e.getId()).isEqualTo("x-1");
        assertThat(e.getDataContentType()).as("content-type read when ce-datacontenttype is absent")
                .isEqualTo("text/plain; charset=utf-8");
        assertThat(e.getExtension("note")).isEqualTo("café");
        assertThat(e.getData().toBytes()).isEqualTo(b("body"));
    }

    @Test
    void ceDatacontenttypeWinsOverContentType() {
        Headers h = headers("ce-specversion", "1.0", "ce-id", "1", "ce-source", "/s", "ce-type", "t",
                "content-type", "text/plain", "ce-datacontenttype", "application/json");
        assertThat(NatsBinding.toEvent(h, b("{}")).getDataContentType()).isEqualTo("application/json");
    }

    @Test
    void messagesThatAreNotCloudEventsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> NatsBinding.toEvent(null, b("plain"))).isInstanceOf(CloudEventRWException.class);
        assertThatThrownBy(() -> NatsBinding.toEvent(headers("content-type", "text/plain"), b("plain")))
                .isInstanceOf(CloudEventRWException.class);
        assertThatThrownBy(() -> NatsBinding.toEvent(headers("ce-specversion", "1.0", "ce-source", "/s", "ce-type",
                "t"), b("no id"))).isInstanceOf(RuntimeException.class).hasMessageContaining("id");
        assertThatThrownBy(() -> NatsBinding.toEvent(headers("ce-specversion", "1.0", "ce-id", "%FF", "ce-source",
                "/s", "ce-type", "t"), b("x"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> NatsBinding.toEvent(headers("content-type", "application/cloudevents+json"),
                b("{not json"))).isInstanceOf(RuntimeException.class);
    }
}
