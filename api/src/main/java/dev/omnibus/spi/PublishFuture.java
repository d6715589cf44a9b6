package dev.omnibus.spi;

import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The future a {@link Backend#send} returns when the backend confirms a publish later: it can only fail with an
 * {@link OmnibusException}, because {@link #completeExceptionally} passes anything else (unwrapped from a
 * {@link CompletionException}) through the backend's {@link Backend#classify}. The library hands such a future to
 * the caller as it is, where it must otherwise put a typed copy in between: one future, one dependent and one
 * completion fewer per publish, which is a measurable share of the work on a fast broker.
 *
 * <p>Create one per publish with the backend that classifies its failures and complete it like any
 * {@code CompletableFuture}, on any thread. Thread-safe as {@link CompletableFuture} is. The caller may complete it
 * too (through {@code toCompletableFuture()}), and the library fails it with {@code TIMEOUT} when the broker has not
 * answered within {@code publish.timeout}: the backend's own completion is then a no-op, so a backend must not read
 * this future's state to decide what to do with its broker.
 */
public final class PublishFuture extends CompletableFuture<PublishReceipt> {
    private final Backend backend;

    /** A pending publish whose failures {@code backend} classifies. */
    public PublishFuture(Backend backend) {
        this.backend = Objects.requireNonNull(backend, "backend");
    }

    /**
     * Fails this publish with {@code failure} if it is still pending: as it is when it is an
     * {@link OmnibusException}, otherwise as {@link Backend#classify} maps it (the cause of a
     * {@link CompletionException} rather than the wrapper).
     *
     * @return whether this call failed it
     * @throws NullPointerException if {@code failure} is null
     */
    @Override
    public boolean completeExceptionally(Throwable failure) {
        Objects.requireNonNull(failure, "failure");
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        return super.completeExceptionally(cause instanceof OmnibusException ? cause : backend.classify(cause));
    }
}
