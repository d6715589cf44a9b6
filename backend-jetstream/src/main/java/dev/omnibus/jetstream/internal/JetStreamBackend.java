package dev.omnibus.jetstream.internal;

import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.jetstream.JetStreamBackendProvider;
import dev.omnibus.nats.NatsBackendProvider;
import dev.omnibus.nats.NatsBinding;
import dev.omnibus.nats.shared.NatsConnector;
import dev.omnibus.nats.shared.NatsWire;
import dev.omnibus.nats.shared.ServerErrors;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.PublishFuture;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import io.cloudevents.CloudEvent;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.PublishOptions;
import io.nats.client.api.StorageType;
import io.nats.client.impl.NatsMessage;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * JetStream over one jnats connection; thread-safe. Publishes are asynchronous JetStream publishes (at most
 * {@code publish.max.outstanding} awaiting their PubAck); the first publish to a topic resolves (or creates) its
 * stream synchronously, later ones use the cached answer. Threads: jnats' own, stopped by {@link #close()}.
 */
public final class JetStreamBackend implements Backend {
    static final String NAME = "jetstream";

    private final NatsConnector connector;
    private final NatsWire wire;
    private final JetStream js;
    private final JetStreamManagement jsm;
    private final Streams streams;
    private final Capabilities capabilities;
    private final int maxOutstanding;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final Set<JetStreamReceiver> receivers = ConcurrentHashMap.newKeySet();
    /**
     * Publishes awaiting their PubAck, by subject as the server's violations name it: a publish the server's
     * permissions deny gets no PubAck, only an {@code -ERR}, which fails them at once instead of after the timeout.
     */
    private final ConcurrentHashMap<String, Set<CompletableFuture<PublishReceipt>>> awaitingAck =
            new ConcurrentHashMap<>();

    private JetStreamBackend(NatsConnector connector, BackendContext context) throws IOException {
        this.connector = connector;
        connector.onServerError(this::onServerError);
        boolean structured = context.get(NatsBackendProvider.STRUCTURED);
        this.wire = new NatsWire(structured);
        JetStreamOptions options = JetStreamOptions.builder().requestTimeout(context.publishTimeout()).build();
        this.js = connector.connection().jetStream(options);
        this.jsm = connector.connection().jetStreamManagement(options);
        int prefixTokens = context.get(JetStreamBackendProvider.STREAM_PREFIX_TOKENS);
        JetStreamBackendProvider.Storage storage = context.get(JetStreamBackendProvider.STREAM_STORAGE);
        this.streams = new Streams(connector, jsm, prefixTokens,
                storage == JetStreamBackendProvider.Storage.FILE ? StorageType.File : StorageType.Memory,
                context.get(JetStreamBackendProvider.STREAM_MAX_AGE));
        this.maxOutstanding = context.get(JetStreamBackendProvider.MAX_OUTSTANDING);
        Capabilities.Builder caps = Capabilities.builder()
                .supports(Capability.AT_LEAST_ONCE, Capability.GROUPS, Capability.REPLAY, Capability.ORDERING,
                        Capability.NACK, Capability.DELAYED_NACK, Capability.DEDUP, Capability.WILDCARDS,
                        Capability.DURABLE)
                .denies(Capability.NATIVE_DEAD_LETTER, "JetStream stops redelivering at MaxDeliver but publishes no "
                        + "dead letter: the library publishes the event to the dead-letter topic, then terms it on "
                        + "the source")
                .denies(Capability.OVERFLOW_POLICY, "messages wait in the stream on the server, not in a client "
                        + "buffer: bound streams with stream.max.age or the server's limits instead")
                .maxPayloadBytes(NatsWire.maxData(connector.serverMaxPayload(),
                        context.get(NatsBackendProvider.MAX_PAYLOAD), structured));
        if (prefixTokens == 0) {
            caps.denies(Capability.WILDCARDS, "stream.prefix.tokens=0 gives each topic a stream of its own, and a "
                    + "consumer reads one stream: wildcard subscriptions need a stream per subject prefix");
        }
        if (storage == JetStreamBackendProvider.Storage.MEMORY) {
            caps.denies(Capability.DURABLE, "stream.storage=memory: streams created on demand lose their messages "
                    + "when the server restarts");
        }
        this.capabilities = caps.build();
    }

    /** Connects to the servers the URL names and checks they run JetStream. */
    public static JetStreamBackend open(BackendContext context) {
        NatsConnector connector = NatsConnector.open(NAME, context, context.get(NatsBackendProvider.PING_INTERVAL));
        try {
            JetStreamBackend backend = new JetStreamBackend(connector, context);
            backend.requireJetStream();
            return backend;
        } catch (IOException | RuntimeException e) {
            OmnibusException error = connector.classify(e);
            connector.close();
            throw error;
        }
    }

