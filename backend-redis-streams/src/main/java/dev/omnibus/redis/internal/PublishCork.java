package dev.omnibus.redis.internal;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Thread-safe, lock-free: decides when the XADDs queued on the publish connection (auto-flush off) are written, so
 * that a lone publish goes out at once and a burst goes out in large pipelined writes.
 *
 * <p>The rule is "cork while a write is unanswered": when nothing written is awaiting its reply, the first queued
 * command is flushed at once (by a hand-off to the flusher, never by the publishing thread). While replies are
 * awaited, queued commands wait for them: the reply that answers the last written command writes everything queued
 * since, from Lettuce's I/O thread, in one write. A publisher that queues {@code maxBatch} commands meanwhile writes
 * them itself. Batches therefore grow with the publish rate and the round trip, and no command waits longer than
 * the replies already on their way (every command completes: by reply, by the command timeout or when the
 * connection closes).
 *
 * <p>Counting is by totals: {@code queued} commands handed to the connection, {@code flushed} the value of
 * {@code queued} when a flush last started (every command counted by then is in the connection's buffer), and
 * {@code answered} commands completed however. A command that slips into a flush after the count was taken, or that
 * fails before it was written, only makes the next flush come earlier; it can never leave a queued command unwritten:
 * a publisher writes its counter before it reads {@code answered}, and a reply writes {@code answered} before it
 * reads {@code queued}, so at least one of the two sees the other and starts the flush.
 */
final class PublishCork {
    private final AtomicLong queued = new AtomicLong();
    private final AtomicLong flushed = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final int maxBatch;
    private final Runnable write;
    private final Executor flusher;
    private final Runnable flushTask = this::flush;

    /**
     * @param maxBatch queued commands after which the publisher writes them itself, without waiting for replies
     * @param write    writes every command queued on the connection ({@code flushCommands()}); must not throw
     * @param flusher  runs the flush that a publish on an idle pipeline needs
     */
    PublishCork(int maxBatch, Runnable write, Executor flusher) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, was " + maxBatch);
        }
        this.maxBatch = maxBatch;
        this.write = write;
        this.flusher = flusher;
    }

    /** Call after a command has been queued on the connection (and before registering its completion). */
    void queued() {
        long q = queued.incrementAndGet();
        long f = flushed.get();
        if (q - f >= maxBatch) {
            flush();
        } else if (q - f == 1 && answered.get() >= f) {
            flusher.execute(flushTask);
        }
    }

    /** Call once per queued command when it completes, successfully or not. */
    void answered() {
        long a = answered.incrementAndGet();
        long f = flushed.get();
        if (a >= f && queued.get() > f) {
            flush();
        }
    }

    /** Writes everything queued; also the way to push queued commands out after a reconnect. */
    void flush() {
        flushed.accumulateAndGet(queued.get(), Math::max);
        write.run();
    }

    /** Commands queued and not yet counted into a flush (for tests and diagnostics). */
    long unflushed() {
        return queued.get() - flushed.get();
    }
}
