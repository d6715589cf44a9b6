package dev.omnibus.spi;

import dev.omnibus.OmnibusException;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Turns a client that pushes messages (a callback per message on the client's own thread: an MQTT or AMQP consumer,
 * a streaming pull) into what {@link Receiver#receive} returns: the callback {@link #offer offers} each message, the
 * library's receive thread {@link #take takes} them. A helper for backend authors; the library itself never calls it.
 *
 * <p>Bounded: {@link #offer} blocks the client's thread while {@code capacity} messages wait, which is the
 * backpressure most push clients expect (their broker window fills and the broker stops sending). Size the capacity
 * and the broker's window (prefetch, receive maximum) from {@link ReceiverSpec#maxInFlight()}; a window larger than
 * {@code maxInFlight} plus the capacity makes the client's thread block in {@link #offer} for as long as handlers are
 * busy.
 *
 * <p>What waits here has been delivered by the broker but not returned by {@code receive}, so the library cannot see
 * it: a driver on a broker with a redelivery deadline keeps {@link #waiting()} alive itself (kit rule R21).
 *
 * <p>Failures: a client that learns on its thread that the subscription is lost calls {@link #fail}; the next
 * {@link #take} throws that exception, which the library handles like any {@code receive} failure (retryable: it
 * backs off and calls {@code receive} again, where the driver re-subscribes; not retryable: the subscription ends,
 * visibly).
 *
 * <p>Thread-safe: {@link #offer} from any number of client threads, {@link #take} from the receive thread,
 * {@link #fail} and {@link #close} from any thread.
 */
public final class PushBuffer {
    private final int capacity;
    private final ArrayDeque<ReceivedMessage> queue = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private OmnibusException failure;
    private boolean closed;
    private boolean woken;

    /**
     * A buffer holding at most {@code capacity} messages.
     *
     * @param capacity at least 1
     * @throws IllegalArgumentException if {@code capacity} is less than 1
     */
    public PushBuffer(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a PushBuffer's capacity is at least 1, not " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Hands over one message from the client's thread, waiting up to {@code maxWait} while the buffer is full.
     *
     * @return {@code true} if it was taken in; {@code false} if the buffer stayed full or is closed (the driver then
     *         leaves the message unsettled, for the broker to redeliver, or counts it as dropped where it cannot)
     * @throws InterruptedException if interrupted while waiting
     */
    public boolean offer(ReceivedMessage message, Duration maxWait) throws InterruptedException {
        Objects.requireNonNull(message, "message");
        long nanos = maxWait.toNanos();
        lock.lockInterruptibly();
        try {
            while (!closed && queue.size() >= capacity) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = notFull.awaitNanos(nanos);
            }
            if (closed) {
                return false;
            }
            queue.addLast(message);
            notEmpty.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * For {@link Receiver#receive}: waits up to {@code maxWait} for a first message, then returns it with what else
     * is waiting, at most {@code max}, in the order offered. Returns an empty list when none came in time or the
     * buffer is closed.
     *
     * @throws OmnibusException the failure given to {@link #fail}, once (then it is cleared)
     * @throws InterruptedException if interrupted while waiting
     */
    public List<ReceivedMessage> take(int max, Duration maxWait) throws InterruptedException {
        if (max < 1) {
            return List.of();
        }
        long nanos = maxWait.toNanos();
        lock.lockInterruptibly();
        try {
            while (queue.isEmpty() && failure == null && !closed) {
                if (nanos <= 0 || woken) {
                    woken = false;
                    return List.of();
                }
                nanos = notEmpty.awaitNanos(nanos);
            }
            woken = false;
            if (failure != null && queue.isEmpty()) {
                // what was offered before the failure is handed over first: it was delivered
                OmnibusException f = failure;
                failure = null;
                throw f;
            }
            List<ReceivedMessage> out = new ArrayList<>(Math.min(max, queue.size()));
            while (out.size() < max && !queue.isEmpty()) {
                out.add(queue.pollFirst());
            }
            notFull.signalAll();
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The subscription was lost on the client's side: the next {@link #take} (once what is waiting was taken) throws
     * {@code error}. A later failure replaces an earlier one not yet thrown.
     */
    public void fail(OmnibusException error) {
        Objects.requireNonNull(error, "error");
        lock.lock();
        try {
            failure = error;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * For {@link Receiver#wakeup()}: a {@link #take} waiting for a first message returns empty now, or the next one
     * does if none waits. Any thread; never blocks.
     */
    public void wakeup() {
        lock.lock();
        try {
            woken = true;
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot of the messages waiting to be taken, oldest first: the ones a driver keeps alive itself. */
    public List<ReceivedMessage> waiting() {
        lock.lock();
        try {
            return new ArrayList<>(queue);
        } finally {
            lock.unlock();
        }
    }

    /** How many messages wait to be taken. */
    public int size() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the buffer: a waiting {@link #take} returns empty, waiting and later {@link #offer}s return
     * {@code false}. Idempotent.
     *
     * @return the messages that were waiting, oldest first, for the driver to leave to the broker (they were never
     *         handed to the library)
     */
    public List<ReceivedMessage> close() {
        lock.lock();
        try {
            closed = true;
            List<ReceivedMessage> left = new ArrayList<>(queue);
            queue.clear();
            notEmpty.signalAll();
            notFull.signalAll();
            return left;
        } finally {
            lock.unlock();
        }
    }
}
