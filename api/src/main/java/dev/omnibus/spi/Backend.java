package dev.omnibus.spi;

import dev.omnibus.Capabilities;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import io.cloudevents.CloudEvent;

import java.util.concurrent.CompletionStage;

/**
 * An open backend: one broker connection shared by every publisher and subscription of an
 * {@link dev.omnibus.Omnibus}. Must be thread-safe.
 */
public interface Backend {
    /** The backend's short name ({@code memory}, {@code kafka}, ...), used in messages and metrics. */
    String name();

    /** What it can do; constant for its lifetime. */
    Capabilities capabilities();

    /**
     * Sends one event, already validated (topic portable, required attributes present, data within
     * {@link Capabilities#maxPayloadBytes()}). Completes when the broker accepted it, with the broker's position.
     * Must not retry; must not block the caller for long (buffer, or fail with
     * {@link ErrorCode#RESOURCE_EXHAUSTED}). Failures: complete exceptionally, ideally with an
     * {@link OmnibusException}; anything else goes through {@link #classify(Throwable)}.
     */
    CompletionStage<PublishReceipt> send(String topic, CloudEvent event);

    /**
     * Opens a receiver for one subscription; the library has already checked {@code spec} against the
     * capabilities. Provision what the broker needs (group, consumer, subscription) here.
     */
    Receiver receiver(ReceiverSpec spec);

    /**
     * Maps a broker client's exception to a portable one (code and retryability, the original as cause). The
     * default says {@link ErrorCode#UNKNOWN}, not retryable.
     */
    default OmnibusException classify(Throwable error) {
        if (error instanceof OmnibusException) {
            return (OmnibusException) error;
        }
        return new OmnibusException(ErrorCode.UNKNOWN, name() + ": " + error, error);
    }

    /** Closes the connection. Receivers were closed before. Must not leave threads behind. */
    void close();
}
