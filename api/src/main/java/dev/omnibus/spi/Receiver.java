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
     * library relies on it for exact flow control). Returns early when messages are available. The library also
     * calls it with a {@code maxWait} of a millisecond in the middle of a batch, to take what the driver already
     * holds. One message the driver cannot read is returned as {@link ReceivedMessage#invalid}, never thrown, and no
     * thread of the driver may end on it (kit rule R22).
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

    /**
     * The library still holds {@code messages} (a handler runs them, or they wait their turn in a batch or a lane
     * queue, or their ack is not sent yet): push their broker deadline out by the ack deadline, with the broker's own
     * verb. The library calls it every quarter deadline for everything it holds (kit rule R21); no-op by default,
     * right only for a broker without a redelivery deadline. Messages the driver holds itself and has not returned
     * from {@link #receive} yet (a read-ahead) the library cannot see: the driver keeps those alive itself.
     */
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
     * Close began: make a {@link #receive} call in progress return now (empty, or with what it already holds), and
     * the next call return at once. The library calls it from the closing thread, before it waits for its receive
     * thread to end, so a close does not wait out the receive call's {@code maxWait} (up to 100 ms per subscription,
     * which closing a thousand subscriptions one by one adds up). Must not block; any thread. No-op by default, right
     * for a client that cannot be woken (a blocking read on a socket): close then takes up to the {@code maxWait}.
     * Never close or unsubscribe here: {@link #close} comes later, once handlers have settled.
     */
    default void wakeup() {
    }

    /**
     * Stops consuming. Unsettled messages are left to the broker's redelivery. Every ack given before {@code close}
     * was called must have been sent (or be waited for) when it returns: the library acks up to this call and
     * nothing after it (kit rule R24). Must stop any thread it started and make a concurrent {@code receive} return.
     */
    void close();
}
