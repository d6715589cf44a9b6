package dev.omnibus;

import io.cloudevents.CloudEvent;

import java.util.concurrent.CompletionStage;

/**
 * Publishes CloudEvents; thread-safe and cheap (a handle on the shared connection: take one per component,
 * or share one). Creates no threads.
 *
 * <p>{@code publish} validates the topic and event first and throws {@link InvalidArgumentException} for a
 * non-portable topic or {@link InvalidEventException} for an invalid event, or an {@link OmnibusException} with
 * {@link ErrorCode#CLOSED} once closed, before anything reaches the wire. Everything that happens after is reported
 * through the returned stage: it completes when the broker accepted the event with the backend's strongest cheap
 * guarantee, or fails with an {@link OmnibusException} whose {@link OmnibusException#isRetryable()} says whether
 * retrying may help. It never stays pending past the {@code publish.timeout} option (checked by one periodic sweep per
 * connection, so at most 100 ms late). A timed-out or unavailable publish is ambiguous: the broker may have accepted
 * it; publish with the same event id where the backend deduplicates.
 */
public interface Publisher extends AutoCloseable {
    /** Publishes {@code event} to {@code topic}. */
    CompletionStage<PublishReceipt> publish(String topic, CloudEvent event);

    /**
     * Closes this handle; later publishes fail with {@link ErrorCode#CLOSED}. Publishes already sent still complete.
     */
    @Override
    void close();
}
