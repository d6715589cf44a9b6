package dev.omnibus.cli;

import dev.omnibus.Extensions;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.TreeSet;

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

    /**
     * The event in the shape of the CloudEvents JSON format (context attributes, extensions as strings, then
     * {@code data} as a string when it is UTF-8 text, else {@code data_base64}).
     */
    static Json json(CloudEvent event) {
        Json json = new Json().field("specversion", event.getSpecVersion().toString()).field("id", event.getId())
                .field("source", event.getSource().toString()).field("type", event.getType());
        if (event.getDataContentType() != null) {
            json.field("datacontenttype", event.getDataContentType());
        }
        if (event.getDataSchema() != null) {
            json.field("dataschema", event.getDataSchema().toString());
        }
        if (event.getSubject() != null) {
            json.field("subject", event.getSubject());
        }
        if (event.getTime() != null) {
            json.field("time", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(event.getTime()));
        }
        for (String name : new TreeSet<>(event.getExtensionNames())) {
            Object value = event.getExtension(name);
            json.field(name, value instanceof byte[] binary ? Base64.getEncoder().encodeToString(binary)
                    : String.valueOf(value));
        }
        if (event.getData() != null) {
            json.data("data", event.getData().toBytes());
        }
        return json;
    }

    /** The event's data decoded as UTF-8 text, or {@code ""} when it has none. */
    static String dataText(CloudEvent event) {
        CloudEventData data = event.getData();
        return data == null ? "" : new String(data.toBytes(), StandardCharsets.UTF_8);
    }
}