    private void requireJetStream() throws IOException {
        try {
            jsm.getAccountStatistics();
        } catch (JetStreamApiException | IOException | IllegalStateException e) {
            throw new OmnibusException(ErrorCode.UNSUPPORTED, NAME + ": the server at "
                    + connector.context().redactedUrl() + " does not answer JetStream requests (is JetStream "
                    + "enabled? nats-server -js): " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public CompletionStage<PublishReceipt> send(String topic, CloudEvent event) {
        if (connector.isClosed()) {
            return CompletableFuture.failedFuture(connector.closedError());
        }
        if (outstanding.incrementAndGet() > maxOutstanding) {
            outstanding.decrementAndGet();
            return CompletableFuture.failedFuture(new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED, NAME + ": "
                    + maxOutstanding + " publishes to " + connector.context().redactedUrl() + " await their PubAck "
                    + "(publish.max.outstanding); retry later"));
        }
        CompletableFuture<PublishReceipt> result = new PublishFuture(this);
        String subject = ServerErrors.comparable(topic);
        awaitingAck.computeIfAbsent(subject, k -> ConcurrentHashMap.newKeySet()).add(result);
        result.whenComplete((r, e) -> awaitingAck.computeIfPresent(subject, (k, set) -> {
            set.remove(result);
            return set.isEmpty() ? null : set;
        }));
        try {
            streams.forTopic(topic);
            NatsMessage message = wire.encode(topic, event);
            js.publishAsync(message, PublishOptions.builder().messageId(messageId(topic, event)).build())
                    .whenComplete((ack, error) -> {
                        outstanding.decrementAndGet();
                        if (error != null) {
                            OmnibusException e = connector.classify(error);
                            if (String.valueOf(e.getMessage()).contains("No Responders")) {
                                // no stream took it (deleted?): resolve again next time; not on timeouts, so an
                                // outage does not turn every publish into a blocking stream lookup
                                streams.forget(topic);
                            }
                            result.completeExceptionally(e);
                        } else {
                            result.complete(new PublishReceipt(topic, event.getId(), String.valueOf(ack.getSeqno()),
                                    ack.isDuplicate()));
                        }
                    });
        } catch (RuntimeException e) {
            outstanding.decrementAndGet();
            result.completeExceptionally(connector.classify(e));
        }
        return result;
    }

    /** Fails the publishes awaiting their PubAck on a subject the server just denied. On jnats' callback thread. */
    private void onServerError(String error) {
        String subject = ServerErrors.deniedPublish(error);
        Set<CompletableFuture<PublishReceipt>> denied = subject == null ? null : awaitingAck.get(subject);
        if (denied == null) {
            return;
        }
        for (CompletableFuture<PublishReceipt> f : denied) {
            f.completeExceptionally(new OmnibusException(ErrorCode.PERMISSION_DENIED, NAME + ": "
                    + connector.context().redactedUrl() + " denied the publish to '" + subject + "': the user may "
                    + "not publish to that subject (server permissions)"));
        }
    }

    /**
     * The {@code Nats-Msg-Id}: topic, source and id of the event (each percent-encoded, joined by spaces). CloudEvents
     * makes source and id identify an event; the topic keeps the same event published to two topics of one stream (a
     * dead letter, say) from being dropped as a duplicate.
     */
    static String messageId(String topic, CloudEvent event) {
        return topic + " " + NatsBinding.encodeHeaderValue(String.valueOf(event.getSource())) + " "
                + NatsBinding.encodeHeaderValue(event.getId());
    }

    @Override
    public Receiver receiver(ReceiverSpec spec) {
        if (connector.isClosed()) {
            throw connector.closedError();
        }
        JetStreamReceiver r = new JetStreamReceiver(this, spec);
        receivers.add(r);
        return r;
    }

    void forget(JetStreamReceiver r) {
        receivers.remove(r);
    }

    NatsConnector connector() {
        return connector;
    }

    NatsWire wire() {
        return wire;
    }

    JetStream js() {
        return js;
    }

    JetStreamManagement jsm() {
        return jsm;
    }

    Streams streams() {
        return streams;
    }

    @Override
    public OmnibusException classify(Throwable error) {
        return connector.classify(error);
    }

    @Override
    public void close() {
        for (JetStreamReceiver r : receivers) {
            r.close();
        }
        connector.close();
    }
}
