package dev.omnibus.spring.boot;

import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.net.URI;
import java.nio.charset.StandardCharsets;

/** Events for the tests. */
final class Events {
    private Events() {
    }

    static CloudEvent json(String id, String json) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/spring-test")).withType("test")
                .withDataContentType("application/json").withData(json.getBytes(StandardCharsets.UTF_8)).build();
    }

    static CloudEvent text(String id, String text) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/spring-test")).withType("test")
                .withDataContentType("text/plain").withData(text.getBytes(StandardCharsets.UTF_8)).build();
    }
}
