package dev.omnibus.nats.shared;

import dev.omnibus.ConfigException;
import dev.omnibus.ConnectionState;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.ReconnectPolicy;
import dev.omnibus.internal.Redaction;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BrokerAddress;
import dev.omnibus.nats.NatsBackendProvider;
import dev.omnibus.spi.TlsFailures;
import dev.omnibus.spi.TlsOptions;
import dev.omnibus.spi.TlsSettings;
import dev.omnibus.spi.UserInfo;
import io.nats.client.AuthHandler;
import io.nats.client.AuthenticationException;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamStatusException;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.ServerInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import javax.net.ssl.SSLHandshakeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One jnats connection set up from a {@link BackendContext}, shared by the NATS core and JetStream backends;
 * thread-safe. Not API.
 *
 * <p>The URL's address {@code [user[:password]@|token@]host[:port][,host[:port]...]} becomes the server list (port
 * 4222 by default, {@code tls://} when TLS is on) with the credentials passed to jnats apart, so they never appear in
 * jnats' messages; the userinfo ends at the last {@code @} ({@link UserInfo}). Security: {@link TlsOptions} (with the
 * host name always checked, see {@link HostCheckingSslContext}), {@code creds.file} or {@code nkey.file} through
 * jnats' file-based auth handler; refused credentials and untrusted servers fail {@link #open} with
 * {@link ErrorCode#UNAUTHENTICATED}, and the server's {@code -ERR} texts reach {@link #onServerError} listeners (the
 * backends map permission violations to the publish or subscription they concern). jnats
 * reconnects by itself, forever, waiting as the shared jittered {@link ReconnectPolicy} says between tries; its
 * connection events are reported to the library, {@code RECONNECTED} only after a flush has confirmed that the server
 * processed the re-sent subscriptions (a publish right after it reaches them). Threads: jnats' own (reader, writer,
 * timers), {@code omnibus-<backend>-callbacks} (jnats' callbacks) and {@code omnibus-<backend>-events}, stopped by
 * {@link #close()}.
 */
public final class NatsConnector {
    private static final Logger log = LoggerFactory.getLogger(NatsConnector.class);
    private static final int DEFAULT_PORT = 4222;
    private static final Duration RECONNECT_FLUSH = Duration.ofSeconds(5);

    private final String backend;
    private final BackendContext context;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong reconnects = new AtomicLong();
    /** DISCONNECTED events from jnats so far: a reconnect is confirmed only if none came after it. */
    private final AtomicLong disconnects = new AtomicLong();
    /** Every flush of the NATS backends, one at a time, kept from wedging on jnats' PING accounting. */
    private final PingFlush flushes;
    private volatile boolean down;
    private volatile Connection connection;
    /**
     * Confirms a reconnect off jnats' threads: jnats calls its connection listener on its reconnect thread, and a
     * flush there (it used to be there) held the reconnect up for seconds, its PING queued behind the reconnect and its
     * pong future ahead of the handshake's — publishes then stayed unconfirmed and subscriptions silent for long
     * after a restart or a cut (NatsCoreIT repeats both under traffic). One daemon thread, ended by close.
     */
    private final ExecutorService events;
    /**
     * jnats' callback thread for this connection (jnats would otherwise share one among all connections): one thread,
     * so callbacks run in the order jnats queued them, and {@link #awaitCallbacks} can queue a marker behind them.
     */
    private final ExecutorService callbacks;
    /** Guards {@link #errorsHandled}; {@link #awaitServerErrors} waits on it. */
    private final Object errorsHandledLock = new Object();
    /** How many {@code -ERR}s the error listener has handed to {@link #serverErrorListeners} so far. */
    private long errorsHandled;
    /** Listeners of the server's {@code -ERR} texts ({@link #onServerError}). */
    private final List<Consumer<String>> serverErrorListeners = new CopyOnWriteArrayList<>();
    /** What jnats reported while {@link #open} connected: the cause of a failed connect (a TLS handshake, say). */
    private final List<Exception> connectFailures = new CopyOnWriteArrayList<>();
    private volatile boolean connecting = true;
    /** The TLS settings and jnats server URLs {@link #options} made, for {@link #classifyConnect}. */
    private TlsSettings tls = TlsSettings.disabled();
    private final List<String> servers = new ArrayList<>();
    /**
     * Recent JetStream API requests the server's permissions denied ({@code $JS.API.*} subjects), newest last, at most
     * {@value #API_DENIALS_KEPT}: a denied request is never answered and times out, and {@link #classify} turns that
     * timeout into PERMISSION_DENIED.
     */
    private final java.util.Deque<ApiDenial> apiDenials = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private static final int API_DENIALS_KEPT = 32;
    private static final String JS_API = "$JS.API.";

    private NatsConnector(String backend, BackendContext context) {
        this.backend = backend;
        this.context = context;
        this.events = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "omnibus-" + backend + "-events");
            t.setDaemon(true);
            return t;
        });
        this.callbacks = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "omnibus-" + backend + "-callbacks");
            t.setDaemon(true);
            return t;
        });
        this.flushes = new PingFlush(backend, context.redactedUrl(), () -> connection, closed::get, events);
    }

    /**
     * Connects to the servers the URL names.
     *
     * @throws ConfigException  when the address is not a NATS server list
     * @throws OmnibusException classified when no server can be reached
     */
    public static NatsConnector open(String backend, BackendContext context, Duration pingInterval) {
        NatsConnector connector = new NatsConnector(backend, context);
        try {
            Options options = connector.options(pingInterval);
            connector.connection = Nats.connect(options);
            connector.connecting = false;
            return connector;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connector.stopThreads();
            throw new OmnibusException(ErrorCode.UNAVAILABLE, backend + ": interrupted connecting to "
                    + context.redactedUrl(), e);
        } catch (IOException | RuntimeException e) {
            OmnibusException error = connector.classifyConnect(e);
            connector.stopThreads();
            throw error;
        }
    }

    /**
     * Why the first connect failed. jnats throws its own {@link AuthenticationException} when the server refused the
     * credentials, but only "Unable to connect" for everything else: the handshake's exception went to the error
     * listener, on the callback thread, so that is waited for first.
     */
    private OmnibusException classifyConnect(Exception e) {
        String where = backend + ": " + context.redactedUrl();
        if (e instanceof OmnibusException) {
            return (OmnibusException) e;
        }
        if (e instanceof AuthenticationException) {
            // the server's -ERR text ("Authorization Violation"); it never holds the credentials
            return new OmnibusException(ErrorCode.UNAUTHENTICATED, where + " refused the credentials ("
                    + e.getMessage() + "): check the user and password or token in the URL, creds.file or "
                    + "nkey.file", e, false);
        }
        awaitCallbacks(Duration.ofSeconds(2));
        for (Exception failure : connectFailures) {
            OmnibusException tls = classifyTls(failure, where);
            if (tls != null) {
                return tls;
            }
        }
        if (tls.enabled() && !tls.mutual() && !servers.isEmpty() && serverWantsClientCertificate(servers.get(0))) {
            return new OmnibusException(ErrorCode.UNAUTHENTICATED, where + " requires a client certificate (mutual "
                    + "TLS): set tls.cert.file and tls.key.file", e, false);
        }
        for (Exception failure : connectFailures) {
            String m = String.valueOf(failure.getMessage());
            if (m.contains("SSL required by server")) {
                return new OmnibusException(ErrorCode.INVALID_CONFIG, where + " requires TLS: set tls=true (and "
                        + "tls.ca.file unless the JVM trusts its CA)", e, false);
            }
            if (m.contains("SSL connection wanted by client")) {
                return new OmnibusException(ErrorCode.INVALID_CONFIG, where + " does not offer TLS, which tls / "
                        + "tls.*.file ask for", e, false);
            }
        }
        return classify(e);
    }

    /**
     * Whether the server's INFO (sent in clear before the TLS upgrade) says {@code "tls_verify":true}. Why: under
     * TLS 1.3 the client's side of the handshake completes before the server checks for a client certificate; the
     * server's alert then reaches jnats' reader while it connects, which jnats keeps to itself, and the connect ends
     * as a timeout. Asking the server is the one certain way to tell "no certificate given, one required".
     */
    private static boolean serverWantsClientCertificate(String server) {
        try {
            java.net.URI uri = java.net.URI.create(server);
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress(uri.getHost(), uri.getPort()), 2_000);
                socket.setSoTimeout(2_000);
                java.io.InputStream in = socket.getInputStream();
                StringBuilder info = new StringBuilder();
                int c;
                while (info.length() < 16_384 && (c = in.read()) >= 0 && c != '\n') {
                    info.append((char) c);
                }
                return info.toString().replace(" ", "").contains("\"tls_verify\":true");
            }
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * A TLS handshake that failed over a certificate ({@link TlsFailures}) as UNAUTHENTICATED, or null when
     * {@code failure} is not one: a handshake that broke off stays a connection failure. (A server refusing a missing
     * client certificate under TLS 1.3 is not seen here, jnats hides its alert: the server's greeting is asked.)
     */
    private static OmnibusException classifyTls(Exception failure, String where) {
        return TlsFailures.explain(failure).map(why -> new OmnibusException(ErrorCode.UNAUTHENTICATED, where + ": "
                + why, failure, false)).orElse(null);
    }

    private Options options(Duration pingInterval) {
        // the userinfo ends at the LAST '@' (UserInfo): a password may hold '/', '?', '@', '%', '+' raw
        BrokerAddress address = BrokerAddress.parse(context, DEFAULT_PORT).requireNoPath();
        UserInfo userInfo = address.userInfo();
        tls = TlsOptions.resolve(context, false);
        String scheme = tls.enabled() ? "tls://" : "nats://";
        for (BrokerAddress.HostPort host : address.hosts()) {
            servers.add(scheme + host);
        }
        ReconnectPolicy policy = context.reconnectPolicy();
        Options.Builder b = new Options.Builder()
                .servers(servers.toArray(new String[0]))
                .connectionName("omnibus-" + backend)
                .maxReconnects(-1)
                .reconnectDelayHandler(tries -> policy.delay((int) Math.max(1, Math.min(Integer.MAX_VALUE, tries))))
                .pingInterval(pingInterval)
                .connectionTimeout(Duration.ofSeconds(5))
                .connectionListener(this::onEvent)
                .errorListener(new Errors())
                // our own single callback thread, so awaitCallbacks() can wait behind what jnats queued on it
                .callbackExecutor(callbacks);
        if (tls.enabled()) {
            b.sslContext(new HostCheckingSslContext(tls.sslContext()));
            // jnats re-hosts a URL to each resolved address before the handshake, which would check the certificate
            // against the IP address instead of the name in the URL; Happy Eyeballs resolves inside the connect and
            // leaves the host name to the TLS layer
            b.hostnameResolveMode(Options.HostnameResolveMode.HappyEyeballs);
        }
        String creds = context.get(NatsBackendProvider.CREDS_FILE);
        String nkey = context.get(NatsBackendProvider.NKEY_FILE);
        int ways = (userInfo.present() ? 1 : 0) + (creds != null ? 1 : 0) + (nkey != null ? 1 : 0);
        if (ways > 1) {
            throw new ConfigException("give the NATS credentials one way: a user and password or a token in the URL, "
                    + "'" + NatsBackendProvider.CREDS_FILE.name() + "' or '" + NatsBackendProvider.NKEY_FILE.name()
                    + "'; " + ways + " were given");
        }
        if (creds != null) {
            b.authHandler(fileAuth(NatsBackendProvider.CREDS_FILE.name(), creds, true));
        } else if (nkey != null) {
            b.authHandler(fileAuth(NatsBackendProvider.NKEY_FILE.name(), nkey, false));
        } else if (userInfo.present()) {
            String user = userInfo.user().orElse("");
            if (userInfo.password().isPresent()) {
                b.userInfo(user.toCharArray(), userInfo.password().get().toCharArray());
            } else if (!user.isEmpty()) {
                b.token(user.toCharArray());
            }
        }
        return b.build();
    }

    /**
     * jnats' file-based handler for {@code file} (read again at each connect, so a rotated file is picked up), after
     * checking once that it holds what the option needs: the error names the option and the path, never the content.
     */
    private static AuthHandler fileAuth(String option, String file, boolean creds) {
        String what = creds ? "a NATS credentials file (a user JWT and an NKey seed, as nsc writes it)"
                : "a file holding a user NKey seed (SU...)";
        if (file.isBlank()) {
            throw new ConfigException("option '" + option + "' is empty: expected the path of " + what);
        }
        Path path;
        try {
            path = Path.of(file).toAbsolutePath();
        } catch (InvalidPathException e) {
            throw new ConfigException("option '" + option + "' is not a valid path: expected the path of " + what);
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new ConfigException("option '" + option + "' names '" + path + "', which is not a readable file: "
                    + "expected " + what);
        }
        AuthHandler handler = creds ? Nats.credentials(path.toString()) : Nats.credentials(null, path.toString());
        try {
            char[] id = handler.getID();
            boolean user = id != null && id.length > 0 && id[0] == 'U';
            if (creds) {
                char[] jwt = handler.getJWT();
                user = user && jwt != null && jwt.length > 0;
            }
            if (!user) {
                throw new IllegalStateException("not a user key");
            }
        } catch (RuntimeException e) {
            // jnats' message and cause may quote the file: only its class is shown
            throw new ConfigException("option '" + option + "' names '" + path + "', which does not hold " + what
                    + " (" + e.getClass().getSimpleName() + ")");
        }
        return handler;
    }

    private void onEvent(Connection conn, ConnectionListener.Events event) {
        if (closed.get()) {
            return;
        }
        switch (event) {
            case DISCONNECTED:
                if (connecting) {
                    // a failed try of the first connect (refused credentials, a TLS handshake): nothing was lost, and
                    // open() reports the failure itself
                    break;
                }
                disconnects.incrementAndGet();
                if (!down) {
                    down = true;
                    log.warn("{}: lost the connection to {}; reconnecting", backend, context.redactedUrl());
                    context.connectionState(ConnectionState.DISCONNECTED, null);
                }
                break;
            case RECONNECTED:
                log.debug("{}: reconnected to {}; re-sending subscriptions", backend, context.redactedUrl());
                break;
            case RESUBSCRIBED:
                // jnats has queued the subscriptions again; once a flush confirms the server has them, events
                // published by anyone reach this connection again: only then is it reported back (never on jnats'
                // own thread, which must not block)
                flushes.resubscribed();
                long seen = disconnects.get();
                try {
                    events.execute(() -> confirmReconnect(seen));
                } catch (RejectedExecutionException closing) {
                    // closed meanwhile
                }
                break;
            case CLOSED:
                if (connecting) {
                    // a first connect that failed: open() reports it
                    break;
                }
                // not by close() (that sets closed first): jnats gave the connection up, and will not reconnect
                log.error("{}: jnats closed the connection to {} by itself; it will not reconnect: publishes and "
                        + "subscriptions fail until this bus is closed and connected again", backend,
                        context.redactedUrl());
                if (!down) {
                    down = true;
                    context.connectionState(ConnectionState.DISCONNECTED, null);
                }
                break;
            default:
                break;
        }
    }

    /**
     * Reports the reconnect that re-sent the subscriptions after {@code disconnectsSeen} disconnects, once a flush
     * confirms it, unless the connection was lost again meanwhile: then that reconnect is not true any more (a report
     * would leave the state RECONNECTED on a dead connection, as jnats says DISCONNECTED only once), and the next
     * RESUBSCRIBED confirms its own.
     */
    private void confirmReconnect(long disconnectsSeen) {
        try {
            flush(RECONNECT_FLUSH);
        } catch (TimeoutException | RuntimeException e) {
            log.debug("{}: flush after reconnecting to {} failed", backend, context.redactedUrl(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (closed.get()) {
            return;
        }
        if (disconnects.get() != disconnectsSeen || connection.getStatus() != Connection.Status.CONNECTED) {
            log.debug("{}: the connection to {} was lost again before its reconnect was confirmed", backend,
                    context.redactedUrl());
            return;
        }
        reconnects.incrementAndGet();
        down = false;
        log.info("{}: reconnected to {}", backend, context.redactedUrl());
        context.connectionState(ConnectionState.RECONNECTED, null);
    }

    /**
     * Flushes the connection: returns once the server has answered a PING sent after everything queued before.
     * Every flush of the NATS backends goes through here, one at a time ({@link PingFlush}: jnats drops the
     * connection when more than two PINGs are out, and a lost PING would otherwise fail every later flush).
     *
     * @throws TimeoutException when no answer comes within {@code timeout} (disconnected, say); its message says the
     *                          connection's state
     */
    public void flush(Duration timeout) throws TimeoutException, InterruptedException {
        flushes.flush(timeout);
    }

    /**
     * Waits (up to {@code max}) until jnats has run every callback it queued so far. jnats counts a server's
     * {@code -ERR} on its reader thread before it reads what follows, but calls the error listener on its callback
     * thread: after a flush returns, this makes sure every {@code -ERR} the server sent before the flush's PONG has
     * reached the {@link #onServerError} listeners.
     *
     * @return whether it got there in time
     */
    public boolean awaitCallbacks(Duration max) {
        try {
            callbacks.submit(() -> { }).get(max.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            return false;
        }
    }

    /**
     * Waits (up to {@code max}) until every {@code -ERR} the server sent before the last completed flush has reached
     * the {@link #onServerError} listeners. jnats counts an {@code -ERR} in its statistics on its reader thread, before
     * it reads what follows (a flush's PONG), but calls the error listener later, on its callback thread; comparing
     * that count with the errors the listener has handled waits only when one is actually on its way, so the usual
     * flush (no {@code -ERR}) never waits for the callback thread, which can be busy for seconds during a reconnect.
     *
     * @return whether every counted error was handled in time
     */
    public boolean awaitServerErrors(Duration max) {
        Connection c = connection;
        if (c == null) {
            return true;
        }
        long counted = c.getStatistics().getErrs();
        long end = System.nanoTime() + max.toNanos();
        synchronized (errorsHandledLock) {
            while (errorsHandled < counted) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(errorsHandledLock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Calls {@code listener} with the text of each {@code -ERR} the server sends from now on ("Permissions Violation
     * for Publish to \"x\"", say), on jnats' callback thread, in the order they came; it must be quick.
     *
     * @return removes the listener
     */
    public Runnable onServerError(Consumer<String> listener) {
        serverErrorListeners.add(listener);
        return () -> serverErrorListeners.remove(listener);
    }

    /** The jnats connection. */
    public Connection connection() {
        return connection;
    }

    /** How many times the connection came back so far: consumers compare it to notice a reconnect. */
    public long reconnects() {
        return reconnects.get();
    }

    /**
     * The id of the server the connection is on now, or {@code ""} when unknown. A NATS server draws a new id each
     * time it starts, so a changed id after a reconnect means the server restarted and lost what it kept in memory
     * (pending pull requests, say); the same id means only the connection was cut.
     */
    public String serverId() {
        try {
            ServerInfo info = connection.getServerInfo();
            String id = info == null ? null : info.getServerId();
            return id == null ? "" : id;
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** The context the connection was opened with. */
    public BackendContext context() {
        return context;
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed.get();
    }

    /** The largest message (headers and payload) the server accepts, in bytes. */
    public long serverMaxPayload() {
        return connection.getServerInfo().getMaxPayload();
    }

    /** The error for use after {@link #close()}. */
    public OmnibusException closedError() {
        return new OmnibusException(ErrorCode.CLOSED, backend + ": the connection to " + context.redactedUrl()
                + " is closed");
    }

    /** Maps a jnats failure to a portable one: code, retryability, the original as cause. */
    public OmnibusException classify(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException
                || t.getClass() == RuntimeException.class) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof OmnibusException) {
            return (OmnibusException) t;
        }
        String message = String.valueOf(t.getMessage());
        String where = backend + ": " + context.redactedUrl();
        if (closed.get()) {
            return new OmnibusException(ErrorCode.CLOSED, where + " is closed", t);
        }
        if (t instanceof JetStreamApiException) {
            return classifyApi((JetStreamApiException) t, where);
        }
        if (t instanceof JetStreamStatusException || message.contains("No Responders") || message.contains("503")) {
            return new OmnibusException(ErrorCode.UNAVAILABLE, where + " has no responder (JetStream not ready, or "
                    + "no stream captures the subject yet): " + message, t);
        }
        if (t instanceof TimeoutException || t instanceof IOException || t instanceof CancellationException) {
            OmnibusException denied = apiDenied(t, where);
            if (denied != null) {
                return denied;
            }
        }
        if (t instanceof TimeoutException) {
            return new OmnibusException(ErrorCode.TIMEOUT, where + " did not answer in time (" + message + "); the "
                    + "server may still have received the message", t);
        }
        if (t instanceof IOException || t instanceof CancellationException || t instanceof InterruptedException) {
            return new OmnibusException(ErrorCode.UNAVAILABLE, where + " is unreachable: " + message, t);
        }
        if (t instanceof IllegalArgumentException) {
            return new OmnibusException(ErrorCode.INVALID_ARGUMENT, where + " refused the message: " + message, t);
        }
        if (t instanceof IllegalStateException) {
            if (message.contains("queue") || message.contains("Queue")) {
                return new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED, where + ": the client's outgoing buffer is "
                        + "full (" + message + "); retry later", t);
            }
            if (connection != null && connection.getStatus() == Connection.Status.CLOSED) {
                return new OmnibusException(ErrorCode.CLOSED, where + " is closed: " + message, t);
            }
            return new OmnibusException(ErrorCode.UNAVAILABLE, where + ": " + message, t);
        }
        return new OmnibusException(ErrorCode.UNKNOWN, backend + ": " + t, t);
    }

    /**
     * A timed-out request as PERMISSION_DENIED when the server denied a JetStream API request within the request
     * timeout before it: the server answers a denied request with nothing but its {@code -ERR}, so the request can
     * only time out. Another request denied in that window could be the one meant; both are denied anyway.
     */
    private OmnibusException apiDenied(Throwable t, String where) {
        long window = context.publishTimeout().toNanos() + TimeUnit.SECONDS.toNanos(2);
        long now = System.nanoTime();
        for (java.util.Iterator<ApiDenial> it = apiDenials.descendingIterator(); it.hasNext(); ) {
            ApiDenial d = it.next();
            if (now - d.nanos <= window) {
                return new OmnibusException(ErrorCode.PERMISSION_DENIED, where + " denied the JetStream request '"
                        + d.subject + "': the user may not publish to that API subject (server permissions)", t,
                        false);
            }
        }
        return null;
    }

    private static OmnibusException classifyApi(JetStreamApiException e, String where) {
        String what = where + " refused the request: " + e.getErrorDescription() + " (code " + e.getErrorCode()
                + ", error " + e.getApiErrorCode() + ")";
        switch (e.getErrorCode()) {
            case 503:
            case 500:
                return new OmnibusException(ErrorCode.UNAVAILABLE, what, e);
            case 408:
                return new OmnibusException(ErrorCode.TIMEOUT, what, e);
            case 404:
                return new OmnibusException(ErrorCode.NOT_FOUND, what, e);
            case 401:
            case 403:
                return new OmnibusException(ErrorCode.PERMISSION_DENIED, what, e);
            case 400:
                return new OmnibusException(ErrorCode.INVALID_ARGUMENT, what, e);
            default:
                return new OmnibusException(ErrorCode.INTERNAL, what, e);
        }
    }

    /** Closes the connection (jnats stops its threads) and reports {@link ConnectionState#CLOSED}. */
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        events.shutdownNow();
        try {
            if (connection != null) {
                connection.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.debug("{}: closing the connection to {} failed", backend, context.redactedUrl(), e);
        }
        callbacks.shutdownNow();
        context.connectionState(ConnectionState.CLOSED, null);
    }

    private void stopThreads() {
        closed.set(true);
        events.shutdownNow();
        callbacks.shutdownNow();
    }

    private static final class ApiDenial {
        final String subject;
        final long nanos;

        ApiDenial(String subject, long nanos) {
            this.subject = subject;
            this.nanos = nanos;
        }
    }

    /** jnats' asynchronous errors, logged without URLs or credentials. */
    private final class Errors implements ErrorListener {
        @Override
        public void errorOccurred(Connection conn, String error) {
            log.warn("{}: server {} reported: {}", backend, context.redactedUrl(), Redaction.printable(error));
            String denied = ServerErrors.deniedPublish(error);
            if (denied != null && denied.startsWith(JS_API)) {
                apiDenials.addLast(new ApiDenial(denied, System.nanoTime()));
                while (apiDenials.size() > API_DENIALS_KEPT) {
                    apiDenials.pollFirst();
                }
            }
            for (Consumer<String> l : serverErrorListeners) {
                try {
                    l.accept(error);
                } catch (RuntimeException e) {
                    log.warn("{}: a listener of server errors failed", backend, e);
                }
            }
            synchronized (errorsHandledLock) {
                errorsHandled++;
                errorsHandledLock.notifyAll();
            }
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            if (connecting && connectFailures.size() < 16) {
                connectFailures.add(exp);
            }
            if (!closed.get()) {
                log.debug("{}: connection to {}: {}", backend, context.redactedUrl(), exp.toString());
            }
        }

        // the pull subscriptions' events below are jnats' own recovery at work (it pulls again after an alarm): kept
        // at debug, where they explain a pull that went quiet after a cut
        @Override
        public void heartbeatAlarm(Connection conn, io.nats.client.JetStreamSubscription sub, long lastStreamSequence,
                                   long lastConsumerSequence) {
            log.debug("{}: no heartbeat on a pull from {} (last stream sequence {}); jnats pulls again", backend,
                    context.redactedUrl(), lastStreamSequence);
        }

        @Override
        public void pullStatusWarning(Connection conn, io.nats.client.JetStreamSubscription sub,
                                      io.nats.client.support.Status status) {
            log.debug("{}: a pull from {} was answered {} {}", backend, context.redactedUrl(), status.getCode(),
                    Redaction.printable(status.getMessage()));
        }

        @Override
        public void pullStatusError(Connection conn, io.nats.client.JetStreamSubscription sub,
                                    io.nats.client.support.Status status) {
            log.debug("{}: a pull from {} failed: {} {}", backend, context.redactedUrl(), status.getCode(),
                    Redaction.printable(status.getMessage()));
        }

        @Override
        public void slowConsumerDetected(Connection conn, io.nats.client.Consumer consumer) {
            log.warn("{}: a subscription on {} is a slow consumer: the client drops messages beyond its pending "
                    + "limits", backend, context.redactedUrl());
        }
    }
}
