package dev.omnibus.redis.internal;

import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.ConfigException;
import dev.omnibus.ConnectionState;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.redis.RedisBackendProvider;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.PublishFuture;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import dev.omnibus.spi.RepeatCache;
import dev.omnibus.spi.TlsFailures;
import dev.omnibus.spi.TlsOptions;
import dev.omnibus.spi.TlsSettings;
import dev.omnibus.spi.UserInfo;
import io.cloudevents.CloudEvent;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.StaticCredentialsProvider;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.XAddArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.event.connection.ReconnectFailedEvent;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * Thread-safe: one Lettuce client with a shared connection for settling and set-up, and a pipelined connection for
 * publishing, to a Redis server. Each {@link RedisReceiver} adds a connection of its own for blocking reads. Owns
 * Lettuce's I/O and computation threads ({@code omnibus-redis-*}), stopped by {@link #close()}.
 *
 * <p>Publishing pipelines: the publish connection has auto-flush off and a {@link PublishCork} decides when its
 * queued {@code XADD}s are written. A publish on an idle connection is written at once; while written commands
 * await their replies, new ones wait for those replies and then go out together in one write, or are written by the
 * publisher once {@value #FLUSH_BATCH} have queued.
 *
 * <p>Outages: Lettuce reconnects by itself and keeps every command of a broken connection (bounded by
 * {@code request.queue.size}) to send again, in order, once reconnected; a {@link ReconnectGuard} on every channel
 * makes that hold for the command in flight when the connection broke and for a write that failed with it, and holds
 * a reconnected channel back until the server has loaded its data. So a restart shorter than {@code publish.timeout}
 * fails no publish and no ack.
 */
public final class RedisBackend implements Backend {
    private static final Logger log = LoggerFactory.getLogger(RedisBackend.class);
    static final String NAME = "redis";
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(2);
    private static final Pattern VERSION = Pattern.compile("redis_version:(\\d+)\\.(\\d+)");
    /** Unflushed publishes after which the publishing thread flushes itself instead of waiting for the flusher. */
    static final int FLUSH_BATCH = 256;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** The longest wait between two PINGs to a server still loading its data after a restart. */
    private static final Duration LOADING_POLL_MAX = Duration.ofSeconds(1);

    private final BackendContext context;
    private final ClientResources resources;
    private final RedisClient client;
    private final RedisURI uri;
    private final StreamBinding binding;
    private final int trimMaxLen;
    private final Duration trimMaxAge;
    private final Set<RedisReceiver> receivers = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile StatefulRedisConnection<byte[], byte[]> connection;
    /** Auto-flush off: XADDs only, flushed by {@link #flushPublishes()}. */
    private volatile StatefulRedisConnection<byte[], byte[]> publishing;
    private volatile RedisAsyncCommands<byte[], byte[]> publishCommands;
    /** XADDs sent and not yet answered, bounded by request.queue.size (also while disconnected). */
    private final AtomicInteger outstanding = new AtomicInteger();
    private final int requestQueue;
    private final Executor flusher;
    private final PublishCork cork;
    private final RepeatCache publishKeys = new RepeatCache();
    private volatile boolean down;
    private Capabilities capabilities;
    /**
     * Set while reconnecting fails because the server refuses us (a password changed, a user disabled, a certificate
     * no longer trusted): new publishes and reads fail with it at once instead of waiting for a server that keeps
     * saying no. Cleared by the next connection that activates. Lettuce keeps retrying at the reconnect policy's pace.
     */
    private volatile OmnibusException refused;
    private final Disposable refusals;

    private RedisBackend(BackendContext context, RedisURI uri, SslOptions ssl) {
        this.context = context;
        this.uri = uri;
        this.binding = new StreamBinding(context.get(RedisBackendProvider.STRUCTURED));
        this.trimMaxLen = context.get(RedisBackendProvider.TRIM_MAXLEN);
        this.trimMaxAge = context.get(RedisBackendProvider.TRIM_MAX_AGE);
        this.requestQueue = context.get(RedisBackendProvider.REQUEST_QUEUE);
        this.resources = DefaultClientResources.builder()
                .reconnectDelay(new PolicyDelay(context.reconnectPolicy()))
                .threadFactoryProvider(pool -> new DefaultThreadFactory("omnibus-redis-" + pool.replace("lettuce-", ""),
                        true))
                .ioThreadPoolSize(2)
                .computationThreadPoolSize(1)
                .nettyCustomizer(new NettyCustomizer() {
                    @Override
                    public void afterChannelInitialized(Channel channel) {
                        ReconnectGuard.install(channel, context.redactedUrl(), CONNECT_TIMEOUT,
                                RedisBackend.this::loadingPoll);
                    }
                })
                .build();
        this.client = RedisClient.create(resources);
        this.flusher = resources.eventExecutorGroup().next();
        this.cork = new PublishCork(FLUSH_BATCH, this::flushPublishes, flusher);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                .requestQueueSize(context.get(RedisBackendProvider.REQUEST_QUEUE))
                .timeoutOptions(TimeoutOptions.enabled())
                .socketOptions(SocketOptions.builder().keepAlive(true).connectTimeout(CONNECT_TIMEOUT).build())
                .sslOptions(ssl)
                .build());
        client.addListener(new StateListener());
        this.refusals = resources.eventBus().get().subscribe(event -> {
            if (event instanceof ReconnectFailedEvent failed) {
                reconnectFailed(failed.getCause());
            } else if (event instanceof ConnectionActivatedEvent && refused != null) {
                refused = null;
                log.info("{}: {} accepts this client again", NAME, context.redactedUrl());
            }
        });
    }

    /**
     * Lettuce's own TLS options from the PEM files: the CA bundle as its trust manager (the JVM's trust store when
     * there is none), the client certificate and key for mutual TLS; the JDK provider, so nothing native is needed.
     * Lettuce reads the files for every connection, so renewed certificates apply at the next reconnect.
     */
    private static SslOptions sslOptions(TlsSettings tls) {
        if (!tls.enabled()) {
            return SslOptions.create();
        }
        SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider();
        try {
            tls.caFile().ifPresent(ca -> ssl.trustManager(ca.toFile()));
            if (tls.mutual()) {
                ssl.keyManager(tls.certFile().orElseThrow().toFile(), tls.keyFile().orElseThrow().toFile(), null);
            }
        } catch (IllegalArgumentException e) { // a file gone since TlsOptions checked it
            throw new ConfigException("tls.ca.file, tls.cert.file, tls.key.file: " + e.getMessage());
        }
        return ssl.build();
    }

    /** Lettuce's watchdog could not reconnect: remember a refusal so new work fails fast ({@link #refused}). */
    private void reconnectFailed(Throwable cause) {
        if (closed.get() || cause == null) {
            return;
        }
        OmnibusException refusal = refusal(cause);
        if (refusal != null && refusal.code() == ErrorCode.UNAUTHENTICATED) {
            boolean first = refused == null;
            refused = refusal;
            if (first) {
                for (RedisReceiver r : receivers) {
                    r.refused();
                }
                log.warn("{}: reconnecting to {} is refused; publishes and reads fail with {} until it accepts again "
                        + "(Lettuce retries at the reconnect policy's pace): {}", NAME, context.redactedUrl(),
                        refusal.code(), refusal.getMessage());
            }
        }
    }

    /** The server's standing refusal of this client since a reconnect failed, or {@code null}. */
    OmnibusException refused() {
        return refused;
    }

    /**
     * The wait before asking again after the n-th {@code LOADING} answer ({@link ReconnectGuard}): the reconnect
     * policy's delay, at most {@link #LOADING_POLL_MAX}, as loading ends by itself and a late poll only delays
     * everything buffered.
     */
    private Duration loadingPoll(int answers) {
        Duration delay = context.reconnectPolicy().delay(answers);
        return delay.compareTo(LOADING_POLL_MAX) > 0 ? LOADING_POLL_MAX : delay;
    }

    /** Connects to the server named by the URL and reads what it can promise. */
    public static RedisBackend open(BackendContext context) {
        if (context.get(RedisBackendProvider.TRIM_MAXLEN) > 0 && !context.get(RedisBackendProvider.TRIM_MAX_AGE).isZero()) {
            throw new ConfigException("options 'trim.maxlen' and 'trim.max.age' cannot both be set: XADD trims by "
                    + "MAXLEN or by MINID, not both");
        }
        TlsSettings tls = TlsOptions.resolve(context, RedisBackendProvider.TLS_SCHEME.equals(context.scheme()));
        RedisURI uri = uri(context);
        uri.setSsl(tls.enabled());
        uri.setVerifyPeer(SslVerifyMode.FULL); // the certificate's chain and its host name
        uri.setTimeout(context.publishTimeout());
        // before the client's threads exist: Lettuce checks the files here and throws if one went away meanwhile
        SslOptions ssl = sslOptions(tls);
        RedisBackend backend = new RedisBackend(context, uri, ssl);
        try {
            backend.connection = backend.client.connect(ByteArrayCodec.INSTANCE, uri);
            StatefulRedisConnection<byte[], byte[]> publishing = backend.client.connect(ByteArrayCodec.INSTANCE, uri);
            publishing.setAutoFlushCommands(false);
            backend.publishCommands = publishing.async();
            backend.publishing = publishing;
            String info = backend.serverInfo();
            backend.requireStreamCommands(info);
            backend.capabilities = backend.declare(info);
        } catch (RuntimeException e) {
            OmnibusException error = backend.classify(e);
            backend.close();
            throw error;
        }
        context.connectionState(ConnectionState.CONNECTED, null);
        return backend;
    }

    /**
     * The server's address and database from the URL, with the user and password as Lettuce credentials. Only the
     * part after the userinfo ever becomes a URI string: Lettuce may print that, and a password with {@code /},
     * {@code ?}, {@code @} or {@code %} would not survive URI parsing anyway ({@link UserInfo} splits at the last
     * {@code @}). Messages name the address with the userinfo masked, never the password.
     */
    private static RedisURI uri(BackendContext context) {
        UserInfo userInfo = UserInfo.split(context.address());
        String hosts = userInfo.hosts();
        String shown = context.scheme() + "://" + (userInfo.present() ? "****@" : "") + hosts;
        String shape = context.scheme() + "://[[user]:password@]host[:port][/database]";
        if (hosts.isEmpty() || hosts.startsWith(":") || hosts.startsWith("/")) {
            // checked here: Lettuce would take ":6380" for a host name
            throw new ConfigException("'" + shown + "' names no host: expected " + shape);
        }
        RedisURI uri;
        try {
            uri = RedisURI.create("redis://" + hosts);
        } catch (RuntimeException e) {
            throw new ConfigException("'" + shown + "' is not a valid Redis address: expected " + shape);
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new ConfigException("'" + shown + "' names no host: expected " + shape);
        }
        if (userInfo.present()) {
            String user = userInfo.user().orElse(null);
            String password = userInfo.password().orElse(null);
            if (password == null) {
                // redis://secret@host: redis-cli and Lettuce read a userinfo without ':' as the password (requirepass)
                password = user;
                user = null;
            }
            if (password != null && !password.isEmpty() || user != null) {
                uri.setCredentialsProvider(new StaticCredentialsProvider(user,
                        password == null ? new char[0] : password.toCharArray()));
            }
        }
        return uri;
    }

    /** INFO server and persistence, or {@code null} where the server refuses INFO (an ACL, a renamed command). */
    private String serverInfo() {
        try {
            return connection.sync().info("server") + connection.sync().info("persistence");
        } catch (RedisCommandExecutionException e) {
            log.info("{}: {} refused INFO ({}); cannot check its version and persistence", NAME,
                    context.redactedUrl(), e.getMessage());
            return null;
        }
    }

    /** XAUTOCLAIM and XCLAIM ... JUSTID with min-idle semantics need Redis 6.2. */
    private void requireStreamCommands(String info) {
        if (info == null) {
            return;
        }
        Matcher version = VERSION.matcher(info);
        if (version.find() && (Integer.parseInt(version.group(1)) < 6
                || Integer.parseInt(version.group(1)) == 6 && Integer.parseInt(version.group(2)) < 2)) {
            throw new OmnibusException(ErrorCode.UNSUPPORTED, NAME + ": " + context.redactedUrl() + " runs Redis "
                    + version.group(1) + "." + version.group(2) + "; Omnibus needs Redis 6.2 or later (XAUTOCLAIM)");
        }
    }

    private Capabilities declare(String info) {
        Capabilities.Builder caps = Capabilities.builder()
                .supports(Capability.AT_LEAST_ONCE, Capability.GROUPS, Capability.REPLAY, Capability.ORDERING,
                        Capability.NACK, Capability.DELAYED_NACK)
                .denies(Capability.NATIVE_DEAD_LETTER, "Redis Streams has no dead-letter verb: the library XADDs the "
                        + "event to the dead-letter stream, then XACKs it on the source")
                .denies(Capability.DEDUP, "XADD always appends a new entry: Redis Streams has no publish "
                        + "de-duplication")
                .denies(Capability.WILDCARDS, "a stream is one key and XREADGROUP reads named streams only: there "
                        + "is no pattern subscription over streams")
                .denies(Capability.OVERFLOW_POLICY, "entries wait in the stream on the server, not in a client "
                        + "buffer: bound a stream with trim.maxlen or trim.max.age instead")
                .maxPayloadBytes(context.get(RedisBackendProvider.MAX_PAYLOAD));
        if (info == null) {
            caps.denies(Capability.DURABLE, "the server at " + context.redactedUrl() + " refused INFO persistence: "
                    + "whether a restart keeps entries is unknown");
        } else if (info.contains("aof_enabled:1")) {
            caps.supports(Capability.DURABLE);
        } else {
            caps.denies(Capability.DURABLE, "the server at " + context.redactedUrl() + " runs without the "
                    + "append-only file (INFO persistence: aof_enabled:0): a restart loses recent or all entries");
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
            return CompletableFuture.failedFuture(closedError());
        }
        OmnibusException refusal = refused;
        if (refusal != null) {
            return CompletableFuture.failedFuture(refusal);
        }
        CompletableFuture<PublishReceipt> result = new PublishFuture(this);
        if (outstanding.incrementAndGet() > requestQueue) {
            outstanding.decrementAndGet();
            result.completeExceptionally(new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED, NAME + ": "
                    + requestQueue + " publishes to " + context.redactedUrl() + " await their reply "
                    + "(request.queue.size); retry later"));
            return result;
        }
        try {
            XAddArgs trim = trim();
            Object[] fields = binding.encode(event);
            RedisFuture<String> added = trim == null ? publishCommands.xadd(publishKey(topic), fields)
                    : publishCommands.xadd(publishKey(topic), trim, fields);
            cork.queued();
            added.whenComplete((id, error) -> {
                outstanding.decrementAndGet();
                cork.answered();
                if (error != null) {
                    result.completeExceptionally(classify(error));
                } else {
                    result.complete(new PublishReceipt(topic, event.getId(), id, false));
                }
            });
        } catch (RuntimeException e) {
            outstanding.decrementAndGet();
            result.completeExceptionally(classify(e));
        }
        return result;
    }

    /**
     * Writes every queued XADD ({@link #cork} decides when). While the connection is down the commands stay queued;
     * {@link StateListener} flushes them on reconnect.
     */
    private void flushPublishes() {
        try {
            publishing.flushCommands();
        } catch (RuntimeException e) {
            log.debug("{}: flushing publishes to {} failed", NAME, context.redactedUrl(), e);
        }
    }

    private XAddArgs trim() {
        if (trimMaxLen > 0) {
            return new XAddArgs().maxlen(trimMaxLen).approximateTrimming();
        }
        if (!trimMaxAge.isZero()) {
            return new XAddArgs().minId((System.currentTimeMillis() - trimMaxAge.toMillis()) + "-0")
                    .approximateTrimming();
        }
        return null;
    }

    @Override
    public Receiver receiver(ReceiverSpec spec) {
        if (closed.get()) {
            throw closedError();
        }
        StatefulRedisConnection<byte[], byte[]> own = client.connect(ByteArrayCodec.INSTANCE, uri);
        try {
            RedisReceiver r = new RedisReceiver(this, spec, own);
            receivers.add(r);
            return r;
        } catch (RuntimeException e) {
            own.closeAsync();
            throw e;
        }
    }

    void forget(RedisReceiver r) {
        receivers.remove(r);
    }

    /** The shared connection's commands: publishing and settling, never blocking reads. */
    RedisAsyncCommands<byte[], byte[]> async() {
        return connection.async();
    }

    BackendContext context() {
        return context;
    }

    StreamBinding binding() {
        return binding;
    }

    boolean isClosed() {
        return closed.get();
    }

    static byte[] key(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The stream key of {@code topic}; the last one is kept, as a publisher mostly repeats its topic. */
    private byte[] publishKey(String topic) {
        return publishKeys.bytes(topic);
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
        String message = String.valueOf(t.getMessage());
        OmnibusException refusal = refusal(t);
        if (refusal != null) {
            return refusal;
        }
        if (closed.get() && (t instanceof RedisException || t instanceof CancellationException)) {
            return new OmnibusException(ErrorCode.CLOSED, NAME + ": the connection to " + context.redactedUrl()
                    + " is closed", t);
        }
        if (t instanceof RedisCommandTimeoutException) {
            return new OmnibusException(ErrorCode.TIMEOUT, NAME + ": no reply from " + context.redactedUrl()
                    + " in time (" + message + "); the server may have executed the command", t);
        }
        if (t instanceof RedisConnectionException || t instanceof IOException || t instanceof CancellationException) {
            return new OmnibusException(ErrorCode.UNAVAILABLE, NAME + ": cannot reach " + context.redactedUrl() + ": "
                    + message, t);
        }
        if (t instanceof RedisCommandExecutionException) {
            return classifyReply(message, t);
        }
        if (t instanceof RedisCommandInterruptedException) {
            return new OmnibusException(ErrorCode.UNAVAILABLE, NAME + ": interrupted waiting for "
                    + context.redactedUrl(), t);
        }
        if (t instanceof RedisException) {
            if (message.contains("Request queue size exceeded")) {
                return new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED, NAME + ": too many commands buffered for "
                        + context.redactedUrl() + " (request.queue.size); retry later", t);
            }
            return new OmnibusException(ErrorCode.UNAVAILABLE, NAME + ": connection to " + context.redactedUrl()
                    + " failed: " + message, t);
        }
        return new OmnibusException(ErrorCode.UNKNOWN, NAME + ": " + t, t);
    }

    /** Maps an error reply by its Redis error code (the first word). */
    private OmnibusException classifyReply(String message, Throwable t) {
        String code = message.split(" ", 2)[0];
        String what = NAME + ": " + context.redactedUrl() + " replied " + message;
        switch (code) {
            case "LOADING":
            case "BUSY":
            case "MASTERDOWN":
            case "TRYAGAIN":
            case "READONLY":
            case "CLUSTERDOWN":
                return new OmnibusException(ErrorCode.UNAVAILABLE, what, t);
            case "OOM":
                return new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED, what, t);
            case "NOAUTH":
            case "WRONGPASS":
                return new OmnibusException(ErrorCode.UNAUTHENTICATED, what + ": check the user and password in the "
                        + "URL (redis://user:password@host, or redis://:password@host for requirepass)", t);
            case "NOPERM":
                return new OmnibusException(ErrorCode.PERMISSION_DENIED, what + ": the ACL user lacks the command or "
                        + "the key", t);
            case "NOGROUP":
                return new OmnibusException(ErrorCode.NOT_FOUND, what, t);
            default:
                return new OmnibusException(ErrorCode.INTERNAL, what, t);
        }
    }

    /** {@link #refusal(String, Throwable)} for this backend's server. */
    OmnibusException refusal(Throwable error) {
        return refusal(context.redactedUrl(), error);
    }

    /**
     * {@code UNAUTHENTICATED} when {@code error} or one of its causes is the server refusing this client, or this
     * client refusing the server: an {@code AUTH}/{@code HELLO} answered {@code WRONGPASS} or {@code NOAUTH}; a TLS
     * handshake that failed on the server's certificate (its chain or its host name: a {@link CertificateException}
     * under the {@link SSLHandshakeException}); or a certificate alert from the server (it wants a client
     * certificate, or does not trust ours). Lettuce wraps these in a {@link RedisConnectionException} at connect and
     * in a reconnect's failure; a retry cannot help, so they are not retryable. A TLS handshake that found no TLS
     * (a plaintext port) is {@code UNAVAILABLE} with a hint. {@code null} for everything else, including handshakes
     * that merely broke off (timed out, connection closed): those are connection failures, retried.
     *
     * @param server the redacted URL, for messages
     */
    static OmnibusException refusal(String server, Throwable error) {
        int depth = 0;
        for (Throwable c = error; c != null && depth < 16; c = c.getCause(), depth++) {
            if (c instanceof RedisCommandExecutionException) {
                String message = String.valueOf(c.getMessage());
                String code = message.split(" ", 2)[0];
                if (code.equals("WRONGPASS") || code.equals("NOAUTH")) {
                    return new OmnibusException(ErrorCode.UNAUTHENTICATED, NAME + ": " + server + " replied "
                            + message + ": check the user and password in the URL (redis://user:password@host, or "
                            + "redis://:password@host for requirepass)", c);
                }
                return null;
            }
            if (c instanceof NotSslRecordException || c instanceof SslHandshakeTimeoutException) {
                return new OmnibusException(ErrorCode.UNAVAILABLE, NAME + ": " + server + " did not answer in TLS ("
                        + c.getMessage() + "): is this its TLS port? (rediss:// and tls=true expect one)", c);
            }
            if (c instanceof SSLException) {
                Optional<String> why = TlsFailures.explain(c);
                if (why.isPresent()) {
                    return new OmnibusException(ErrorCode.UNAUTHENTICATED, NAME + " (" + server + "): " + why.get(),
                            c);
                }
            }
        }
        return null;
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
        refusals.dispose();
        for (RedisReceiver r : receivers) {
            r.close();
        }
        try {
            if (publishing != null) {
                publishing.close();
            }
            if (connection != null) {
                connection.close();
            }
            client.shutdown(Duration.ZERO, SHUTDOWN_TIMEOUT);
        } catch (RuntimeException e) {
            log.debug("{}: shutting down the client for {} failed", NAME, context.redactedUrl(), e);
        }
        try {
            resources.shutdown(0, SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .get(SHUTDOWN_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("{}: stopping Lettuce's threads failed", NAME, e);
        }
        context.connectionState(ConnectionState.CLOSED, null);
    }

    /** Reports the shared connection's state: receivers' connections recover through their receive errors. */
    private final class StateListener implements RedisConnectionStateListener {
        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
            if (handler == publishing && !closed.get()) {
                // XADDs queued while the publish connection was down wait for a flush: send them now, and once more
                // shortly after in case this event came before the endpoint took the new channel.
                flusher.execute(cork::flush);
                context.scheduler().schedule(cork::flush, 50, TimeUnit.MILLISECONDS);
            }
            if (handler == connection && down && !closed.get()) {
                down = false;
                log.info("{}: reconnected to {}", NAME, context.redactedUrl());
                context.connectionState(ConnectionState.RECONNECTED, null);
            }
        }

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
            if (handler == connection && !down && !closed.get()) {
                down = true;
                log.warn("{}: lost the connection to {}; reconnecting", NAME, context.redactedUrl());
                context.connectionState(ConnectionState.DISCONNECTED, null);
            }
        }
    }
}
