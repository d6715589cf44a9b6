package dev.omnibus;

import io.cloudevents.CloudEvent;

import java.time.Duration;

/**
 * One delivery of one event to one subscription; thread-safe: settle it from any thread.
 *
 * <p>Settling is idempotent and the first call wins: {@link #ack()}, {@link #nack()} and
 * {@link #nack(Duration)} return {@code true} only for the call that settled the delivery. A delivery whose
 * ack deadline passed unsettled is expired: the broker redelivers it, and settling it later returns
 * {@code false}.
 */
public interface Delivery {
    /** The event. For a {@linkplain #isRaw() raw} message: type {@value Extensions#RAW_EVENT_TYPE}, data = body. */
    CloudEvent event();

    /** The topic the event was published to (for a wildcard subscription, the concrete topic). */
    String topic();

    /** The group, or {@code null}. */
    String group();

    /** Which delivery of this event this is: 1 the first time, then counting up on each redelivery. */
    int attempt();

    /** The broker's position of this event (sequence, offset, entry id, message id), or {@code null} if none. */
    String position();

    /** Whether the message on the wire was not a valid CloudEvent and is delivered raw. */
    boolean isRaw();

    /** Acknowledges: the event will not be delivered to this subscription (or group) again. */
    boolean ack();

    /** Negatively acknowledges: redeliver as soon as possible (or dead-letter after the last attempt). */
    boolean nack();

    /** Negatively acknowledges: redeliver no earlier than {@code delay} (needs {@link Capability#DELAYED_NACK}). */
    boolean nack(Duration delay);
}
