package dev.omnibus;

/**
 * Handles deliveries of a subscription. Called on the subscription's handler threads: with
 * {@code concurrency(1)} one call at a time in delivery order; with more, concurrently, but deliveries sharing a
 * partition key always one at a time in order. In {@link AckMode#AUTO}, returning acks and throwing nacks.
 */
@FunctionalInterface
public interface DeliveryHandler {
    /** Handles one delivery; throw to nack it. */
    void handle(Delivery delivery) throws Exception;
}
