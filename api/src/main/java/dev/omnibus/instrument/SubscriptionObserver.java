package dev.omnibus.instrument;

import dev.omnibus.Delivery;

import java.time.Duration;

/**
 * Observes one subscription's deliveries; thread-safe: with {@code concurrency > 1} it is called from several handler
 * threads at once. Every method has a no-op default.
 *
 * <p>For one delivery: {@link #handling} and {@link #handled} on the thread that runs the handler, around it; and, on
 * whatever thread settles it, one of {@link #acked}, {@link #nacked} (followed by {@link #deadLettered} when that
 * attempt was the last) or {@link #expired}. A settle made inside the handler may be reported before or after
 * {@link #handled}: AUTO acks of one received batch are reported when the batch's acknowledgement is sent.
 */
public interface SubscriptionObserver {
    /** Observes nothing. */
    SubscriptionObserver NONE = new SubscriptionObserver() {
    };

    /**
     * The handler is about to run for {@code delivery} ({@link Delivery#attempt()} {@code > 1} marks a
     * redelivery), on the thread that runs it.
     *
     * @return a token handed back to {@link #handled} (a span scope, say), or {@code null}
     */
    default Object handling(Delivery delivery) {
        return null;
    }

    /**
     * The handler returned or threw, on the thread that ran it.
     *
     * @param token        what {@link #handling} returned
     * @param nanos        how long the handler ran
     * @param error        what it threw, or {@code null}
     */
    default void handled(Delivery delivery, Object token, long nanos, Throwable error) {
    }

    /** {@code delivery} was acked. */
    default void acked(Delivery delivery) {
    }

    /** {@code delivery} was nacked (by the handler, or because it threw), to be redelivered after {@code delay}. */
    default void nacked(Delivery delivery, Duration delay, String reason) {
    }

    /** {@code delivery} was published to {@code deadLetterTopic} and settled on its topic for good. */
    default void deadLettered(Delivery delivery, String deadLetterTopic, String reason) {
    }

    /** {@code delivery} was not settled before its ack deadline; the broker will redeliver it. */
    default void expired(Delivery delivery) {
    }

    /**
     * {@code count} events were lost for this subscription: {@code reason} {@value #OVERFLOW} (the overflow policy
     * dropped them) or {@value #NOT_REDELIVERABLE} (a failed event on an at-most-once backend, which cannot
     * redeliver).
     */
    default void dropped(String reason, long count) {
    }

    /** The subscription closed; nothing more is reported. */
    default void closed() {
    }

    /** {@link #dropped} reason: the overflow policy dropped events. */
    String OVERFLOW = "overflow";
    /**
     * {@link #dropped} reason: a nacked or failed event, or a MANUAL one left unsettled past its ack deadline, that an
     * at-most-once backend cannot redeliver; the library acked it so the broker's in-flight window is not held.
     */
    String NOT_REDELIVERABLE = "not-redeliverable";
}
