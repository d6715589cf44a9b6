package dev.omnibus;

/** How deliveries are settled. */
public enum AckMode {
    /** The handler returning acks; the handler throwing nacks (and counts towards dead-lettering). */
    AUTO,
    /**
     * The handler calls {@link Delivery#ack()} or {@link Delivery#nack()} itself, during or after handling; a
     * handler that throws without having settled still nacks. Unsettled deliveries are redelivered after the ack
     * deadline and free their {@code maxInFlight} slot then.
     */
    MANUAL
}
