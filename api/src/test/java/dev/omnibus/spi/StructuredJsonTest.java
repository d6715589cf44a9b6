package dev.omnibus.spi;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.jackson.JsonFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Structured mode keeps JSON data byte for byte, and stays what the SDK's format writes and reads otherwise. */
class StructuredJsonTest {
    private static final EventFormat SDK = new JsonFormat();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static CloudEvent event(String contentType, byte[] data) {
        CloudEventBuilder b = CloudEventBuilder.v1().withId("e-1").withSource(URI.create("/orders"))
                .withType("order.created").withSubject("order/42")
                .withTime(OffsetDateTime.of(2026, 11, 22, 10, 15, 30, 123_000_000, ZoneOffset.UTC))
                .withDataSchema(URI.create("https://example.com/s.json"))
                .withExtension("tenant", "acme").withExtension("count", 7).withExtension("flag", true);
        return data == null ? b.build() : b.withData(contentType, data).build();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{ \"total\" : 12.50,\n  \"order\": 42, \"ratio\": 1E2, \"note\": \"caf\\u00e9\" }",
        "[1e3, -0.0, 1.50, {\"z\":1,\"a\":2}]",
        "  \"a string with \\\"quotes\\\", \\\\ and } ] , inside\"  ",
        "42.000",
        "null",
        "{\"nested\":{\"deep\":[[[]],{}]},\"unicode\":\"\u00e9\u4e2d\ud83d\ude00\"}\n",
    })
    void jsonDataComesBackByteForByteAndTheSdkReadsTheSameValue(String json) throws Exception {
        for (String type : new String[] {"application/json", "text/json; charset=utf-8", "application/order+json"}) {
            CloudEvent e = event(type, b(json));
            byte[] wire = StructuredJson.serialize(SDK, e);
            CloudEvent back = StructuredJson.deserialize(SDK, wire);
            assertThat(back.getData().toBytes()).as(type + ": our reader on our writer").isEqualTo(b(json));
            assertThat(back).usingRecursiveComparison().ignoringFields("data").isEqualTo(e);
            // the envelope is valid JSON, and the SDK's reader takes the same event with the same JSON value
            CloudEvent bySdk = SDK.deserialize(wire);
            assertThat(bySdk).usingRecursiveComparison().ignoringFields("data").isEqualTo(e);
            assertThat(MAPPER.readTree(bySdk.getData().toBytes())).isEqualTo(MAPPER.readTree(json));
        }
    }

    @Test
    void theSdkAloneReshapesJsonData() {
        String json = "{ \"total\" : 12.50, \"ratio\": 1E2 }";
        CloudEvent back = SDK.deserialize(SDK.serialize(event("application/json", b(json))));
        assertThat(back.getData().toBytes()).as("what this class exists for").isNotEqualTo(b(json));
    }

    @Test
    void ourReaderGivesTheBytesAForeignProducerWrote() {
        byte[] foreign = b("{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"/s\",\"type\":\"t\","
                + "\"datacontenttype\":\"application/json\",\"data\": {\"a\" : 1.0} ,\"tenant\":\"acme\"}");
        CloudEvent e = StructuredJson.deserialize(SDK, foreign);
        assertThat(e.getData().toBytes()).isEqualTo(b(" {\"a\" : 1.0} "));
        assertThat(e.getExtension("tenant")).isEqualTo("acme");
        // no datacontenttype: JSON by the format's rule
        CloudEvent untyped = StructuredJson.deserialize(SDK, b("{\"specversion\":\"1.0\",\"id\":\"x\","
                + "\"source\":\"/s\",\"type\":\"t\",\"data\":[1.50]}"));
        assertThat(untyped.getData().toBytes()).isEqualTo(b("[1.50]"));
    }

