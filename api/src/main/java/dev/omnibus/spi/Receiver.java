package dev.omnibus.spi;

import java.time.Duration;
import java.util.List;

/**
 * Consumes one subscription for the portable layer. {@link #receive} is called by a single library thread;
 * {@link #ack}, {@link #nack}, {@link #deadLettered} and {@link #extend} may be called from any thread, also
 * concurrently with {@code receive}, so they must be thread-safe (a driver whose client is single-threaded queues
 * them for its receive thread).
 *
 * <p>Each message is settled at most once by the library. Errors: throw an
 * {@link dev.omnibus.OmnibusException}; retryable ones make the library wait with the shared backoff and call
 * {@code receive} again (the receiver must then resume consuming, reconnecting if needed), non-retryable ones end
 * the subscription.
 */
public interface Receiver {
    /**
     * Waits up to {@code maxWait} for messages and returns between 0 and {@code max} of them (never more: the
     * library relies on it for exact flow control). Returns early when messages are available.
     */
    List<ReceivedMessage> receive(int max, Duration maxWait) throws InterruptedException;

    /** Acknowledges {@code message} with the broker's verb. */
    void ack(ReceivedMessage message);

    /**
     * Acknowledges several messages at once (the library batches AUTO acks of one received batch); the default acks
     * each. Override where the broker has a batch verb (XACK with many ids, one commit).
     */
    default void ackAll(List<ReceivedMessage> messages) {
        for (ReceivedMessage m : messages) {
            ack(m);
        }
    }

    /** Asks the broker to redeliver {@code message}, no earlier than {@code delay} ({@link Duration#ZERO}: now). */
    void nack(ReceivedMessage message, Duration delay);

    /**
     * {@code message} was published to the dead-letter topic by the library: settle it for good on the source
     * (ack by default; JetStream uses {@code term}).
     */
    default void deadLettered(ReceivedMessage message) {
        ack(message);
    }

    /** The handlers of {@code messages} are still running: push their ack deadlines out (no-op by default). */
    default void extend(List<ReceivedMessage> messages) {
    }

    /**
     * How many events on the broker this subscription (its group, if it has one) has yet to receive: the consumer
     * lag, {@code -1} where the broker cannot tell (the default). Called from any thread (a metrics scrape), never
     * by the receive loop; it may ask the broker, but must be bounded (a second or so) and must not disturb
     * {@link #receive}. Errors: return {@code -1} rather than throw.
     */
    default long lag() {
        return -1;
    }

    /** Events this subscription lost to the backend's overflow policy so far (0 where it never drops). */
    default long dropped() {
        return 0;
    }

    /**
     * Stops consuming. Unsettled messages are left to the broker's redelivery. Must stop any thread it started
     * and make a concurrent {@code receive} return.
     */
    void close();
}
