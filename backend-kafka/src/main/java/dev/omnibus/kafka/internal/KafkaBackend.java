package dev.omnibus.kafka.internal;

import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.ConfigException;
import dev.omnibus.ConnectionState;
import dev.omnibus.ErrorCode;
import dev.omnibus.Extensions;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.ReconnectPolicy;
import dev.omnibus.kafka.KafkaBackendProvider;
import dev.omnibus.spi.AttributeTemplates;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BrokerAddress;
import dev.omnibus.spi.PublishFuture;
import dev.omnibus.spi.TlsFailures;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import dev.omnibus.spi.StructuredJson;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.format.EventFormat;
import io.cloudevents.core.provider.EventFormatProvider;
import io.cloudevents.jackson.JsonFormat;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Thread-safe: one idempotent {@code acks=all} producer and one Admin client per {@link dev.omnibus.Omnibus};
 * each {@link KafkaReceiver} adds a consumer on a thread of its own. Connection state is watched with a
 * {@code describeCluster} probe every second (Kafka clients expose no connection events). Owns the producer's and
 * the Admin client's threads, stopped by {@link #close()}.
 */
public final class KafkaBackend implements Backend {
    private static final Logger log = LoggerFactory.getLogger(KafkaBackend.class);
    static final String NAME = "kafka";
    /** Record headers and batch overhead allowed on top of the largest event data. */
    static final int HEADER_ROOM = 64 * 1024;
    private static final Duration PROBE_PERIOD = Duration.ofSeconds(1);
    private static final int DEFAULT_PORT = 9092;
    /** Pause before asking again whether a new topic's partitions have leaders ({@link #awaitLeaders}). */
    private static final long LEADER_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private final BackendContext context;
    private final Map<String, Object> common;
    private final KafkaSecurity security;
    private final KafkaProducer<String, byte[]> producer;
    private final Admin admin;
    private final EventFormat structured;
    /** The binary-mode headers that repeat from event to event, made once per combination. */
    private final AttributeTemplates<Header[]> headerTemplates = KafkaRecordWriter.templates();
    private final int partitions;
    private final int replication;
    private final int maxPayload;
    private final Capabilities capabilities;
    /** Topics known to exist (created by us or found existing), so that only a first publish asks the Admin. */
    private final Set<String> knownTopics = ConcurrentHashMap.newKeySet();
    /** Topics whose last publish was confirmed: the producer has their metadata, so send does not block. */
    private final Set<String> readyTopics = ConcurrentHashMap.newKeySet();
    /** Publishes per topic handed to {@link #sender} and not yet given to the producer. */
    private final Map<String, AtomicInteger> handedOff = new ConcurrentHashMap<>();
    /**
     * Sends that could block (a topic's first, any while the broker is away), off the publishing thread; its one
     * thread starts with the backend (not on first use inside someone's publish) and ends with it.
     */
    private final ThreadPoolExecutor sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, "omnibus-kafka-sender");
                t.setDaemon(true);
                return t;
            });
    private final Set<KafkaReceiver> receivers = ConcurrentHashMap.newKeySet();
    /** Poll loops whose thread has not yet closed its consumer (a closed subscription's may still be closing). */
    private final Set<PollLoop> polling = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean probing = new AtomicBoolean();
    private volatile boolean down;
    private ScheduledFuture<?> probe;

    private KafkaBackend(BackendContext context, Map<String, Object> common, KafkaSecurity security) {
        this.context = context;
        this.common = common;
        this.security = security;
        this.partitions = context.get(KafkaBackendProvider.PARTITIONS);
        this.replication = context.get(KafkaBackendProvider.REPLICATION);
        this.maxPayload = context.get(KafkaBackendProvider.MAX_PAYLOAD);
        this.structured = context.get(KafkaBackendProvider.STRUCTURED)
                ? StructuredJson.format(EventFormatProvider.getInstance().resolveFormat(JsonFormat.CONTENT_TYPE)) : null;
        Map<String, Object> adminConfig = new HashMap<>(common);
        adminConfig.putAll(security.settings(AdminClientConfig.configNames()));
        adminConfig.put(AdminClientConfig.CLIENT_ID_CONFIG, common.get(CommonClientConfigs.CLIENT_ID_CONFIG) + "-admin");
        this.admin = Admin.create(adminConfig);
        KafkaProducer<String, byte[]> p;
        try {
            p = new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer());
        } catch (RuntimeException e) {
            admin.close(Duration.ZERO);
            throw e;
        }
        this.producer = p;
        this.capabilities = Capabilities.builder()
                .supports(Capability.AT_LEAST_ONCE, Capability.DURABLE, Capability.GROUPS, Capability.REPLAY,
                        Capability.ORDERING, Capability.NACK, Capability.DELAYED_NACK, Capability.WILDCARDS)
                .denies(Capability.DEDUP, "Kafka's idempotent producer drops only its own retries within one "
                        + "producer session; a second publish of the same event id is stored again")
                .denies(Capability.NATIVE_DEAD_LETTER, "Kafka has no dead-letter topics; the library publishes the "
                        + "event to the dead-letter topic and then commits it on the source")
                .denies(Capability.OVERFLOW_POLICY, "the consumer pauses its partitions while maxInFlight "
                        + "deliveries are unsettled (back-pressure on the broker); it never drops or disconnects")
                .maxPayloadBytes(maxPayload)
                .build();
        sender.prestartAllCoreThreads();
    }

    /** Builds the clients for the URL and options, and checks the cluster answers within the publish timeout. */
    public static KafkaBackend open(BackendContext context) {
        Map<String, Object> common = commonConfig(context);
        KafkaSecurity security = KafkaSecurity.resolve(context);
        KafkaBackend backend;
        try {
            backend = new KafkaBackend(context, common, security);
        } catch (org.apache.kafka.common.config.ConfigException e) {
            throw new ConfigException(NAME + ": " + context.redactedUrl() + " is refused by kafka-clients: "
                    + e.getMessage());
        } catch (KafkaException e) {
            throw new ConfigException(NAME + ": cannot create clients for " + context.redactedUrl() + ": "
                    + e.getMessage());
        }
        try {
            backend.admin.describeCluster(new DescribeClusterOptions()
                            .timeoutMs((int) Math.min(Integer.MAX_VALUE, context.publishTimeout().toMillis())))
                    .nodes().get();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            OmnibusException error = backend.classify(e);
            backend.close();
            if (error.code() == ErrorCode.UNAUTHENTICATED || error.code() == ErrorCode.PERMISSION_DENIED) {
                // the broker answered (at once: kafka-clients fails pending calls on an authentication error), and
                // retrying would get the same answer; the error already names the URL and the reason
                throw error;
            }
            throw new OmnibusException(error.code(), NAME + ": cannot reach the cluster at " + context.redactedUrl()
                    + " within publish.timeout (" + context.publishTimeout() + "): " + error.getMessage(),
                    error.getCause(), error.isRetryable());
        }
        context.connectionState(ConnectionState.CONNECTED, null);
        backend.probe = context.scheduler().scheduleAtFixedRate(backend::probe, PROBE_PERIOD.toMillis(),
                PROBE_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
        return backend;
    }

    /**
     * Client settings every client of this connection shares but security: bootstrap servers, client id and the
     * reconnect backoff from the shared policy.
     */
    private static Map<String, Object> commonConfig(BackendContext context) {
        Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
                BrokerAddress.parse(context, DEFAULT_PORT).requireNoPath().hostList());
        config.put(CommonClientConfigs.CLIENT_ID_CONFIG, context.get(KafkaBackendProvider.CLIENT_ID));
        ReconnectPolicy policy = context.reconnectPolicy();
        config.put(CommonClientConfigs.RECONNECT_BACKOFF_MS_CONFIG, policy.initial().toMillis());
        config.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, policy.max().toMillis());
        config.put(CommonClientConfigs.RETRY_BACKOFF_MS_CONFIG, policy.initial().toMillis());
        config.put(CommonClientConfigs.RETRY_BACKOFF_MAX_MS_CONFIG, policy.max().toMillis());
        return config;
    }

    private Map<String, Object> producerConfig() {
        Map<String, Object> config = new HashMap<>(common);
        config.putAll(security.settings(ProducerConfig.configNames()));
        long timeout = context.publishTimeout().toMillis();
        long linger = context.get(KafkaBackendProvider.LINGER).toMillis();
        long request = Math.max(1, Math.min(30_000, timeout));
        config.put(ProducerConfig.CLIENT_ID_CONFIG, common.get(CommonClientConfigs.CLIENT_ID_CONFIG) + "-producer");
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
        config.put(ProducerConfig.LINGER_MS_CONFIG, linger);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, context.get(KafkaBackendProvider.BATCH_SIZE));
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) request);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(timeout, request + linger));
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout);
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, context.get(KafkaBackendProvider.MAX_PAYLOAD) + HEADER_ROOM);
        return config;
    }

    /** Settings of a consumer for {@code group}; its offsets are committed by the receiver only. */
    Map<String, Object> consumerConfig(String group, boolean pattern) {
        Map<String, Object> config = new HashMap<>(common);
        config.putAll(security.settings(ConsumerConfig.configNames()));
        config.put(ConsumerConfig.CLIENT_ID_CONFIG,
                common.get(CommonClientConfigs.CLIENT_ID_CONFIG) + "-consumer-" + group);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Math.max(1024 * 1024, maxPayload + HEADER_ROOM));
        config.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG,
                (int) Math.min(Integer.MAX_VALUE, context.get(KafkaBackendProvider.MAX_POLL_INTERVAL).toMillis()));
        if (pattern) {
            // a regex subscription only sees new topics when metadata is refreshed
            config.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 1000);
        }
        return config;
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
            return CompletableFuture.failedFuture(closedError());
        }
        CompletableFuture<PublishReceipt> result = new PublishFuture(this);
        ProducerRecord<String, byte[]> record;
        try {
            Object key = event.getExtension(Extensions.PARTITION_KEY);
            var writer = new KafkaRecordWriter(topic, key == null ? null : key.toString(), headerTemplates);
            record = structured != null ? writer.writeStructured(event, structured) : writer.writeBinary(event);
        } catch (RuntimeException e) {
            result.completeExceptionally(classify(e));
            return result;
        }
        String id = event.getId();
        AtomicInteger queued = handedOff.get(topic);
        if (!down && readyTopics.contains(topic) && (queued == null || queued.get() == 0)) {
            produce(topic, id, record, result);
            return result;
        }
        // KafkaProducer.send blocks its caller until it has the topic's metadata (up to max.block.ms, which is
        // publish.timeout): on a topic's first publish, and while the broker is away. publish must return at once,
        // so such sends go to the sender thread; later sends of the topic follow them there until it has caught up,
        // which keeps one thread's publishes in order.
        AtomicInteger waiting = handedOff.computeIfAbsent(topic, t -> new AtomicInteger());
        waiting.incrementAndGet();
        try {
            sender.execute(() -> {
                try {
                    ensureTopic(topic);
                    produce(topic, id, record, result);
                } catch (RuntimeException e) {
                    result.completeExceptionally(classify(e));
                } finally {
                    waiting.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            waiting.decrementAndGet();
            result.completeExceptionally(closedError());
        }
        return result;
    }

    /** Hands {@code record} to the producer; a confirmed send marks the topic ready for the direct path. */
    private void produce(String topic, String id, ProducerRecord<String, byte[]> record,
                         CompletableFuture<PublishReceipt> result) {
        try {
            producer.send(record, (metadata, error) -> {
                if (error != null) {
                    readyTopics.remove(topic);
                    result.completeExceptionally(classify(error));
                } else {
                    readyTopics.add(topic);
                    result.complete(new PublishReceipt(topic, id, metadata.partition() + ":" + metadata.offset(),
                            false));
                }
            });
        } catch (RuntimeException e) {
            readyTopics.remove(topic);
            result.completeExceptionally(classify(e));
        }
    }

    /**
     * Creates {@code topic} unless it is known to exist (never altering an existing one); blocks the first publish or
     * subscription of a topic for one Admin round trip, at most the publish timeout.
     */
    void ensureTopic(String topic) {
        if (knownTopics.contains(topic)) {
            return;
        }
        NewTopic spec = new NewTopic(topic, Optional.of(partitions),
                replication == 0 ? Optional.empty() : Optional.of((short) replication))
                .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(maxPayload + HEADER_ROOM)));
        try {
            admin.createTopics(List.of(spec), new CreateTopicsOptions()
                            .timeoutMs((int) Math.min(Integer.MAX_VALUE, context.publishTimeout().toMillis())))
                    .all().get();
            log.debug("{}: created topic '{}' with {} partitions", NAME, topic, partitions);
            awaitLeaders(topic);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicAuthorizationException) {
                // Not allowed to create topics (production clusters often are not): the topic may exist, and the
                // produce or fetch says what the broker allows. Asked once: knownTopics keeps it from asking again.
                log.debug("{}: not allowed to create topic '{}'; using it as it is", NAME, topic);
            } else if (e.getCause() instanceof TopicExistsException) {
                awaitLeaders(topic); // it may have been created a moment ago, by another client or thread
            } else {
                throw classify(e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OmnibusException(ErrorCode.UNAVAILABLE, NAME + ": interrupted while creating topic '" + topic
                    + "'", e);
        }
        knownTopics.add(topic);
    }

    /**
     * Returns once every partition of {@code topic} has a leader that answers as one, or after the publish timeout.
     * Why: a KRaft broker publishes a new topic's metadata before its replica manager has taken the leadership, and a
     * producer that sends in that window gets {@code NOT_LEADER_OR_FOLLOWER} for its first batch of a partition;
     * with idempotence on and a second batch of the partition already in flight, the broker accepts the second (it
     * has no state for the producer yet) and refuses the retried first one for good with
     * {@code OUT_OF_ORDER_SEQUENCE_NUMBER} (KAFKA-14359): the topic's first events time out on a healthy broker (seen
     * once in {@code BridgeCommandIT}: 'o-0' unconfirmed after 30 s). {@code ListOffsets} is answered by the leader
     * only, and the admin client retries it on {@code NOT_LEADER_OR_FOLLOWER}, so its answer means a produce will be
     * taken. Costs two admin round trips once per topic and connection. A retriable refusal is asked again until
     * the publish timeout: right after {@code CreateTopics} the broker that answers {@code DescribeTopics} may not
     * know the topic yet ({@code UNKNOWN_TOPIC_OR_PARTITION}, which the admin client does not retry for a describe;
     * KafkaIT saw the first batches of a fresh topic refused after the check had given up so, just after a broker
     * restart). Not fatal: any other failure (no {@code DESCRIBE} permission) or the timeout is logged and the
     * produce goes ahead.
     */
    private void awaitLeaders(String topic) {
        long deadline = System.nanoTime() + context.publishTimeout().toNanos();
        try {
            while (true) {
                int timeoutMs = (int) Math.max(1, Math.min(Integer.MAX_VALUE,
                        TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                try {
                    TopicDescription d = admin.describeTopics(List.of(topic),
                            new DescribeTopicsOptions().timeoutMs(timeoutMs)).allTopicNames().get().get(topic);
                    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                    for (TopicPartitionInfo p : d.partitions()) {
                        latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
                    }
                    admin.listOffsets(latest, new ListOffsetsOptions().timeoutMs(timeoutMs)).all().get();
                    return;
                } catch (ExecutionException e) {
                    boolean again = e.getCause() instanceof RetriableException
                            && !(e.getCause() instanceof TimeoutException)
                            && deadline - System.nanoTime() > LEADER_RETRY_NANOS;
                    if (!again) {
                        if (e.getCause() instanceof AuthorizationException) {
                            // a user without DESCRIBE on the topic: expected, and said once per topic at most
                            log.debug("{}: may not check that every partition of '{}' has a leader ready; publishing "
                                    + "anyway", NAME, topic, e.getCause());
                        } else {
                            // the window the check closes may still be open: the first batches may be refused and
                            // retried (record-retry-total), which is worth a line where it happens
                            log.warn("{}: could not check that every partition of '{}' has a leader ready ({}); "
                                    + "publishing anyway, its first batches may be refused and retried", NAME, topic,
                                    e.getCause().toString());
                        }
                        return;
                    }
                    LockSupport.parkNanos(LEADER_RETRY_NANOS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OmnibusException(ErrorCode.UNAVAILABLE, NAME + ": interrupted while waiting for the partition "
                    + "leaders of topic '" + topic + "'", e);
        }
    }

    @Override
    public Receiver receiver(ReceiverSpec spec) {
        if (closed.get()) {
            throw closedError();
        }
        KafkaReceiver r = new KafkaReceiver(this, spec);
        receivers.add(r);
        r.start();
        return r;
    }

    void forget(KafkaReceiver r) {
        receivers.remove(r);
    }

    /** A poll loop started: {@link #close} waits for it to close its consumer. */
    void polling(PollLoop loop) {
        polling.add(loop);
    }

    /** A poll loop closed its consumer. */
    void finished(PollLoop loop) {
        polling.remove(loop);
    }

    Admin admin() {
        return admin;
    }

    BackendContext context() {
        return context;
    }

    /** One connection-state probe: {@code describeCluster} without blocking the scheduler. */
    private void probe() {
        if (closed.get() || !probing.compareAndSet(false, true)) {
            return;
        }
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(1500)).nodes().whenComplete((nodes, error) -> {
                probing.set(false);
                if (closed.get()) {
                    return;
                }
                if (error == null && !nodes.isEmpty()) {
                    if (down) {
                        down = false;
                        log.info("{}: {} reachable again", NAME, context.redactedUrl());
                        context.connectionState(ConnectionState.RECONNECTED, null);
                    }
                } else if (!down) {
                    down = true;
                    readyTopics.clear();
                    log.warn("{}: {} unreachable; the clients reconnect by themselves: {}", NAME,
                            context.redactedUrl(), String.valueOf(error));
                    context.connectionState(ConnectionState.DISCONNECTED, error);
                }
            });
        } catch (RuntimeException e) {
            probing.set(false);
            log.debug("{}: connection probe failed", NAME, e);
        }
    }

    @Override
    public OmnibusException classify(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException
                || t.getClass() == KafkaException.class) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof OmnibusException) {
            return (OmnibusException) t;
        }
        String where = NAME + " (" + context.redactedUrl() + "): ";
        if (closed.get() && (t instanceof IllegalStateException || t instanceof KafkaException)) {
            return new OmnibusException(ErrorCode.CLOSED, where + "the connection is closed", t);
        }
        // first: kafka-clients 4 makes both kinds InvalidConfigurationExceptions too
        if (t instanceof SslAuthenticationException) {
            return new OmnibusException(ErrorCode.UNAUTHENTICATED, where + tlsFailure(t), t, false);
        }
        if (t instanceof AuthenticationException) {
            return new OmnibusException(ErrorCode.UNAUTHENTICATED, where + "the broker refused the credentials: "
                    + t.getMessage(), t, false);
        }
        if (t instanceof AuthorizationException) {
            return new OmnibusException(ErrorCode.PERMISSION_DENIED, where + "the broker denied it: "
                    + t.getMessage(), t, false);
        }
        if (t instanceof TimeoutException) {
            return new OmnibusException(ErrorCode.TIMEOUT, where + "no answer in time (" + t.getMessage()
                    + "); the broker may have accepted the event", t);
        }
        if (t instanceof RecordTooLargeException || t instanceof RecordBatchTooLargeException) {
            return new OmnibusException(ErrorCode.INVALID_ARGUMENT, where + "the record is larger than the topic or "
                    + "broker accepts (" + t.getMessage() + "); max.payload.bytes is " + maxPayload, t);
        }
        if (t instanceof InvalidTopicException) {
            return new OmnibusException(ErrorCode.INVALID_ARGUMENT, where + t.getMessage(), t);
        }
        if (t instanceof InvalidPartitionsException || t instanceof InvalidReplicationFactorException
                || t instanceof InvalidConfigurationException) {
            return new OmnibusException(ErrorCode.INVALID_CONFIG, where + "the broker refused to create a topic: "
                    + t.getMessage() + " (check options 'partitions' and 'replication.factor')", t);
        }
        if (t instanceof UnknownTopicOrPartitionException) {
            return new OmnibusException(ErrorCode.NOT_FOUND, where + t.getMessage(), t, true);
        }
        if (t instanceof RetriableException || t instanceof InterruptException) {
            return new OmnibusException(ErrorCode.UNAVAILABLE, where + t.getMessage(), t);
        }
        if (t instanceof IllegalStateException && String.valueOf(t.getMessage()).contains("closed")) {
            return new OmnibusException(ErrorCode.CLOSED, where + t.getMessage(), t);
        }
        if (t instanceof KafkaException) {
            return new OmnibusException(ErrorCode.UNAVAILABLE, where + t, t);
        }
        return new OmnibusException(ErrorCode.UNKNOWN, where + t, t);
    }

    /** What a failed TLS handshake means ({@link TlsFailures}), else the handshake's own reason. */
    private static String tlsFailure(Throwable t) {
        return TlsFailures.explain(t).orElse("the TLS handshake failed: " + t.getMessage());
    }

    OmnibusException closedError() {
        return new OmnibusException(ErrorCode.CLOSED, NAME + ": the connection to " + context.redactedUrl()
                + " is closed");
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (probe != null) {
            probe.cancel(false);
        }
        for (KafkaReceiver r : receivers) {
            r.close();
        }
        awaitConsumersClosed();
        sender.shutdown();
        try {
            if (!sender.awaitTermination(5, TimeUnit.SECONDS)) {
                sender.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sender.shutdownNow();
        }
        try {
            producer.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            log.debug("{}: closing the producer failed", NAME, e);
        }
        try {
            admin.close(Duration.ofSeconds(2));
        } catch (RuntimeException e) {
            log.debug("{}: closing the admin client failed", NAME, e);
        }
        context.connectionState(ConnectionState.CLOSED, null);
    }

    /**
     * Waits for the consumers of closed subscriptions to finish closing (each has left its group already; what is
     * left is the broker's answer and the fetch it holds), all at once: one close's time, not their sum.
     */
    private void awaitConsumersClosed() {
        Duration wait = PollLoop.CLOSE_WAIT.plusSeconds(1);
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            for (PollLoop loop : polling) {
                if (!loop.awaitFinished(deadline)) {
                    log.warn("{}: a consumer did not close within {}", NAME, wait);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "KafkaBackend{" + context.redactedUrl() + "}";
    }
}
