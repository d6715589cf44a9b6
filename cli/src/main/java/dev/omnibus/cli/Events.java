package dev.omnibus.cli;

import dev.omnibus.Extensions;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.net.URI;
import java.nio.charset.StandardCharsets;

/** Builds the events the commands publish and renders the data of those they receive; stateless and thread-safe. */
final class Events {
    private Events() {
    }

    /**
     * A CloudEvents 1.0 event; {@code contentType}, {@code data} and {@code partitionKey} may be {@code null}
     * (then left out).
     */
    static CloudEvent event(String id, URI source, String type, String contentType, byte[] data, String partitionKey) {
        CloudEventBuilder event = CloudEventBuilder.v1().withId(id).withSource(source).withType(type);
        if (data != null) {
            event.withDataContentType(contentType).withData(data);
        }
        if (partitionKey != null) {
            event.withExtension(Extensions.PARTITION_KEY, partitionKey);
        }
        return event.build();
    }

    /** The event's data decoded as UTF-8 text, or {@code ""} when it has none. */
    static String dataText(CloudEvent event) {
        CloudEventData data = event.getData();
        return data == null ? "" : new String(data.toBytes(), StandardCharsets.UTF_8);
    }
}
