package dev.omnibus.spi;

import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.data.BytesCloudEventData;
import io.cloudevents.core.message.MessageReader;
import io.cloudevents.core.message.impl.BaseGenericBinaryMessageReaderImpl;
import io.cloudevents.core.message.impl.GenericStructuredMessageReader;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.rw.CloudEventRWException;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link EventBuilders} gives the event the SDK's own {@code toEvent} gives, for both spec versions and both modes,
 * with and without a source cache, and fails where it fails with its message. If this fails, check
 * {@code EventBuilders.Fast}: every call must reach the builder as the SDK would make it.
 */
class EventBuildersTest {
    @Test
    void binaryEventsAreTheSdksWithTheTimeParsedTheSameWay() {
        for (SpecVersion version : SpecVersion.values()) {
            for (String time : new String[]{null, "2026-12-04T08:07:06.27635673-01:00", "2026-12-04t08:07:06z",
                    "2026-12-04T08:07Z"}) {
                Map<String, String> headers = new LinkedHashMap<>();
                headers.put("ce-specversion", version.toString());
                headers.put("ce-id", "e-1");
                headers.put("ce-source", "/orders");
                headers.put("ce-type", "order.created");
                headers.put("content-type", "application/json");
                if (time != null) {
                    headers.put("ce-time", time);
                }
                headers.put("ce-subject", "o-7");
                headers.put("ce-tenant", "acme");
                CloudEvent expected = new MapReader(version, headers, "{}").toEvent();
                CloudEvent actual = EventBuilders.toEvent(new MapReader(version, headers, "{}"));
                assertThat(actual).as("%s, time %s", version, time).isEqualTo(expected);
                assertThat(actual.getTime()).isEqualTo(expected.getTime());
            }
        }
    }

    @Test
    void anInvalidTimeFailsAsInTheSdk() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("ce-specversion", "1.0");
        headers.put("ce-id", "e-1");
        headers.put("ce-source", "/orders");
        headers.put("ce-type", "order.created");
        headers.put("ce-time", "2026-02-30T08:07:06Z");
        CloudEventRWException sdk = org.junit.jupiter.api.Assertions.assertThrows(CloudEventRWException.class,
                () -> new MapReader(SpecVersion.V1, headers, null).toEvent());
        assertThatThrownBy(() -> EventBuilders.toEvent(new MapReader(SpecVersion.V1, headers, null)))
                .isInstanceOf(CloudEventRWException.class).hasMessage(sdk.getMessage());
    }

    @Test
    void aCachedSourceIsTheSdksAndAnInvalidOneFailsAsInTheSdk() {
        EventBuilders.Sources sources = new EventBuilders.Sources();
        String[] texts = {"/orders", "/orders", "https://example.com/a?b#c", "/orders", "urn:x", "", "/orders"};
        for (SpecVersion version : SpecVersion.values()) {
            for (String text : texts) {
                Map<String, String> headers = new LinkedHashMap<>();
                headers.put("ce-specversion", version.toString());
                headers.put("ce-id", "e-1");
                // a new String each time, as a reader decodes it: the cache compares texts, not references
                headers.put("ce-source", new String(text.toCharArray()));
                headers.put("ce-type", "order.created");
                CloudEvent expected = new MapReader(version, headers, null).toEvent();
                CloudEvent actual = EventBuilders.toEvent(new MapReader(version, headers, null), sources);
                assertThat(actual).as("%s, source '%s'", version, text).isEqualTo(expected);
                assertThat(actual.getSource()).isEqualTo(URI.create(text));
            }
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("ce-specversion", "1.0");
        headers.put("ce-id", "e-1");
        headers.put("ce-source", "not a uri");
        headers.put("ce-type", "order.created");
        CloudEventRWException sdk = org.junit.jupiter.api.Assertions.assertThrows(CloudEventRWException.class,
                () -> new MapReader(SpecVersion.V1, headers, null).toEvent());
        assertThatThrownBy(() -> EventBuilders.toEvent(new MapReader(SpecVersion.V1, headers, null), sources))
                .isInstanceOf(CloudEventRWException.class).hasMessage(sdk.getMessage());
    }

    @Test
    void usualAttributeNamesAreFoundAfterAnyPrefixAndNothingElseIs() {
        String[] usual = {"id", "source", "type", "time", "subject", "dataschema", "datacontenttype", "specversion",
                "partitionkey", "traceparent", "tracestate"};
        for (String prefix : new String[] {"ce-", "ce_", "CE-", "cloudEvents_", "cloudEvents:"}) {
            for (String name : usual) {
                assertThat(EventBuilders.usualAttribute(prefix + name, prefix.length())).as(prefix + name)
                        .isEqualTo(name).isSameAs(EventBuilders.usualAttribute("x-" + name, 2));
                // the caller converts anything else itself: other case, other names, names that only start alike
                assertThat(EventBuilders.usualAttribute(prefix + name.toUpperCase(Locale.ROOT),
                        prefix.length())).isNull();
                assertThat(EventBuilders.usualAttribute(prefix + name + "x", prefix.length())).isNull();
                assertThat(EventBuilders.usualAttribute(prefix + name.substring(1) + "x", prefix.length())).isNull();
            }
            assertThat(EventBuilders.usualAttribute(prefix + "myext", prefix.length())).isNull();
            assertThat(EventBuilders.usualAttribute(prefix, prefix.length())).isNull();
        }
    }

    @Test
    void structuredEventsAreReadByTheSdk() {
        CloudEvent event = CloudEventBuilder.v1().withId("e-1").withSource(URI.create("/orders"))
                .withType("order.created").withTime(OffsetDateTime.parse("2026-12-04T08:07:06Z")).build();
        byte[] json = EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE).serialize(event);
        MessageReader reader = GenericStructuredMessageReader.fromContentType(JsonFormat.CONTENT_TYPE, json);
        assertThat(EventBuilders.toEvent(reader)).isEqualTo(event);
    }

    /** A binary-mode reader over a map of headers, as the backends' readers are over theirs. */
    private static final class MapReader extends BaseGenericBinaryMessageReaderImpl<String, String> {
        private final Map<String, String> headers;

        MapReader(SpecVersion version, Map<String, String> headers, String body) {
            super(version, body == null ? null : BytesCloudEventData.wrap(body.getBytes(StandardCharsets.UTF_8)));
            this.headers = headers;
        }

        @Override
        protected boolean isContentTypeHeader(String key) {
            return key.equals("content-type");
        }

        @Override
        protected boolean isCloudEventsHeader(String key) {
            return key.startsWith("ce-");
        }

        @Override
        protected String toCloudEventsKey(String key) {
            return key.substring(3);
        }

        @Override
        protected void forEachHeader(BiConsumer<String, String> fn) {
            headers.forEach(fn);
        }

        @Override
        protected String toCloudEventsValue(String value) {
            return value;
        }
    }
}
