package dev.omnibus.memory.internal;

import dev.omnibus.Extensions;
import io.cloudevents.CloudEvent;

import java.util.Map;

/** One published message: an event, or a raw non-CloudEvents body injected for tests. Immutable. */
final class Entry {
    final String topic;
    final long sequence;
    final String position;
    final String key;
    final long publishedAtMillis;
    final CloudEvent event;
    final String orderingKey;
    final byte[] rawBody;
    final Map<String, String> rawHeaders;

    private Entry(String topic, long sequence, long publishedAtMillis, CloudEvent event, byte[] rawBody,
                  Map<String, String> rawHeaders) {
        this.topic = topic;
        this.sequence = sequence;
        this.position = Long.toString(sequence);
        this.key = topic + "#" + position;
        this.publishedAtMillis = publishedAtMillis;
        this.event = event;
        Object key = event == null ? null : event.getExtension(Extensions.PARTITION_KEY);
        this.orderingKey = key == null ? null : key.toString();
        this.rawBody = rawBody;
        this.rawHeaders = rawHeaders;
    }

    static Entry event(String topic, long sequence, long publishedAtMillis, CloudEvent event) {
        return new Entry(topic, sequence, publishedAtMillis, event, null, null);
    }

    static Entry raw(String topic, long sequence, long publishedAtMillis, byte[] body, Map<String, String> headers) {
        return new Entry(topic, sequence, publishedAtMillis, null, body.clone(), Map.copyOf(headers));
    }
}
