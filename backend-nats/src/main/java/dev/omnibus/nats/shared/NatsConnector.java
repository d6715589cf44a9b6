package dev.omnibus.nats.shared;

import dev.omnibus.ConfigException;
import dev.omnibus.ConnectionState;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.ReconnectPolicy;
import dev.omnibus.spi.BackendContext;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamStatusException;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.ServerInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One jnats connection set up from a {@link BackendContext}, shared by the NATS core and JetStream backends;
 * thread-safe. Not API.
 *
 * <p>The URL's address {@code [user[:password]@|token@]host[:port][,host[:port]...]} becomes the server list (port
 * 4222 by default) with the credentials passed to jnats apart, so they never appear in jnats' messages. jnats
 * reconnects by itself, forever, waiting as the shared jittered {@link ReconnectPolicy} says between tries; its
 * connection events are reported to the library, {@code RECONNECTED} only after a flush has confirmed that the server
 * processed the re-sent subscriptions (a publish right after it reaches them). Threads: jnats' own (reader, writer,
 * timers, callbacks), stopped by {@link #close()}.
 */
public final class NatsConnector {
    private static final Logger log = LoggerFactory.getLogger(NatsConnector.class);
    private static final int DEFAULT_PORT = 4222;
    private static final Duration RECONNECT_FLUSH = Duration.ofSeconds(5);
    private static final long RECONNECT_POLL_NANOS = Duration.ofMillis(5).toNanos();

    private final String backend;
    private final BackendContext context;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong reconnects = new AtomicLong();
    /** DISCONNECTED events from jnats so far: a reconnect is confirmed only if none came after it. */
    private final AtomicLong disconnects = new AtomicLong();
    private final Object flushLock = new Object();
    private volatile boolean down;
    private volatile Connection connection;
    /**
     * Confirms a reconnect off jnats' threads: jnats calls its connection listener on its reconnect thread, and a
     * flush there (it used to be there) held the reconnect up for seconds, its PING queued behind the reconnect and its
     * pong future ahead of the handshake's — publishes then stayed unconfirmed and subscriptions silent for long
     * after a restart or a cut (NatsCoreIT repeats both under traffic). One daemon thread, ended by close.
     */
    private final ExecutorService events;

    private NatsConnector(String backend, BackendContext context) {
        this.backend = backend;
        this.context = context;
        this.events = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "omnibus-" + backend + "-events");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects to the servers the URL names.
     *
     * @throws ConfigException  when the address is not a NATS server list
     * @throws OmnibusException classified when no server can be reached
     */
    public static NatsConnector open(String backend, BackendContext context, Duration pingInterval) {
        NatsConnector connector = new NatsConnector(backend, context);
        Options options = connector.options(pingInterval);
        try {
            connector.connection = Nats.connect(options);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OmnibusException(ErrorCode.UNAVAILABLE, backend + ": interrupted connecting to "
                    + context.redactedUrl(), e);
        } catch (IOException | RuntimeException e) {
            throw connector.classify(e);
        }
        return connector;
    }

    private Options options(Duration pingInterval) {
        String address = context.address();
        String expected = "expected " + context.scheme() + "://[user:password@|token@]host[:port][,host[:port]...]";
        int at = address.lastIndexOf('@');
        String userInfo = at < 0 ? null : address.substring(0, at);
        String hosts = at < 0 ? address : address.substring(at + 1);
        if (hosts.contains("/") && !hosts.endsWith("/")) {
            throw new ConfigException("'" + context.redactedUrl() + "' has a path; NATS URLs have none: " + expected);
        }
        hosts = hosts.endsWith("/") ? hosts.substring(0, hosts.length() - 1) : hosts;
        List<String> servers = new ArrayList<>();
        for (String host : hosts.split(",", -1)) {
            String h = host.trim();
            if (h.isEmpty() || h.startsWith(":")) {
                throw new ConfigException("'" + context.redactedUrl() + "' names an empty host: " + expected);
            }
            int colon = h.lastIndexOf(':');
            boolean hasPort = colon > 0 && h.indexOf(']') < colon;
            if (hasPort) {
                String port = h.substring(colon + 1);
                if (!port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                    throw new ConfigException("'" + context.redactedUrl() + "' has the port '" + port
                            + "'; a port is 1 to 65535: " + expected);
                }
            }
            servers.add("nats://" + (hasPort ? h : h + ":" + DEFAULT_PORT));
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
                .errorListener(new Errors());
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            if (colon < 0) {
                b.token(decode(userInfo).toCharArray());
            } else {
                b.userInfo(decode(userInfo.substring(0, colon)).toCharArray(),
                        decode(userInfo.substring(colon + 1)).toCharArray());
            }
        }
        return b.build();
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private void onEvent(Connection conn, ConnectionListener.Events event) {
        if (closed.get()) {
            return;
        }
        switch (event) {
            case DISCONNECTED:
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
                long seen = disconnects.get();
                try {
                    events.execute(() -> confirmReconnect(seen));
                } catch (RejectedExecutionException closing) {
                    // closed meanwhile
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
     * Every flush of the NATS backends goes through here, one at a time: jnats counts a flush as an outstanding
     * ping and drops the connection when more than its limit (2, with its own ping timer's) are out at once.
     *
     * @throws TimeoutException when no answer comes within {@code timeout} (disconnected, say)
     */
    public void flush(Duration timeout) throws TimeoutException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (flushLock) {
            // no PING while jnats reconnects: it would wait behind the reconnect with its pong future queued ahead of
            // the handshake's, so the handshake's PONG completes it and every later flush waits one PONG too long
            while (connection.getStatus() != Connection.Status.CONNECTED) {
                if (closed.get()) {
                    throw new TimeoutException("closed");
                }
                if (System.nanoTime() - end >= 0) {
                    throw new TimeoutException("not connected within " + timeout);
                }
                LockSupport.parkNanos(RECONNECT_POLL_NANOS);
            }
            connection.flush(Duration.ofNanos(Math.max(1, end - System.nanoTime())));
        }
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
        context.connectionState(ConnectionState.CLOSED, null);
    }

    /** jnats' asynchronous errors, logged without URLs or credentials. */
    private final class Errors implements ErrorListener {
        @Override
        public void errorOccurred(Connection conn, String error) {
            log.warn("{}: server {} reported: {}", backend, context.redactedUrl(), error);
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            if (!closed.get()) {
                log.debug("{}: connection to {}: {}", backend, context.redactedUrl(), exp.toString());
            }
        }

        @Override
        public void slowConsumerDetected(Connection conn, Consumer consumer) {
            log.warn("{}: a subscription on {} is a slow consumer: the client drops messages beyond its pending "
                    + "limits", backend, context.redactedUrl());
        }
    }
}
