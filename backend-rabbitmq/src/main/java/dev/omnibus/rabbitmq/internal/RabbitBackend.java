package dev.omnibus.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Address;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.FrameHandlerFactory;
import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.ConfigException;
import dev.omnibus.ConnectionState;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.rabbitmq.RabbitBackendProvider;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BrokerAddress;
import dev.omnibus.spi.PublishFuture;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import dev.omnibus.spi.TlsFailures;
import dev.omnibus.spi.TlsOptions;
import dev.omnibus.spi.TlsSettings;
import dev.omnibus.spi.UserInfo;
import io.cloudevents.CloudEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * Thread-safe: one auto-recovering AMQP connection to a RabbitMQ node, with a publishing channel in confirm mode
 * ({@link Confirms}), an admin channel for declarations and one channel per {@link RabbitReceiver}. Owns the
 * client's threads ({@code omnibus-rabbitmq-*}), stopped by {@link #close()}.
 *
 * <p>Recovery: the client reconnects by itself, waiting between attempts as the shared reconnect policy says, and
 * recovers its channels (prefetch, confirm mode, listeners). Its topology recovery (replaying declarations on the
 * channel that first made them) is off on purpose: everything is declared again by its owner instead. Each receiver
 * opens a new channel and declares its exchange, queue, binding and consumer when it sees the connection recovered
 * (or its consumer cancelled, or its channel closed), so a declaration that fails (a quorum queue not ready yet after
 * a broker restart) is an error of its receive loop, retried with the library's backoff, never a subscription
 * silently receiving nothing; retry queues are declared again on first use after a recovery; the exchange survives
 * restarts (durable), and a publishing channel the broker closes because it is gone declares it again. Publishes are
 * refused (UNAVAILABLE, retryable) from the loss of the connection until the recovery has also bound every live
 * receiver's queue again ({@link #bindAgain()}): a broker can lose a binding in a crash.
 */
public final class RabbitBackend implements Backend {
    private static final Logger log = LoggerFactory.getLogger(RabbitBackend.class);
    static final String NAME = "rabbitmq";
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int CLOSE_TIMEOUT_MS = 2_000;
    /** Room below max_message_size for properties and headers. */
    private static final int HEADER_ROOM = 64 * 1024;

    private final BackendContext context;
    private final ConnectionFactory factory;
    private final List<Address> addresses;
    private final AmqpBinding binding;
    private final String exchange;
    private final int maxOutstanding;
    private final boolean mandatory;
    private final boolean orderedGroups;
    private final Duration privateExpires;
    private final boolean quorum;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Set<RabbitReceiver> receivers = ConcurrentHashMap.newKeySet();
    /** Incremented after each completed recovery: receivers restart their consumer when it changes. */
    private final AtomicLong recoveries = new AtomicLong();
    /** Delay queues declared, by name, with when ({@link System#nanoTime()}), re-declared before they could expire. */
    private final Map<String, Long> delayQueues = new ConcurrentHashMap<>();
    private final Object adminLock = new Object();
    private final Capabilities capabilities;
    private volatile Connection connection;
    private volatile Confirms confirms;
    private Channel admin;
    private volatile boolean down;
    /** Why the broker blocks publishing (a memory or disk alarm), or {@code null}. */
    private volatile String blocked;

    private RabbitBackend(BackendContext context, ConnectionFactory factory, List<Address> addresses) {
        this.context = context;
        this.factory = factory;
        this.addresses = addresses;
        this.binding = new AmqpBinding(context.get(RabbitBackendProvider.STRUCTURED));
        this.exchange = context.get(RabbitBackendProvider.EXCHANGE);
        this.maxOutstanding = context.get(RabbitBackendProvider.MAX_OUTSTANDING);
        this.mandatory = context.get(RabbitBackendProvider.MANDATORY);
        this.orderedGroups = context.get(RabbitBackendProvider.ORDERED_GROUPS);
        this.privateExpires = context.get(RabbitBackendProvider.PRIVATE_EXPIRES);
        this.quorum = context.get(RabbitBackendProvider.QUEUE_TYPE) == RabbitBackendProvider.QueueType.QUORUM;
        Capabilities.Builder caps = Capabilities.builder()
                .supports(Capability.AT_LEAST_ONCE, Capability.DURABLE, Capability.GROUPS, Capability.NACK,
                        Capability.DELAYED_NACK, Capability.WILDCARDS)
                .denies(Capability.REPLAY, "a RabbitMQ queue holds only what was routed to it after it was "
                        + "declared, and drops what is acked: there is no earlier position to start from")
                .denies(Capability.DEDUP, "RabbitMQ queues keep every message published, the same message id "
                        + "twice included: there is no publish de-duplication without a plugin")
                .denies(Capability.NATIVE_DEAD_LETTER, "a queue's own dead-lettering (x-dead-letter-exchange with "
                        + "a delivery-limit) cannot carry the handler's reason: the library publishes the event to "
                        + "the dead-letter topic, then acks it on the source")
                .denies(Capability.OVERFLOW_POLICY, "messages wait in the queue on the broker, not in a client "
                        + "buffer: bound queues with the broker's own policies (max-length) instead")
                .maxPayloadBytes(context.get(RabbitBackendProvider.MAX_PAYLOAD));
        if (orderedGroups) {
            caps.supports(Capability.ORDERING);
        } else {
            caps.denies(Capability.ORDERING, "a group's members share its queue round-robin, so two events of one "
                    + "key may be handled at once by two members; ordered.groups=true gives each group a single "
                    + "active consumer (order kept, one member consuming at a time); a subscription without a "
                    + "group keeps publish order");
        }
        this.capabilities = caps.build();
    }

