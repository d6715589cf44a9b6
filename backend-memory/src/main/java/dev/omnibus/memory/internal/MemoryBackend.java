package dev.omnibus.memory.internal;

import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.ConfigException;
import dev.omnibus.ConnectionState;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.memory.MemoryBackendProvider;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import io.cloudevents.CloudEvent;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/** One connection to a named in-process {@link Broker}. */
public final class MemoryBackend implements Backend {
    static final String DEFAULT_NAME = "default";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{0,128}");

    private final Broker broker;
    private final Capabilities capabilities;
    private final BackendContext context;
    private final AtomicBoolean closed = new AtomicBoolean();

    private MemoryBackend(Broker broker, int maxPayload, BackendContext context) {
        this.broker = broker;
        this.context = context;
        Capabilities.Builder caps = Capabilities.builder()
                .supports(Capability.AT_LEAST_ONCE, Capability.GROUPS, Capability.REPLAY, Capability.ORDERING,
                        Capability.NACK, Capability.DELAYED_NACK, Capability.WILDCARDS, Capability.OVERFLOW_POLICY)
                .denies(Capability.DURABLE, "in-process: events live only while a connection to the broker is open")
                .denies(Capability.NATIVE_DEAD_LETTER, "dead-lettering is done by the library")
                .maxPayloadBytes(maxPayload);
        if (broker.dedup) {
            caps.supports(Capability.DEDUP);
        } else {
            caps.denies(Capability.DEDUP, "dedup is off for broker '" + broker.name + "': connect with ?dedup=true");
        }
        this.capabilities = caps.build();
    }

    /** Opens a connection to the broker named by the URL address. */
    public static MemoryBackend open(BackendContext context) {
        String name = context.address();
        while (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        if (!NAME.matcher(name).matches()) {
            throw new ConfigException("memory broker name in '" + context.redactedUrl() + "' must be 0 to 128 "
                    + "characters of A-Z a-z 0-9 . _ - (mem://<name>)");
        }
        Broker broker = Broker.acquire(name.isEmpty() ? DEFAULT_NAME : name,
                context.get(MemoryBackendProvider.RETENTION), context.get(MemoryBackendProvider.DEDUP),
                context.get(MemoryBackendProvider.DEDUP_WINDOW));
        MemoryBackend backend = new MemoryBackend(broker, context.get(MemoryBackendProvider.MAX_PAYLOAD), context);
        context.connectionState(ConnectionState.CONNECTED, null);
        return backend;
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public CompletionStage<PublishReceipt> send(String topic, CloudEvent event) {
        try {
            return CompletableFuture.completedFuture(broker.publish(topic, event));
        } catch (OmnibusException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public Receiver receiver(ReceiverSpec spec) {
        return new MemoryReceiver(broker.open(spec));
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Broker.release(broker);
            context.connectionState(ConnectionState.CLOSED, null);
        }
    }
}
