package dev.omnibus.internal;

import dev.omnibus.Capabilities;
import dev.omnibus.ConfigOption;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;
import dev.omnibus.spi.PublishFuture;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import io.cloudevents.CloudEvent;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Scheme {@code hangtest}: a backend whose broker never confirms a publish, to test the portable publish timeout.
 * Address {@code typed} answers with a {@link PublishFuture} (returned to the caller as it is), any other with a plain
 * {@link CompletableFuture} (which the library wraps).
 */
public final class HangingProvider implements BackendProvider {
    @Override
    public String scheme() {
        return "hangtest";
    }

    @Override
    public List<ConfigOption<?>> options() {
        return List.of();
    }

    @Override
    public Backend open(BackendContext context) {
        boolean typed = "typed".equals(context.address());
        return new Backend() {
            @Override
            public String name() {
                return "hangtest";
            }

            @Override
            public Capabilities capabilities() {
                return Capabilities.builder().build();
            }

            @Override
            public CompletionStage<PublishReceipt> send(String topic, CloudEvent event) {
                return typed ? new PublishFuture(this) : new CompletableFuture<>();
            }

            @Override
            public Receiver receiver(ReceiverSpec spec) {
                throw new OmnibusException(ErrorCode.UNSUPPORTED, "hangtest cannot receive");
            }

            @Override
            public void close() {
            }
        };
    }
}
