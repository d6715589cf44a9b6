package dev.omnibus;

/**
 * A snapshot of a subscription's counters since it started; immutable.
 *
 * @param delivered     handler invocations
 * @param acked         deliveries acked
 * @param nacked        deliveries nacked (explicitly or by a throwing handler), dead-lettered ones included
 * @param redelivered   deliveries with {@code attempt > 1}
 * @param deadLettered  events published to the dead-letter topic and settled on the source
 * @param expired       deliveries whose ack deadline passed unsettled
 * @param invalid       messages on the wire that were not valid CloudEvents
 * @param dropped       events dropped by the backend for this subscription (overflow policy DROP/DISCONNECT)
 * @param inFlight      deliveries currently unsettled
 */
public record SubscriptionStats(long delivered, long acked, long nacked, long redelivered, long deadLettered,
                                long expired, long invalid, long dropped, int inFlight) {
}