    /** Connects to the node the URL names and declares the exchange. */
    public static RabbitBackend open(BackendContext context) {
        boolean tlsScheme = RabbitBackendProvider.TLS_SCHEME.equals(context.scheme());
        TlsSettings tls = TlsOptions.resolve(context, tlsScheme);
        String exchange = context.get(RabbitBackendProvider.EXCHANGE);
        if (exchange.isBlank() || exchange.startsWith("amq.") || exchange.length() > 200) {
            throw new ConfigException("option 'exchange' is '" + exchange + "': expected a name of 1 to 200 "
                    + "characters not starting with 'amq.' (reserved by RabbitMQ)");
        }
        ConnectionFactory factory = tls.enabled() ? tlsFactory(tls.sslContext()) : new ConnectionFactory();
        List<Address> addresses = addresses(context, factory, tls.enabled());
        factory.setConnectionTimeout(CONNECT_TIMEOUT_MS);
        factory.setHandshakeTimeout(CONNECT_TIMEOUT_MS);
        factory.setShutdownTimeout(CLOSE_TIMEOUT_MS);
        factory.setRequestedHeartbeat((int) Math.max(1, context.get(RabbitBackendProvider.HEARTBEAT).toSeconds()));
        factory.setChannelRpcTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1000,
                context.publishTimeout().toMillis())));
        factory.setThreadFactory(threads());
        factory.setAutomaticRecoveryEnabled(true);
        // declarations are made again by their owners (see the class comment), not replayed by the client
        factory.setTopologyRecoveryEnabled(false);
        factory.setRecoveryDelayHandler(attempt -> context.reconnectPolicy()
                .delay(Math.max(1, attempt + 1)).toMillis());
        RabbitBackend backend = new RabbitBackend(context, factory, addresses);
        try {
            backend.connect();
        } catch (IOException | TimeoutException | RuntimeException e) {
            OmnibusException error = backend.classify(e);
            backend.close();
            throw error;
        }
        context.connectionState(ConnectionState.CONNECTED, null);
        return backend;
    }

    /**
     * A connection factory over TLS with {@code context}, host names verified, whose sockets let a server's alert be
     * read when it refuses the client certificate ({@link TlsFrameHandlerFactory} says why).
     */
    private static ConnectionFactory tlsFactory(SSLContext context) {
        ConnectionFactory factory = new ConnectionFactory() {
            @Override
            protected synchronized FrameHandlerFactory createFrameHandlerFactory() {
                return new TlsFrameHandlerFactory(getConnectionTimeout(), context.getSocketFactory(),
                        getSocketConfigurator());
            }
        };
        factory.useSslProtocol(context);
        factory.enableHostnameVerification();
        return factory;
    }

    private static ThreadFactory threads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "omnibus-rabbitmq-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * The hosts, port and vhost from the URL, with the user and password as credentials. Only the part after the
     * userinfo is parsed; messages name the address with the userinfo masked.
     */
    private static List<Address> addresses(BackendContext context, ConnectionFactory factory, boolean tls) {
        int defaultPort = tls ? ConnectionFactory.DEFAULT_AMQP_OVER_SSL_PORT : ConnectionFactory.DEFAULT_AMQP_PORT;
        BrokerAddress address = BrokerAddress.parse(context, defaultPort);
        String vhost = address.path();
        try {
            factory.setVirtualHost(vhost.isEmpty() ? "/" : URLDecoder.decode(vhost.replace("+", "%2B"),
                    StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("'" + address + "' has a vhost that is not validly percent-encoded: expected "
                    + context.scheme() + "://[user:password@]host[:port][,host[:port]...][/vhost]");
        }
        UserInfo userInfo = address.userInfo();
        if (userInfo.present()) {
            factory.setUsername(userInfo.user().orElse(""));
            factory.setPassword(userInfo.password().orElse(""));
        }
        return address.hosts().stream().map(h -> new Address(h.host(), h.port())).toList();
    }

    private void connect() throws IOException, TimeoutException {
        connection = factory.newConnection(addresses, "omnibus");
        connection.addShutdownListener(cause -> {
            if (!closed.get() && !cause.isInitiatedByApplication() && !down) {
                down = true;
                log.warn("{}: lost the connection to {}; recovering: {}", NAME, context.redactedUrl(),
                        cause.getMessage());
                context.connectionState(ConnectionState.DISCONNECTED, cause);
            }
        });
        ((Recoverable) connection).addRecoveryListener(new RecoveryListener() {
            @Override
            public void handleRecovery(Recoverable recoverable) {
                // before publishes are let through again (they are refused while down): see bindAgain
                bindAgain();
                recoveries.incrementAndGet();
                delayQueues.clear();
                if (!closed.get()) {
                    down = false;
                    blocked = null;
                    log.info("{}: recovered the connection to {}", NAME, context.redactedUrl());
                    context.connectionState(ConnectionState.RECONNECTED, null);
                }
            }

            @Override
            public void handleRecoveryStarted(Recoverable recoverable) {
                // reported as DISCONNECTED by the shutdown listener
            }
        });
        connection.addBlockedListener(new BlockedListener() {
            @Override
            public void handleBlocked(String reason) {
                blocked = reason;
                log.warn("{}: {} blocks publishing ({}); publishes fail with RESOURCE_EXHAUSTED until it unblocks",
                        NAME, context.redactedUrl(), reason);
            }

            @Override
            public void handleUnblocked() {
                blocked = null;
                log.info("{}: {} accepts publishes again", NAME, context.redactedUrl());
            }
        });
        admin(this::declareExchange);
        confirms = new Confirms(this, connection.createChannel(), mandatory);
    }

    /**
     * Declares the exchange and every live receiver's queue and binding again, on the client's recovery thread, before
     * publishes are taken again. Why not leave it to the receivers alone: RabbitMQ (seen on 3.10) killed with
     * {@code kill -9} can come back with a durable queue but without a binding made shortly before, and the
     * receivers bind again only on their receive loop's next attempt, which may be seconds away in its backoff;
     * publishes confirmed in between, not being mandatory, were routed nowhere and lost (the kit's R17, 1 run in 7).
     * A failure here (a quorum queue not ready yet) is logged and left to that receiver's loop, which declares again;
     * so is every receiver still unbound once a channel RPC timeout has passed (a quorum queue with no leader can
     * take that long per declaration, and publishes must not wait for a thousand of them).
     * Publishers on other connections are not held by this: docs/backends/rabbitmq.md says what they risk.
     */
    private void bindAgain() {
        if (closed.get()) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(factory.getChannelRpcTimeout());
        try {
            admin(this::declareExchange);
        } catch (IOException | RuntimeException e) {
            log.warn("{}: could not declare the exchange '{}' again after the recovery: {}", NAME, exchange,
                    classify(e).getMessage());
            return;
        }
        int left = receivers.size();
        for (RabbitReceiver r : receivers) {
            if (System.nanoTime() - deadline > 0) {
                log.warn("{}: binding queues again after the recovery took longer than {} ms; {} left to their "
                        + "subscriptions' own retries", NAME, factory.getChannelRpcTimeout(), left);
                return;
            }
            left--;
            try {
                admin(ch -> {
                    r.declare(ch);
                    return null;
                });
            } catch (IOException | RuntimeException e) {
                log.warn("{}: could not bind the queue '{}' again after the recovery (its subscription retries): {}",
                        NAME, r.queue(), classify(e).getMessage());
            }
        }
    }

    /**
     * Declares the exchange on {@code ch}: durable, of type topic. Its one shape: a declaration that differs from the
     * exchange's fails with PRECONDITION_FAILED and closes the channel.
     */
    Void declareExchange(Channel ch) throws IOException {
        ch.exchangeDeclare(exchange, "topic", true);
        return null;
    }

    /** Whether the connection is lost and its recovery (with {@link #bindAgain()}) not done yet. */
    boolean recovering() {
        return down;
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
        AmqpBinding.Message m;
        try {
            m = binding.encode(event);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(classify(e));
        }
        return publish(exchange, topic, m.properties(), m.body(), topic, event.getId());
    }

    /**
     * Publishes one message with a confirm; the receipt's position is the confirm sequence number on this connection.
     * Never blocks on the broker beyond a socket write; bounded by {@code publish.max.outstanding}.
     */
    CompletableFuture<PublishReceipt> publish(String toExchange, String routingKey, AMQP.BasicProperties props,
                                              byte[] body, String topic, String eventId) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(closedError());
        }
        String alarm = blocked;
        if (alarm != null) {
            return CompletableFuture.failedFuture(new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED, NAME + ": "
                    + context.redactedUrl() + " blocks publishing (" + alarm + "); retry later"));
        }
        if (outstanding.incrementAndGet() > maxOutstanding) {
            outstanding.decrementAndGet();
            return CompletableFuture.failedFuture(new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED, NAME + ": "
                    + maxOutstanding + " publishes to " + context.redactedUrl() + " await their confirm "
                    + "(publish.max.outstanding); retry later"));
        }
        CompletableFuture<PublishReceipt> result = new PublishFuture(this);
        result.whenComplete((r, e) -> outstanding.decrementAndGet());
        try {
            confirms().publish(toExchange, routingKey, props, body, topic, eventId, result);
        } catch (IOException | RuntimeException e) {
            result.completeExceptionally(classify(e));
        }
        return result;
    }

    /**
     * The publishing channel; a new one when the broker closed the last one over a channel error (its exchange
     * deleted, say) while the connection lives on. A channel closed with the connection is the client's to recover.
     */
    private Confirms confirms() throws IOException {
        Confirms c = confirms;
        if (c.isOpen() || !c.closedByChannelError() || !connection.isOpen()) {
            return c;
        }
        synchronized (this) {
            c = confirms;
            if (!c.isOpen() && c.closedByChannelError() && connection.isOpen()) {
                log.warn("{}: the publishing channel to {} was closed by the broker ({}); opening another",
                        NAME, context.redactedUrl(), c.closeReason());
                c.abort();
                admin(this::declareExchange);
                c = new Confirms(this, connection.createChannel(), mandatory);
                confirms = c;
            }
            return c;
        }
    }

    /**
     * Runs {@code call} on the admin channel, opening a new one when the last one was closed; UNAVAILABLE while the
     * connection is down, without touching the channel (the client's recovery owns it then: aborting or opening one
     * meanwhile left the recovery stuck for good in the kit's restart rules).
     */
    <T> T admin(ChannelCall<T> call) throws IOException {
        if (!connection.isOpen()) {
            throw new OmnibusException(ErrorCode.UNAVAILABLE, NAME + ": the connection to " + context.redactedUrl()
                    + " is down; recovering");
        }
        synchronized (adminLock) {
            if (admin == null || !admin.isOpen()) {
                if (admin != null) {
                    abort(admin);
                }
                admin = connection.createChannel();
            }
            return call.run(admin);
        }
    }

    /** A call on a channel. */
    @FunctionalInterface
    interface ChannelCall<T> {
        T run(Channel channel) throws IOException;
    }

    /**
     * The retry queue for a delay: a durable queue whose message TTL dead-letters back to {@code source} (at least
     * once with quorum queues; classic queues dead-letter at most once: a broker crash at the moment a message expires
     * may lose it), expiring when unused for twice the delay plus a minute. Declared once, and again before it could
     * have expired (publishing does not count as use) and after a recovery. The delay is the TTL as given: the caller
     * rounds it to few distinct values.
     */
    String delayQueue(String source, long delayMillis) throws IOException {
        String name = source + ":delay:" + delayMillis;
        long expires = delayMillis * 2 + 60_000;
        Long declared = delayQueues.get(name);
        long now = System.nanoTime();
        if (declared != null && now - declared < expires / 2 * 1_000_000L) {
            return name;
        }
        Map<String, Object> args = new HashMap<>(Map.of("x-message-ttl", delayMillis, "x-expires", expires,
                "x-dead-letter-exchange", "", "x-dead-letter-routing-key", source));
        if (quorum) {
            args.putAll(Map.of("x-queue-type", "quorum", "x-dead-letter-strategy", "at-least-once",
                    "x-overflow", "reject-publish"));
        }
        admin(ch -> ch.queueDeclare(name, true, false, false, args));
        delayQueues.put(name, now);
        return name;
    }

    /** Whether queues are quorum queues (else classic). */
    boolean quorum() {
        return quorum;
    }

    @Override
    public Receiver receiver(ReceiverSpec spec) {
        if (closed.get()) {
            throw closedError();
        }
        RabbitReceiver r = new RabbitReceiver(this, spec);
        receivers.add(r);
        try {
            r.start();
        } catch (RuntimeException e) {
            receivers.remove(r);
            r.close();
            throw e;
        }
        return r;
    }

    void forget(RabbitReceiver r) {
        receivers.remove(r);
    }

    Connection connection() {
        return connection;
    }

    long recoveries() {
        return recoveries.get();
    }

    BackendContext context() {
        return context;
    }

    String exchange() {
        return exchange;
    }

    boolean orderedGroups() {
        return orderedGroups;
    }

    Duration privateExpires() {
        return privateExpires;
    }

    boolean isClosed() {
        return closed.get();
    }

    static void abort(Channel channel) {
        try {
            channel.abort();
        } catch (IOException | RuntimeException e) {
            log.debug("{}: aborting a channel failed", NAME, e);
        }
    }

    @Override
    public OmnibusException classify(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof OmnibusException) {
            return (OmnibusException) t;
        }
        if (t instanceof IOException && t.getCause() instanceof ShutdownSignalException) {
            t = t.getCause();
        }
        String server = context.redactedUrl();
        if (t instanceof AuthenticationFailureException || t instanceof PossibleAuthenticationFailureException) {
            return new OmnibusException(ErrorCode.UNAUTHENTICATED, NAME + ": " + server + " refused the login ("
                    + t.getMessage() + "): check the user and password in the URL (amqp://user:password@host)", t);
        }
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof SSLException) {
                Optional<String> why = TlsFailures.explain(c);
                if (why.isPresent()) {
                    return new OmnibusException(ErrorCode.UNAUTHENTICATED, NAME + " (" + server + "): " + why.get(),
                            c);
                }
            }
        }
        if (t instanceof ShutdownSignalException) {
            ShutdownSignalException s = (ShutdownSignalException) t;
            if (closed.get()) {
                return new OmnibusException(ErrorCode.CLOSED, NAME + ": the connection to " + server
                        + " is closed", t);
            }
            return replyError(s);
        }
        if (t instanceof IOException || t instanceof TimeoutException) {
            return new OmnibusException(ErrorCode.UNAVAILABLE, NAME + ": cannot reach " + server + ": " + t, t);
        }
        return new OmnibusException(ErrorCode.UNKNOWN, NAME + ": " + t, t);
    }

    /** Maps the broker's close (its reply code) to a portable error; a connection that went away is UNAVAILABLE. */
    private OmnibusException replyError(ShutdownSignalException s) {
        String server = context.redactedUrl();
        Object reason = s.getReason();
        int code = reason instanceof AMQP.Channel.Close ? ((AMQP.Channel.Close) reason).getReplyCode()
                : reason instanceof AMQP.Connection.Close ? ((AMQP.Connection.Close) reason).getReplyCode() : 0;
        String what = NAME + ": " + server + (s.isHardError() ? " closed the connection: " : " closed the channel: ")
                + s.getMessage();
        if (s instanceof AlreadyClosedException || s.isHardError() && code != AMQP.ACCESS_REFUSED
                && code != AMQP.NOT_ALLOWED) {
            return new OmnibusException(ErrorCode.UNAVAILABLE, what, s);
        }
        switch (code) {
            case AMQP.NOT_FOUND:
                return new OmnibusException(ErrorCode.NOT_FOUND, what, s, true);
            case AMQP.ACCESS_REFUSED:
            case AMQP.NOT_ALLOWED:
                return new OmnibusException(ErrorCode.PERMISSION_DENIED, what + ": the user may not use this "
                        + "vhost, exchange or queue", s);
            case AMQP.PRECONDITION_FAILED:
                return new OmnibusException(ErrorCode.INVALID_ARGUMENT, what + ": a queue or exchange of that name "
                        + "exists with other settings", s);
            case AMQP.RESOURCE_LOCKED:
            case AMQP.RESOURCE_ERROR:
                return new OmnibusException(ErrorCode.UNAVAILABLE, what, s);
            default:
                return new OmnibusException(ErrorCode.UNAVAILABLE, what, s);
        }
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
        for (RabbitReceiver r : receivers) {
            r.close();
        }
        Connection c = connection;
        if (c != null) {
            try {
                c.close(CLOSE_TIMEOUT_MS);
            } catch (IOException | RuntimeException e) {
                log.debug("{}: closing the connection to {} failed; aborting it", NAME, context.redactedUrl(), e);
                c.abort(CLOSE_TIMEOUT_MS);
            }
        }
        Confirms pending = confirms;
        if (pending != null) {
            pending.failAll(closedError());
        }
        context.connectionState(ConnectionState.CLOSED, null);
    }
}
