package dev.omnibus.nats.shared;

import io.nats.client.Connection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Flushes a jnats connection (a PING, then its PONG) for the NATS backends, one flush at a time, and keeps jnats' PING
 * accounting from wedging them.
 *
 * <p>jnats (2.26) matches each PONG to the oldest pong future it queued. It queues the future before the PING, and
 * a PING that is never sent leaves a future no PONG of its own will complete: from then on each PONG completes the
 * future of the flush before, and every flush times out, for good, on a connection that works (messages still flow,
 * jnats' own ping timer sees nothing wrong). Two ways are known: a PING queued during a reconnect behind the marker
 * that ends the writer's reconnect mode (avoided: no PING before jnats has reported RESUBSCRIBED for every reconnect
 * it counted), and a PING whose queueing throws (a full or busy outgoing queue). Others are not ruled out (CI saw
 * every flush time out after a burst of publishes, with no reconnect), so the symptom itself is healed: a flush that
 * times out on a connection that stayed up throughout, or whose PING could not be queued, makes jnats reconnect
 * ({@code forceReconnect}, off the flushing thread), which drops every pong future. The flush that saw it still fails:
 * what it was to confirm may have been in the old socket.
 *
 * <p>Thread-safe: flushes are serialized (jnats drops a connection with more than two PINGs out, counting its own
 * timer's). {@link #resubscribed()} is called on jnats' callback thread.
 */
final class PingFlush {
    private static final Logger log = LoggerFactory.getLogger(PingFlush.class);
    private static final long POLL_NANOS = Duration.ofMillis(5).toNanos();
    /**
     * How long a connection may be CONNECTED without its RESUBSCRIBED before a flush goes ahead anyway. jnats reports
     * it microseconds after CONNECTED, from its reconnect thread; one that never comes (a reconnect jnats gave up after
     * counting it) must not hold every later flush.
     */
    private static final long RESUBSCRIBED_WAIT_NANOS = Duration.ofSeconds(2).toNanos();

    private final String backend;
    private final String redactedUrl;
    private final Supplier<Connection> connection;
    private final BooleanSupplier closed;
    private final Executor healer;
    private final Object lock = new Object();
    /** RESUBSCRIBED events from jnats so far. */
    private final AtomicLong resubscribes = new AtomicLong();
    /** jnats' reconnect count when a heal was last started: one heal per connection jnats made. */
    private final AtomicLong healedAt = new AtomicLong(-1);
    /** How many times a stuck flush made jnats reconnect: shown in a flush timeout's message. */
    private final AtomicLong heals = new AtomicLong();

    /**
     * @param connection the jnats connection (read at each flush)
     * @param closed     whether the owner is closed: a flush then fails at once
     * @param healer     where a heal's {@code forceReconnect} runs (it blocks until jnats is connected again)
     */
    PingFlush(String backend, String redactedUrl, Supplier<Connection> connection, BooleanSupplier closed,
              Executor healer) {
        this.backend = backend;
        this.redactedUrl = redactedUrl;
        this.connection = connection;
        this.closed = closed;
        this.healer = healer;
    }

    /** jnats reported RESUBSCRIBED: it has queued the subscriptions again and ended its writer's reconnect mode. */
    void resubscribed() {
        resubscribes.incrementAndGet();
    }

    /**
     * Returns once the server has answered a PING sent after everything queued before.
     *
     * @throws TimeoutException when no answer comes within {@code timeout}; its message says the connection's state
     */
    void flush(Duration timeout) throws TimeoutException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            Connection c = awaitResubscribed(timeout, end);
            long generation = c.getStatistics().getReconnects();
            try {
                c.flush(Duration.ofNanos(Math.max(1, end - System.nanoTime())));
            } catch (TimeoutException e) {
                if (c.getStatus() == Connection.Status.CONNECTED && c.getStatistics().getReconnects() == generation
                        && !closed.getAsBoolean()) {
                    heal(c, generation, "no PONG within " + timeout + " although jnats reports it connected");
                }
                TimeoutException t = new TimeoutException("no answer to a PING within " + timeout + " ("
                        + state(c) + ")");
                t.initCause(e);
                throw t;
            } catch (RuntimeException e) {
                // jnats queued the PING's pong future before the PING: it now waits for a PONG that never comes (a
                // reconnect drops it anyway, so only a connection that is up needs the heal)
                if (c.getStatus() == Connection.Status.CONNECTED && !closed.getAsBoolean()) {
                    heal(c, generation, "a PING could not be queued (" + e.getClass().getSimpleName() + ")");
                }
                throw e;
            }
        }
    }

    /**
     * Waits until jnats is CONNECTED and has reported RESUBSCRIBED for every reconnect it counted. A PING queued
     * earlier may land in the writer's reconnect queue behind the marker that ends reconnect mode, and is then never
     * sent (jnats counts the reconnect before it re-sends the subscriptions and reports RESUBSCRIBED after the
     * marker). Nor is a PING queued while disconnected: it would wait behind the reconnect with its pong future
     * ahead of the handshake's.
     */
    private Connection awaitResubscribed(Duration timeout, long end) throws TimeoutException {
        long connectedAt = 0;
        while (true) {
            Connection c = connection.get();
            if (closed.getAsBoolean()) {
                throw new TimeoutException("closed");
            }
            long now = System.nanoTime();
            if (c.getStatus() == Connection.Status.CONNECTED) {
                if (resubscribes.get() >= c.getStatistics().getReconnects()) {
                    return c;
                }
                if (connectedAt == 0) {
                    connectedAt = now;
                } else if (now - connectedAt > RESUBSCRIBED_WAIT_NANOS) {
                    log.debug("{}: jnats reports {} connected without its RESUBSCRIBED; flushing anyway", backend,
                            redactedUrl);
                    return c;
                }
            } else {
                connectedAt = 0;
            }
            if (now - end >= 0) {
                throw new TimeoutException("not connected within " + timeout + " (" + state(c) + ")");
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    private void heal(Connection c, long generation, String why) {
        long last = healedAt.get();
        if (last == generation || !healedAt.compareAndSet(last, generation)) {
            return;
        }
        heals.incrementAndGet();
        log.warn("{}: {} on the connection to {} (a stalled connection, or a PING jnats lost, which would fail every "
                + "later flush): reconnecting", backend, why, redactedUrl);
        try {
            healer.execute(() -> {
                try {
                    c.forceReconnect();
                } catch (IOException e) {
                    log.warn("{}: reconnecting to {} after a stuck flush failed", backend, redactedUrl, e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        } catch (RejectedExecutionException closing) {
            // closed meanwhile
        }
    }

    private String state(Connection c) {
        return "jnats status " + c.getStatus() + ", " + c.getStatistics().getReconnects() + " reconnects, "
                + resubscribes.get() + " resubscribed, " + heals.get() + " healed";
    }
}