    @Test
    void nonJsonDataAndNoDataAreWhatTheSdkWrites() {
        for (CloudEvent e : new CloudEvent[] {
            event("text/plain", b("plain \"text\" {")),
            event("application/octet-stream", new byte[] {0, 1, 2, (byte) 0xff}),
            event(null, null),
        }) {
            byte[] wire = StructuredJson.serialize(SDK, e);
            assertThat(wire).isEqualTo(SDK.serialize(e));
            CloudEvent back = StructuredJson.deserialize(SDK, wire);
            assertThat(back).isEqualTo(SDK.deserialize(wire));
            if (e.getData() != null) {
                assertThat(back.getData().toBytes()).isEqualTo(e.getData().toBytes());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":1} {\"b\":2}", "data 5 \u2713", "hello", "{hello}", "[1,]", "01", "\"open",
        "tru", "{\"a\":1", "", "   ", "1.", "-", "\"tab\there\""})
    void dataOfAJsonTypeThatIsNotOneJsonValueGoesOutAsBase64(String text) throws Exception {
        // the SDK's format embeds such bytes as they are: an envelope no reader parses, the event lost to everyone
        byte[] bytes = b(text);
        for (String type : new String[] {null, "application/json", "application/order+json; charset=utf-8"}) {
            for (CloudEventBuilder builder : List.of(CloudEventBuilder.v1(), CloudEventBuilder.v03())) {
                CloudEvent e = builder.withId("e-1").withSource(URI.create("/orders")).withType("t")
                        .withExtension("tenant", "acme").withData(type, bytes).build();
                byte[] wire = StructuredJson.serialize(SDK, e);
                var tree = MAPPER.readTree(wire);
                String what = type + ", " + e.getSpecVersion() + ": " + new String(wire, StandardCharsets.UTF_8);
                assertThat(tree.has(e.getSpecVersion() == SpecVersion.V1 ? "data_base64" : "datacontentencoding"))
                        .as(what).isTrue();
                assertThat(tree.has("datacontenttype")).as(what).isEqualTo(type != null);
                if (type != null) {
                    assertThat(tree.get("datacontenttype").asText()).isEqualTo(type);
                }
                assertThat(tree.get("tenant").asText()).isEqualTo("acme");
                CloudEvent bySdk = SDK.deserialize(wire);
                // the SDK reads a 0.3 envelope without a content type as application/json (the envelope has none)
                boolean defaulted = type == null && e.getSpecVersion() == SpecVersion.V03;
                assertThat(bySdk.getDataContentType()).as(what).isEqualTo(defaulted ? "application/json" : type);
                assertThat(bySdk.getData() == null ? new byte[0] : bySdk.getData().toBytes()).as(what)
                        .isEqualTo(bytes);
                if (bytes.length > 0 && !defaulted) {
                    assertThat(StructuredJson.deserialize(SDK, wire)).as(what).isEqualTo(e);
                }
            }
        }
        // UTF-16: valid JSON, but not bytes to put inside a UTF-8 envelope
        CloudEvent utf16 = event("application/json", "{\"a\":1}".getBytes(StandardCharsets.UTF_16LE));
        byte[] wire = StructuredJson.serialize(SDK, utf16);
        assertThat(MAPPER.readTree(wire).has("data_base64")).isTrue();
        assertThat(StructuredJson.deserialize(SDK, wire)).isEqualTo(utf16);
    }

    @Test
    void theScannerFindsOnlyTheTopLevelDataMember() {
        byte[] json = b("{\"x\":{\"data\":1},\"data_base64\":\"AA==\",\"s\":\"\\\"data\\\":2\",\"data\":[3] }");
        int[] span = StructuredJson.dataSpan(json);
        assertThat(new String(json, span[0], span[1] - span[0], StandardCharsets.UTF_8)).isEqualTo("[3] ");
        assertThat(StructuredJson.dataSpan(b("{\"data_base64\":\"AA==\"}"))).isNull();
        assertThat(StructuredJson.dataSpan(b("[1]"))).isNull();
        assertThat(StructuredJson.dataSpan(b("{\"data\":\"unterminated}"))).isNull();
    }

    @Test
    void specZeroThreeDataTheFormatWroteAsBase64StaysBase64() throws Exception {
        // the 0.3 format takes only application/json and text/json for JSON: a +json type's data goes out as a base64
        // string with "datacontentencoding":"base64", which splicing the raw JSON in would make unreadable
        byte[] json = b("{\"n\":1,\"s\":\"\u00fc\"}");
        CloudEvent e = CloudEventBuilder.v03().withId("e-1").withSource(URI.create("/orders")).withType("t")
                .withData("application/vnd.example+json", json).build();
        byte[] wire = StructuredJson.serialize(SDK, e);
        assertThat(wire).isEqualTo(SDK.serialize(e));
        assertThat(MAPPER.readTree(wire).get("datacontentencoding").asText()).isEqualTo("base64");
        assertThat(StructuredJson.deserialize(SDK, wire)).isEqualTo(e);
        assertThat(StructuredJson.restoreData(SDK.deserialize(wire), wire).getData().toBytes()).isEqualTo(json);
        assertThat(StructuredJson.dataSpan(b("{\"data\":\"AA==\",\"datacontentencoding\":\"base64\"}"))).isNull();
    }
}
