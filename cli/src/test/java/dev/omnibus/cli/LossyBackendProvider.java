package dev.omnibus.cli;

import dev.omnibus.Capabilities;
import dev.omnibus.ConfigOption;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.memory.MemoryBackendProvider;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import io.cloudevents.CloudEvent;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Scheme {@code lossy}, for tests of partial outcomes: the memory backend, except that the publish of every event
 * whose id is a number ending in 9 fails (not retryable). Stateless and thread-safe. Not registered in
 * {@code META-INF/services}, so that other tests see the usual backends; {@link #installed} makes it visible.
 */
public final class LossyBackendProvider implements BackendProvider {
    private final MemoryBackendProvider memory = new MemoryBackendProvider();

    /**
     * Runs {@code body} with this provider visible to {@code Omnibus.connect} on the calling thread, through a
     * service file written to {@code dir}.
     */
    static void installed(Path dir, Runnable body) throws IOException {
        Path services = dir.resolve("META-INF/services/" + BackendProvider.class.getName());
        Files.createDirectories(services.getParent());
        Files.writeString(services, LossyBackendProvider.class.getName() + "\n");
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                LossyBackendProvider.class.getClassLoader())) {
            thread.setContextClassLoader(loader);
            body.run();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    @Override
    public String scheme() {
        return "lossy";
    }

    @Override
    public List<ConfigOption<?>> options() {
        return memory.options();
    }

    @Override
    public Backend open(BackendContext context) {
        Backend real = memory.open(context);
        return new Backend() {
            @Override
            public String name() {
                return "lossy";
            }

            @Override
            public Capabilities capabilities() {
                return real.capabilities();
            }

            @Override
            public CompletionStage<PublishReceipt> send(String topic, CloudEvent event) {
                if (event.getId().matches("[0-9]*9")) {
                    return CompletableFuture.failedFuture(new OmnibusException(ErrorCode.INTERNAL,
                            "lossy: event " + event.getId() + " dropped on purpose"));
                }
                return real.send(topic, event);
            }

            @Override
            public Receiver receiver(ReceiverSpec spec) {
                return real.receiver(spec);
            }

            @Override
            public void close() {
                real.close();
            }
        };
    }
}
