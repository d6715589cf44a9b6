package dev.omnibus.spi;

import dev.omnibus.ConnectionState;
import dev.omnibus.OmnibusException;
import dev.omnibus.ReconnectPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The reconnect loop for a driver whose client does not reconnect by itself: told that the connection is
 * {@link #lost lost}, it reports {@link ConnectionState#DISCONNECTED}, then calls the driver's {@link Attempt}
 * on a thread of its own, waiting the shared {@link ReconnectPolicy}'s jittered delay before each try, until one
 * succeeds (it then reports {@link ConnectionState#RECONNECTED} and calls {@link BackendContext#receiveNow()} so
 * that subscriptions waiting out a backoff resume at once) or {@link #close()} is called. A driver whose client
 * reconnects itself (jnats, amqp-client, kafka-clients, Lettuce) does not need this: it passes the policy to the
 * client and reports the client's events.
 *
 * <p>Thread-safety: every method may be called from any thread. {@link #lost} during an outage already being
 * handled does nothing, so every failing call of the driver may report it. The attempt runs on the thread
 * {@code omnibus-<name>-reconnect}, one per outage, never two at once; it may block (bound it: a connect timeout),
 * and should throw on failure. Attempts that fail are logged at WARN (the first, then every tenth) by the exception's
 * class and {@link OmnibusException#code() code} only, never its message: a client's message may hold an address with
 * credentials.
 */
public final class Reconnector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Reconnector.class);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    /** One try to connect again. */
    @FunctionalInterface
    public interface Attempt {
        /**
         * Connects (and re-creates what the broker lost with the connection: subscriptions, consumers).
         *
         * @throws Exception when this try failed; the loop waits and tries again
         */
        void connect() throws Exception;
    }

    private final BackendContext context;
    private final String name;
    private final Attempt attempt;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private Thread loop;
    private boolean closed;
    private int attempts;
    private long outages;

    /**
     * A reconnector for one connection of a driver.
     *
     * @param context the backend's context: its policy, and where states are reported
     * @param name a short name for the thread and logs (the backend's, say), without secrets
     * @param attempt what connects again
     */
    public Reconnector(BackendContext context, String name, Attempt attempt) {
        this.context = Objects.requireNonNull(context, "context");
        this.name = Objects.requireNonNull(name, "name");
        this.attempt = Objects.requireNonNull(attempt, "attempt");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name is blank: expected a short name such as the backend's");
        }
    }

    /**
     * The connection was lost: reports {@code DISCONNECTED} with {@code cause} and starts reconnecting, unless an
     * outage is being handled already or this reconnector is closed.
     *
     * @param cause what the driver saw, or null
     */
    public void lost(Throwable cause) {
        lock.lock();
        try {
            if (closed || loop != null) {
                return;
            }
            attempts = 0;
            outages++;
            loop = new Thread(this::reconnect, "omnibus-" + name + "-reconnect");
            loop.setDaemon(true);
            // reported before the thread starts so that DISCONNECTED always precedes this outage's RECONNECTED
            context.connectionState(ConnectionState.DISCONNECTED, cause);
            loop.start();
        } finally {
            lock.unlock();
        }
    }

    private void reconnect() {
        ReconnectPolicy policy = context.reconnectPolicy();
        int n = 0;
        while (true) {
            n++;
            if (!pause(policy.delay(n))) {
                return;
            }
            try {
                attempt.connect();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                finish();
                return;
            } catch (Exception e) {
                recordFailure(n, e);
                continue;
            }
            lock.lock();
            try {
                attempts = n;
                loop = null;
                if (closed) {
                    changed.signalAll();
                    return;
                }
                // reported under the lock: a lost() racing with this success starts the next outage after it
                context.connectionState(ConnectionState.RECONNECTED, null);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            context.receiveNow();
            return;
        }
    }

    /** Waits {@code delay} unless closed first; false when closed (the loop then ends). */
    private boolean pause(Duration delay) {
        long end = System.nanoTime() + delay.toNanos();
        lock.lock();
        try {
            while (!closed) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return true;
                }
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        finish();
        return false;
    }

    private void finish() {
        lock.lock();
        try {
            loop = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void recordFailure(int n, Exception e) {
        lock.lock();
        try {
            attempts = n;
        } finally {
            lock.unlock();
        }
        if (n == 1 || n % 10 == 0) {
            String code = e instanceof OmnibusException ? " (" + ((OmnibusException) e).code() + ")" : "";
            LOG.warn("{}: reconnect attempt {} failed with {}{}; trying again", name, n, e.getClass().getName(),
                    code);
        }
    }

    /** Whether an outage is being handled (the loop runs). */
    public boolean reconnecting() {
        lock.lock();
        try {
            return loop != null;
        } finally {
            lock.unlock();
        }
    }

    /** The attempts made in the current outage, or in the last one once it ended; 0 before any. */
    public int attempts() {
        lock.lock();
        try {
            return attempts;
        } finally {
            lock.unlock();
        }
    }

    /** How many outages {@link #lost} started so far. */
    public long outages() {
        lock.lock();
        try {
            return outages;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops reconnecting: a loop waiting between attempts ends at once; one inside an attempt ends when the attempt
     * returns (the thread is interrupted), waited for up to 10 seconds. Idempotent; later {@link #lost} calls do
     * nothing.
     */
    @Override
    public void close() {
        Thread running;
        lock.lock();
        try {
            closed = true;
            running = loop;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (running == null || running == Thread.currentThread()) {
            return;
        }
        running.interrupt();
        try {
            running.join(CLOSE_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (running.isAlive()) {
            LOG.warn("{}: the reconnect attempt did not return within {} s of close; left to end on its own", name,
                    CLOSE_WAIT.toSeconds());
        }
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "Reconnector{" + name + ", reconnecting=" + (loop != null) + ", attempts=" + attempts
                    + ", outages=" + outages + ", closed=" + closed + "}";
        } finally {
            lock.unlock();
        }
    }
}
