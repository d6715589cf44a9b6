package dev.omnibus;

import java.util.Objects;

/**
 * What the broker assigned to a published event; immutable and thread-safe.
 *
 * <p>{@link #position()} is the broker's own position in its own notation: a memory/JetStream sequence, a
 * Kafka {@code partition@offset}, a Redis stream entry id, a Pub/Sub message id. {@link #duplicate()} is true
 * when a deduplicating broker recognised the event id and did not store it again.
 */
public final class PublishReceipt {
    private final String topic;
    private final String eventId;
    private final String position;
    private final boolean duplicate;

    /** A receipt; {@code position} must be non-empty. */
    public PublishReceipt(String topic, String eventId, String position, boolean duplicate) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.eventId = Objects.requireNonNull(eventId, "eventId");
        this.position = Objects.requireNonNull(position, "position");
        if (position.isEmpty()) {
            throw new IllegalArgumentException("a receipt needs the broker-assigned position");
        }
        this.duplicate = duplicate;
    }

    /** The topic published to. */
    public String topic() {
        return topic;
    }

    /** The event's id. */
    public String eventId() {
        return eventId;
    }

    /** The broker-assigned position. */
    public String position() {
        return position;
    }

    /** Whether the broker dropped this publish as a duplicate of an earlier event id. */
    public boolean duplicate() {
        return duplicate;
    }

    @Override
    public String toString() {
        return "PublishReceipt{topic=" + topic + ", id=" + eventId + ", position=" + position
                + (duplicate ? ", duplicate" : "") + "}";
    }
}
