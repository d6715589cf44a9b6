package dev.omnibus.tck;

import dev.omnibus.Extensions;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Builds the kit's events. */
final class TestEvents {
    private TestEvents() {
    }

    static CloudEventBuilder builder(String id) {
        return CloudEventBuilder.v1()
                .withId(id)
                .withSource(URI.create("/omnibus/tck"))
                .withType("dev.omnibus.tck.event");
    }

    static CloudEvent text(String id, String text) {
        return builder(id).withData("text/plain", text.getBytes(StandardCharsets.UTF_8)).build();
    }

    static CloudEvent keyed(String id, String key, int sequence) {
        return builder(id).withExtension(Extensions.PARTITION_KEY, key).withExtension("seq", sequence)
                .withData("text/plain", (key + ":" + sequence).getBytes(StandardCharsets.UTF_8)).build();
    }

    /** {@code n} text events with fresh ids starting with {@code prefix}. */
    static List<CloudEvent> many(String prefix, int n) {
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<CloudEvent> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            events.add(text(prefix + "-" + run + "-" + i, "event " + i));
        }
        return events;
    }

    static List<String> ids(List<CloudEvent> events) {
        List<String> ids = new ArrayList<>(events.size());
        events.forEach(e -> ids.add(e.getId()));
        return ids;
    }

    static String dataText(CloudEvent e) {
        return e.getData() == null ? "" : new String(e.getData().toBytes(), StandardCharsets.UTF_8);
    }
}
