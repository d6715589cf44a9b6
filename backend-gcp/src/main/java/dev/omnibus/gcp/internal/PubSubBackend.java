package dev.omnibus.gcp.internal;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.batching.FlowController;
import com.google.api.gax.core.CredentialsProvider;
import com.google.api.gax.core.FixedExecutorProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcCallContext;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.ApiCallContext;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.StatusCode;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.stub.GrpcPublisherStub;
import com.google.cloud.pubsub.v1.stub.GrpcSubscriberStub;
import com.google.cloud.pubsub.v1.stub.PublisherStubSettings;
import com.google.cloud.pubsub.v1.stub.SubscriberStubSettings;
import com.google.protobuf.Duration;
import com.google.pubsub.v1.GetTopicRequest;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.Topic;
import com.google.pubsub.v1.TopicName;
import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.ConnectionState;
import dev.omnibus.ErrorCode;
import dev.omnibus.Extensions;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.ReconnectPolicy;
import dev.omnibus.gcp.PubSubBackendProvider;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.PublishFuture;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import io.cloudevents.CloudEvent;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Pub/Sub over one gRPC endpoint; thread-safe. Holds a batching {@link Publisher} per topic (created with the topic on
 * the first publish to it), a publisher stub for topic administration and a subscriber stub for subscriptions,
 * streaming pulls, acks and deadline changes. Threads: a pool {@code omnibus-gcp-*} shared by the client's batching,
 * retries and callbacks, and one gRPC transport thread {@code omnibus-gcp-io-*}, all stopped by {@link #close()}.
 */
public final class PubSubBackend implements Backend {
    private static final Logger log = LoggerFactory.getLogger(PubSubBackend.class);
    static final String NAME = "gcppubsub";
    private static final int MAX_INBOUND_BYTES = 32 * 1024 * 1024;
    private static final int MAX_ORDERING_KEY_BYTES = 1024;
    private static final java.time.Duration MIN_TOTAL_TIMEOUT = java.time.Duration.ofSeconds(10);
    private static final java.time.Duration CLOSE_WAIT = java.time.Duration.ofSeconds(5);
    /** Pub/Sub's rule for topic and subscription ids (portable topics already use only allowed characters). */
    static final String ID_RULE = "a Pub/Sub id is 3 to 255 characters, starts with a letter and does not start "
            + "with 'goog'";

    private final BackendContext context;
    private final String project;
    private final boolean emulator;
    private final ScheduledThreadPoolExecutor executor;
    private final NioEventLoopGroup eventLoop;
    private final ManagedChannel channel;
    private final TransportChannelProvider transport;
    private final CredentialsProvider credentials;
    private final GrpcPublisherStub topics;
    private final GrpcSubscriberStub subscriber;
    private final PubSubBinding binding;
    private final Capabilities capabilities;
    private final java.time.Duration topicRetention;
    private final String subscriptionTemplate;
    private final BatchingSettings batching;
    private final RetrySettings retry;
    /** As {@link #retry}, all attempts within {@code publish.timeout}: a publish waiting on its topic gives up then. */
    private final RetrySettings adminRetry;
    /** The topics' publishers (shut down when idle) and the byte budget of publishes not yet settled. */
    private final Publishers<Publisher> publishers;
    /** {@code publish.max.outstanding}: publishes awaiting the server per topic. */
    private final int maxOutstanding;
    /** Publishes wait there for their topic's first check; a publish failing NOT_FOUND has the next one check again. */
    private final TopicGates gates;
    /** Runs the topic checks of {@link #gates}: one thread, started when there is one to make, gone 30 s after. */
    private final ThreadPoolExecutor admin;
    private final Set<PubSubReceiver> receivers = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ChannelHealth health;
    private final PubSubErrors errors;

    private PubSubBackend(BackendContext context, PubSubTarget target) throws IOException {
        this.context = context;
        this.project = target.project();
        this.emulator = target.emulator();
        this.binding = new PubSubBinding(context.get(PubSubBackendProvider.STRUCTURED));
        this.topicRetention = context.get(PubSubBackendProvider.TOPIC_RETENTION);
        this.subscriptionTemplate = context.get(PubSubBackendProvider.SUBSCRIPTION_TEMPLATE);
        AtomicInteger threads = new AtomicInteger();
        this.executor = new ScheduledThreadPoolExecutor(Math.max(4, Math.min(8,
                2 * Runtime.getRuntime().availableProcessors())), r -> {
            Thread t = new Thread(r, "omnibus-gcp-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.executor.setRemoveOnCancelPolicy(true);
        this.eventLoop = new NioEventLoopGroup(1, new DefaultThreadFactory("omnibus-gcp-io", true));
        NettyChannelBuilder channelBuilder = NettyChannelBuilder.forTarget(target.endpoint())
                .eventLoopGroup(eventLoop).channelType(NioSocketChannel.class)
                .maxInboundMessageSize(MAX_INBOUND_BYTES).executor(executor).offloadExecutor(executor);
        if (emulator) {
            channelBuilder.usePlaintext();
            this.credentials = NoCredentialsProvider.create();
        } else {
            channelBuilder.useTransportSecurity();
            this.credentials = PubSubTarget.credentials(context.get(PubSubBackendProvider.CREDENTIALS_FILE));
        }
        this.channel = channelBuilder.build();
        this.health = new ChannelHealth(context, channel, executor, emulator, receivers, closed::get);
        this.errors = new PubSubErrors(context.redactedUrl(), closed::get, health::disconnected);
        this.transport = FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
        FixedExecutorProvider executorProvider = FixedExecutorProvider.create(executor);
        this.topics = GrpcPublisherStub.create(PublisherStubSettings.newBuilder().setTransportChannelProvider(transport)
                .setCredentialsProvider(credentials).setBackgroundExecutorProvider(executorProvider).build());
        this.subscriber = GrpcSubscriberStub.create(SubscriberStubSettings.newBuilder()
                .setTransportChannelProvider(transport).setCredentialsProvider(credentials)
                .setBackgroundExecutorProvider(executorProvider).build());
        ReconnectPolicy policy = context.reconnectPolicy();
        java.time.Duration timeout = context.publishTimeout();
        this.retry = RetrySettings.newBuilder()
                .setInitialRetryDelayDuration(policy.initial())
                .setRetryDelayMultiplier(policy.multiplier())
                .setMaxRetryDelayDuration(policy.max())
                .setInitialRpcTimeoutDuration(timeout)
                .setRpcTimeoutMultiplier(1.0)
                .setMaxRpcTimeoutDuration(timeout)
                // the Publisher refuses a total timeout under 10 s; the library fails a publish at publish.timeout anyway
                .setTotalTimeoutDuration(timeout.compareTo(MIN_TOTAL_TIMEOUT) < 0 ? MIN_TOTAL_TIMEOUT : timeout)
                .build();
        this.batching = BatchingSettings.newBuilder()
                .setElementCountThreshold((long) context.get(PubSubBackendProvider.BATCH_MESSAGES))
                .setRequestByteThreshold((long) context.get(PubSubBackendProvider.BATCH_BYTES))
                .setDelayThresholdDuration(context.get(PubSubBackendProvider.BATCH_DELAY))
                // bounds are kept by this class, not the client's flow control: publishes awaiting the server per
                // topic (Outgoing.publish) and their bytes, all topics together (Publishers)
                .setFlowControlSettings(FlowControlSettings.newBuilder()
                        .setLimitExceededBehavior(FlowController.LimitExceededBehavior.Ignore).build())
                .build();
        this.maxOutstanding = context.get(PubSubBackendProvider.MAX_OUTSTANDING);
        this.adminRetry = retry.toBuilder().setTotalTimeoutDuration(timeout).build();
        this.admin = new ThreadPoolExecutor(0, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "omnibus-gcp-admin");
            t.setDaemon(true);
            return t;
        });
        this.gates = new TopicGates(admin, this::provision);
        this.publishers = new Publishers<>(this::newPublisher, context.get(PubSubBackendProvider.PUBLISH_BUFFER_BYTES),
                context.get(PubSubBackendProvider.PUBLISHER_IDLE).toNanos(), System::nanoTime);
        this.capabilities = declare();
    }

    /** Shuts down the publishers idle for {@code publisher.idle}; on the library's scheduler, the shutdowns on admin. */
    private void evictIdlePublishers() {
        if (closed.get()) {
            return;
        }
        for (Publisher p : publishers.evictIdle()) {
            try {
                admin.execute(() -> shutDown(p));
            } catch (RuntimeException closing) {
                shutDown(p);
            }
        }
    }

    private static void shutDown(Publisher p) {
        try {
            p.shutdown();
        } catch (RuntimeException e) {
            log.debug("{}: shutting down a publisher failed", NAME, e);
        }
    }

    /** Checks the configuration, then opens the channel and the stubs (nothing is sent before the first call). */
    public static PubSubBackend open(BackendContext context) {
        PubSubTarget target = PubSubTarget.resolve(context);
        try {
            PubSubBackend backend = new PubSubBackend(context, target);
            backend.health.watchChannel();
            long every = Math.max(1, Math.min(60_000, context.get(PubSubBackendProvider.PUBLISHER_IDLE).toMillis() / 2));
            context.scheduler().scheduleWithFixedDelay(backend::evictIdlePublishers, every, every,
                    TimeUnit.MILLISECONDS);
            context.connectionState(ConnectionState.CONNECTED, null);
            return backend;
        } catch (IOException e) {
            throw new OmnibusException(ErrorCode.UNAVAILABLE, NAME + ": cannot set up the client for "
                    + context.redactedUrl() + ": " + e.getMessage(), e);
        }
    }

    private Capabilities declare() {
        Capabilities.Builder caps = Capabilities.builder()
                .supports(Capability.AT_LEAST_ONCE, Capability.GROUPS, Capability.ORDERING, Capability.NACK,
                        Capability.DELAYED_NACK)
                .denies(Capability.NATIVE_DEAD_LETTER, "Pub/Sub's dead-letter policy takes 5 to 100 attempts and "
                        + "forwards no reason: the library publishes the dead letter (with its reason) after "
                        + "maxAttempts, then acks the message on the source")
                .denies(Capability.DEDUP, "Pub/Sub has no publish de-duplication by id (exactly-once delivery is a "
                        + "subscription-side option that Omnibus does not enable)")
                .denies(Capability.WILDCARDS, "a Pub/Sub subscription is attached to exactly one topic: there are "
                        + "no pattern subscriptions")
                .denies(Capability.OVERFLOW_POLICY, "messages wait in the subscription on the server, not in a "
                        + "client buffer: the server's flow control (maxInFlight) bounds what a member holds")
                .maxPayloadBytes(context.get(PubSubBackendProvider.MAX_PAYLOAD));
        if (emulator) {
            caps.denies(Capability.DURABLE, "the Pub/Sub emulator keeps topics, subscriptions and messages in "
                    + "memory only: a restart loses them, so that events published or acked before a restart "
                    + "survive it is not checked; R17 checks instead that publishers and subscriptions re-create "
                    + "what the emulator lost and resume unaided");
            caps.denies(Capability.REPLAY, "the Pub/Sub emulator does not implement Seek (it answers UNIMPLEMENTED): "
                    + "EARLIEST and point-in-time start positions need the real service and topic.retention");
        } else {
            caps.supports(Capability.DURABLE);
            if (topicRetention.isZero()) {
                caps.denies(Capability.REPLAY, "topics are created without message retention (topic.retention=0): "
                        + "a new subscription cannot seek to events published before it");
            } else {
                caps.supports(Capability.REPLAY);
            }
        }
        return caps.build();
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
        if (closed.get()) {
            return CompletableFuture.failedFuture(errors.closedError());
        }
        CompletableFuture<PublishReceipt> result = new PublishFuture(this);
        try {
            validateId("topic", topic);
            Object key = event.getExtension(Extensions.PARTITION_KEY);
            String orderingKey = key == null ? null : key.toString();
            if (orderingKey != null && !PubSubBinding.fitsBytes(orderingKey, MAX_ORDERING_KEY_BYTES)) {
                throw new InvalidArgumentException(NAME + ": event " + event.getId() + " has a partitionkey of more "
                        + "than " + MAX_ORDERING_KEY_BYTES + " bytes, the longest Pub/Sub ordering key");
            }
            PubsubMessage message = binding.encode(event, orderingKey);
            int bytes = message.getSerializedSize();
            if (!publishers.reserve(bytes)) {
                throw new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED, NAME + ": " + publishers.reservedBytes()
                        + " bytes of publishes are awaiting " + context.redactedUrl() + ", the most "
                        + PubSubBackendProvider.PUBLISH_BUFFER_BYTES.name() + " allows; retry later");
            }
            gates.submit(topic, new Outgoing(topic, event.getId(), orderingKey, message, bytes, result));
        } catch (RuntimeException e) {
            result.completeExceptionally(classify(e));
        }
        return result;
    }

    /**
     * One publish from the moment its bytes are reserved until it settles: waits for its topic ({@link TopicGates}),
     * goes to the topic's batching publisher, and gives back its bytes and its place among the topic's outstanding
     * publishes exactly once, however it ends. One object instead of a callback, a gate entry and two completion
     * stages per publish: this path runs for every event.
     */
    private final class Outgoing implements TopicGates.Pending, ApiFutureCallback<String> {
        private final String topic;
        private final String eventId;
        private final String orderingKey;
        private final PubsubMessage message;
        private final int bytes;
        private final CompletableFuture<PublishReceipt> result;
        /** Set once the topic's publisher counts this publish in use (on the thread that hands it over). */
        private Publishers.Entry<Publisher> entry;

        Outgoing(String topic, String eventId, String orderingKey, PubsubMessage message, int bytes,
                 CompletableFuture<PublishReceipt> result) {
            this.topic = topic;
            this.eventId = eventId;
            this.orderingKey = orderingKey;
            this.message = message;
            this.bytes = bytes;
            this.result = result;
        }

        /** Hands the message to the topic's batching publisher (the topic is known to exist by now); never throws. */
        @Override
        public void publish() {
            if (closed.get()) {
                fail(errors.closedError());
                return;
            }
            try {
                entry = publishers.use(topic);
            } catch (IOException | RuntimeException e) {
                fail(new OmnibusException(ErrorCode.INTERNAL, NAME + ": cannot create a publisher for '" + topic
                        + "': " + e.getMessage(), e));
                return;
            }
            // the client's own flow control (a lock and boxed counters per publish) is off: this count is the same
            // bound, per topic, as publishes awaiting the server
            int outstanding = entry.inUse();
            if (outstanding > maxOutstanding) {
                fail(new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED, NAME + ": " + (outstanding - 1)
                        + " publishes to '" + topic + "' are awaiting " + context.redactedUrl() + ", the most "
                        + PubSubBackendProvider.MAX_OUTSTANDING.name() + " allows; retry later"));
                return;
            }
            try {
                ApiFutures.addCallback(entry.publisher.publish(message), this, Runnable::run);
            } catch (RuntimeException e) {
                fail(e);
            }
        }

        @Override
        public void onSuccess(String messageId) {
            health.reachable();
            settle();
            result.complete(new PublishReceipt(topic, eventId, messageId, false));
        }

        @Override
        public void onFailure(Throwable error) {
            if (orderingKey != null) {
                entry.publisher.resumePublish(orderingKey);
            }
            settle();
            result.completeExceptionally(publishFailure(topic, error));
        }

        @Override
        public void fail(RuntimeException error) {
            settle();
            result.completeExceptionally(classify(error));
        }

        /** Gives back the reserved bytes and, once counted in, the place among the topic's outstanding publishes. */
        private void settle() {
            publishers.release(bytes);
            if (entry != null) {
                publishers.done(entry);
            }
        }
    }

    /**
     * Makes sure the topic exists and, if it had to be created (deleted, or an emulator restarted), that this
     * connection's subscriptions to it exist again; on the admin thread, before the topic's first publishes.
     */
    private void provision(String topic) {
        ensureTopic(topic, adminCall());
        for (PubSubReceiver r : receivers) {
            if (r.topic().equals(topic)) {
                r.ensureSubscription();
            }
        }
    }

    private OmnibusException publishFailure(String topic, Throwable error) {
        OmnibusException e = classify(error);
        if (e.code() == ErrorCode.NOT_FOUND && !closed.get()) {
            // deleted, or an emulator restarted: re-create it (and our subscriptions to it) on the next publish
            gates.forget(topic);
            return new OmnibusException(ErrorCode.UNAVAILABLE, NAME + ": topic '" + topic + "' no longer exists on "
                    + context.redactedUrl() + " (deleted, or the emulator restarted); the next publish re-creates "
                    + "it with the subscriptions of this connection", error, true);
        }
        return e;
    }

    private Publisher newPublisher(String topic) throws IOException {
        return Publisher.newBuilder(TopicName.of(project, topic))
                .setChannelProvider(transport)
                .setCredentialsProvider(credentials)
                .setExecutorProvider(FixedExecutorProvider.create(executor))
                .setEnableMessageOrdering(true)
                .setBatchingSettings(batching)
                .setRetrySettings(retry)
                .build();
    }

    /** The streaming pull's byte flow control ({@code receive.buffer.bytes}). */
    long receiveBufferBytes() {
        return context.get(PubSubBackendProvider.RECEIVE_BUFFER_BYTES);
    }

    /** Topics with a publisher now (tests: idle ones are shut down). */
    int publisherCount() {
        return publishers.size();
    }

    /** Creates {@code topic} unless it exists (getTopic first, so publishing needs no create permission). */
    void ensureTopic(String topic) {
        ensureTopic(topic, call());
    }

    private void ensureTopic(String topic, ApiCallContext call) {
        String name = topicPath(topic);
        try {
            topics.getTopicCallable().call(GetTopicRequest.newBuilder().setTopic(name).build(), call);
            return;
        } catch (ApiException e) {
            if (e.getStatusCode().getCode() != StatusCode.Code.NOT_FOUND) {
                throw classify(e);
            }
        }
        Topic.Builder t = Topic.newBuilder().setName(name);
        if (!topicRetention.isZero()) {
            t.setMessageRetentionDuration(duration(topicRetention));
        }
        try {
            topics.createTopicCallable().call(t.build(), call);
            log.debug("{}: created topic {}", NAME, name);
        } catch (ApiException e) {
            if (e.getStatusCode().getCode() != StatusCode.Code.ALREADY_EXISTS) {
                throw classify(e);
            }
        }
    }

    static Duration duration(java.time.Duration d) {
        return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
    }

    /** A call context bounded by the publish timeout, for administrative and settling calls. */
    ApiCallContext call() {
        return GrpcCallContext.createDefault().withTimeoutDuration(context.publishTimeout());
    }

    /** A call context for the checks publishes wait on: retried with the library's backoff within publish.timeout. */
    private ApiCallContext adminCall() {
        return call().withRetrySettings(adminRetry);
    }

    /** Throws {@link InvalidArgumentException} unless {@code id} is a valid Pub/Sub topic or subscription id. */
    static void validateId(String what, String id) {
        if (id.length() < 3 || id.length() > 255 || !Character.isLetter(id.charAt(0)) || id.charAt(0) > 'z'
                || id.regionMatches(true, 0, "goog", 0, 4)) {
            throw new InvalidArgumentException(NAME + ": " + what + " '" + id + "' is not a valid Pub/Sub " + what
                    + " id: " + ID_RULE + " (the portable topic rules allow it, Pub/Sub does not)");
        }
    }

    String topicPath(String topic) {
        return "projects/" + project + "/topics/" + topic;
    }

    String subscriptionPath(String subscription) {
        return "projects/" + project + "/subscriptions/" + subscription;
    }

    @Override
    public Receiver receiver(ReceiverSpec spec) {
        if (closed.get()) {
            throw errors.closedError();
        }
        validateId("topic", spec.topic());
        PubSubReceiver r = new PubSubReceiver(this, spec);
        receivers.add(r);
        try {
            r.start();
        } catch (RuntimeException e) {
            receivers.remove(r);
            r.close();
            throw classify(e);
        }
        return r;
    }

    void forget(PubSubReceiver r) {
        receivers.remove(r);
    }

    GrpcSubscriberStub subscriber() {
        return subscriber;
    }

    ChannelHealth health() {
        return health;
    }

    PubSubBinding binding() {
        return binding;
    }

    BackendContext context() {
        return context;
    }

    ScheduledThreadPoolExecutor executor() {
        return executor;
    }

    String subscriptionTemplate() {
        return subscriptionTemplate;
    }

    boolean isEmulator() {
        return emulator;
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public OmnibusException classify(Throwable error) {
        return errors.classify(error);
    }

    /**
     * Shuts the publishers down, waiting up to {@link #CLOSE_WAIT} for their outstanding publishes: the client's
     * {@code shutdown()} blocks until every outstanding publish ends, which an unreachable server can make last, so it
     * runs on a thread of its own and the channel is closed after the wait either way.
     */
    private void shutDownPublishers() {
        List<Publisher> all = publishers.removeAll();
        if (all.isEmpty()) {
            return;
        }
        Thread closer = new Thread(() -> all.forEach(PubSubBackend::shutDown), "omnibus-gcp-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(CLOSE_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            log.warn("{}: publishes to {} still outstanding after {}; closing the channel fails them", NAME,
                    context.redactedUrl(), CLOSE_WAIT);
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (PubSubReceiver r : receivers) {
            r.close();
        }
        // publishes still waiting for their topic fail now, before the publishers they would use are shut down
        admin.shutdownNow();
        gates.failAll(errors.closedError());
        shutDownPublishers();
        topics.close();
        subscriber.close();
        channel.shutdownNow();
        try {
            channel.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            executor.shutdownNow();
            eventLoop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).await(CLOSE_WAIT.toMillis());
            executor.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        context.connectionState(ConnectionState.CLOSED, null);
    }
}
