package dev.omnibus.instrument;

import io.cloudevents.CloudEvent;

import java.util.Objects;

/**
 * One publish as an {@link Instrumentation} sees it before it is sent; not thread-safe: it belongs to the publishing
 * thread for the duration of {@link BusObserver#publishing(PublishContext)}. An observer may replace the event,
 * for instance to add trace-context extensions; the event sent is the one here after every observer has run.
 */
public final class PublishContext {
    private final String topic;
    private final String eventId;
    private CloudEvent event;

    /** A publish of {@code event} to {@code topic}; created by the library. */
    public PublishContext(String topic, CloudEvent event) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.event = Objects.requireNonNull(event, "event");
        this.eventId = event.getId();
    }

    /** The topic published to. */
    public String topic() {
        return topic;
    }

    /** The event to send. */
    public CloudEvent event() {
        return event;
    }

    /**
     * Replaces the event to send: it must keep the id (instrumentation adds extensions; it does not make a new
     * event).
     *
     * @throws IllegalArgumentException if {@code replacement} is null or has another id
     */
    public void event(CloudEvent replacement) {
        if (replacement == null || !eventId.equals(replacement.getId())) {
            throw new IllegalArgumentException("an instrumentation may only replace an event by one with the same id '"
                    + eventId + "', got " + (replacement == null ? "null" : "'" + replacement.getId() + "'"));
        }
        this.event = replacement;
    }
}
