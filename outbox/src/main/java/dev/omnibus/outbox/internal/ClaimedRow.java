package dev.omnibus.outbox.internal;

/**
 * An outbox row a relay holds locked in its claim transaction; immutable.
 *
 * @param seq the row's position in the outbox
 * @param topic where to publish
 * @param partitionKey the event's partition key, or null
 * @param event the stored event ({@link EventCodec})
 * @param attempts failed publishes so far
 */
public record ClaimedRow(long seq, String topic, String partitionKey, byte[] event, int attempts) {
}
