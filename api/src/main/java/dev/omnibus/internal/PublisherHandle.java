package dev.omnibus.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.Publisher;
import dev.omnibus.instrument.PublishContext;
import dev.omnibus.instrument.PublishObserver;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.PublishFuture;
import dev.omnibus.spi.Topics;
import io.cloudevents.CloudEvent;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * A {@link Publisher} handle: validates, sends, bounds the wait and types every failure. A backend's
 * {@link PublishFuture} already fails typed and is returned as it is; any other future gets a typed copy.
 */
final class PublisherHandle implements Publisher {
    private final OmnibusImpl bus;
    private volatile boolean closed;

    PublisherHandle(OmnibusImpl bus) {
        this.bus = bus;
    }

    @Override
    public CompletionStage<PublishReceipt> publish(String topic, CloudEvent event) {
        if (closed) {
            throw new OmnibusException(ErrorCode.CLOSED, "publisher is closed");
        }
        bus.ensureOpen();
        Backend backend = bus.driver();
        Topics.validateTopic("topic", topic);
        EventValidation.validate(event, bus.capabilities().maxPayloadBytes(), backend.name());
        Observers.Bus observers = bus.observers();
        if (observers == null) {
            return send(backend, topic, event);
        }
        PublishContext context = new PublishContext(topic, event);
        PublishObserver observed = observers.publishing(context);
        CompletionStage<PublishReceipt> result = send(backend, topic, context.event());
        if (observed != null) {
            CompletableFuture<PublishReceipt> f = result.toCompletableFuture();
            if (f.isDone() && !f.isCompletedExceptionally()) {
                Observers.completed(observed, f.join(), null);
            } else {
                f.whenComplete((receipt, error) -> Observers.completed(observed, receipt, error));
            }
        }
        return result;
    }

    private CompletionStage<PublishReceipt> send(Backend backend, String topic, CloudEvent event) {
        CompletableFuture<PublishReceipt> sent;
        try {
            sent = backend.send(topic, event).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(backend.classify(e));
        }
        if (sent.isDone() && !sent.isCompletedExceptionally()) {
            return sent;
        }
        if (sent instanceof PublishFuture) {
            // fails only typed (PublishFuture classifies), so it can go to the caller as it is: no typed copy, no
            // dependent, no second completion per publish. The timeout fails the backend's own future then, which
            // PublishFuture's contract allows.
            if (!sent.isDone()) {
                bus.publishTimeouts().track(sent, topic, event.getId());
            }
            return sent;
        }
        CompletableFuture<PublishReceipt> result = new CompletableFuture<>();
        sent.whenComplete((receipt, error) -> {
            if (error == null) {
                result.complete(receipt);
            } else {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                result.completeExceptionally(backend.classify(cause));
            }
        });
        if (!result.isDone()) {
            bus.publishTimeouts().track(result, topic, event.getId());
        }
        return result;
    }

    @Override
    public void close() {
        closed = true;
    }
}
