package dev.omnibus.redis.internal;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.async.RedisAsyncCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One consumer's acks on their way to the server, gathered into one {@code XACK}: a batch's with the receiver's next
 * read, single acks (and a batch's that no read took along) within {@link #LINGER}, a failed XACK again within
 * {@link #RETRY}. Thread-safe; never blocks.
 *
 * <p>Why so soon: an ack the server has not applied is redelivered after a crash, and the library promises AUTO
 * acks within 100 ms. Single acks used to wait for the receiver's upkeep tick (up to 1 s) and a failed XACK for the
 * next one: the kit's R23 saw an event acked 2 s before a kill delivered again after it.
 */
final class PendingAcks {
    private static final Logger log = LoggerFactory.getLogger(PendingAcks.class);
    /** A full XACK: sent at once. */
    static final int BATCH = 512;
    /** How long a single ack may wait for others to share its XACK. */
    static final Duration LINGER = Duration.ofMillis(20);
    /** How soon an XACK that failed retryably (a server still loading after a restart, a reset) goes again. */
    static final Duration RETRY = Duration.ofMillis(100);

    private final RedisBackend backend;
    private final String topic;
    private final byte[] key;
    private final byte[] group;
    private final AtomicBoolean closed;
    private final ConcurrentLinkedQueue<String> ids = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    /** A flush is scheduled: later acks join it instead of scheduling their own. */
    private final AtomicBoolean flushScheduled = new AtomicBoolean();

    /** {@code closed}: the receiver's flag; once set, failed XACKs are not retried and no flush is scheduled. */
    PendingAcks(RedisBackend backend, String topic, byte[] key, byte[] group, AtomicBoolean closed) {
        this.backend = backend;
        this.topic = topic;
        this.key = key;
        this.group = group;
        this.closed = closed;
    }

    /** One ack: sent with others within {@link #LINGER}, or at once when {@link #BATCH} are queued. */
    void add(String id) {
        ids.add(id);
        if (queued.incrementAndGet() >= BATCH) {
            flush(backend.async());
        } else {
            schedule(LINGER);
        }
    }

    /** Several acks, queued to go with the next flush. */
    void addAll(List<String> batch) {
        ids.addAll(batch);
        queued.addAndGet(batch.size());
    }

    /**
     * A batch's acks, to go with the receiver's next read ({@link #flush} on the reading connection, normally within
     * microseconds), or within {@link #LINGER} if a slow handler keeps the receive thread from reading.
     */
    void addAllBeforeRead(List<String> batch) {
        addAll(batch);
        schedule(LINGER);
    }

    /**
     * Sends what is queued as one {@code XACK} through {@code via} (the reading connection from the receive thread,
     * never blocked behind a read then; the shared connection from anywhere else); returns it, or {@code null}.
     */
    RedisFuture<Long> flush(RedisAsyncCommands<byte[], byte[]> via) {
        List<String> out = new ArrayList<>();
        String id;
        while ((id = ids.poll()) != null) {
            out.add(id);
        }
        if (out.isEmpty()) {
            return null;
        }
        queued.addAndGet(-out.size());
        RedisFuture<Long> sent = via.xack(key, group, out.toArray(new String[0]));
        sent.whenComplete((n, error) -> {
            if (error == null) {
                return;
            }
            // XACK is idempotent, so a failure that may pass is sent again soon rather than left to the ack
            // deadline, which would hand acked entries to another member
            if (!closed.get() && backend.classify(error).isRetryable()) {
                log.debug("{}: XACK of {} entries of '{}' failed, sent again within {}: {}", RedisBackend.NAME,
                        out.size(), topic, RETRY, error.toString());
                addAll(out);
                schedule(RETRY);
            } else {
                log.warn("{}: XACK of {} entries of '{}' failed; they will be redelivered after the ack deadline: {}",
                        RedisBackend.NAME, out.size(), topic, error.toString());
            }
        });
        return sent;
    }

    private void schedule(Duration delay) {
        if (closed.get() || !flushScheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            backend.context().scheduler().schedule(() -> {
                flushScheduled.set(false);
                flush(backend.async());
            }, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            flushScheduled.set(false); // the library is closing: the receiver's close flushes what is queued
        }
    }
}
