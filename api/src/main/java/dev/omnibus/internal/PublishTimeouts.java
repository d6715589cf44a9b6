package dev.omnibus.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fails publishes the broker has not confirmed within {@code publish.timeout}; thread-safe. Every publish of a bus
 * has the same timeout, so deadlines arrive in submission order: pending publishes wait in one lock-free queue and a
 * single periodic {@link #sweep()} completes the done ones from its head and fails the overdue ones, instead of a
 * timer scheduled and cancelled per publish. A publish fails at most one sweep period after its deadline.
 *
 * <p>The sweep runs on the bus's housekeeping thread, but overdue publishes are failed on the {@code completer}
 * executor: failing a stage runs the user's continuations on the failing thread, and a continuation that blocks must
 * not stop timeouts, lease renewal and expiry of every subscription of the bus.
 */
final class PublishTimeouts {
    /** Above this many tracked publishes, a sweep also drops done ones stuck behind an older pending one. */
    static final int COMPACT_ABOVE = 65_536;

    private final Duration timeout;
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger size = new AtomicInteger();

    private final Executor completer;

    /** Timeouts failing overdue publishes on the sweeping thread itself (for tests). */
    PublishTimeouts(Duration timeout) {
        this(timeout, Runnable::run);
    }

    PublishTimeouts(Duration timeout, Executor completer) {
        this.timeout = timeout;
        this.completer = completer;
    }

    /** How often to sweep: a quarter of the timeout, between 5 ms and 100 ms. */
    Duration sweepPeriod() {
        return Duration.ofMillis(Math.max(5, Math.min(100, timeout.toMillis() / 4)));
    }

    /** Fails {@code result} with TIMEOUT unless it completes within the publish timeout. */
    void track(CompletableFuture<PublishReceipt> result, String topic, String eventId) {
        queue.add(new Pending(result, System.nanoTime() + timeout.toNanos(), topic, eventId));
        size.incrementAndGet();
    }

    /** Completes the bookkeeping of done publishes and fails overdue ones; called by one scheduler thread. */
    void sweep() {
        long now = System.nanoTime();
        Pending head;
        while ((head = queue.peek()) != null) {
            boolean done = head.result.isDone();
            if (!done && head.deadlineNanos - now > 0) {
                break;
            }
            queue.poll();
            size.decrementAndGet();
            if (!done) {
                Pending overdue = head;
                OmnibusException error = new OmnibusException(ErrorCode.TIMEOUT, "publish of event '"
                        + head.eventId + "' to '" + head.topic + "' not confirmed within " + Durations.format(timeout)
                        + " (publish.timeout); the broker may still accept it");
                try {
                    completer.execute(() -> overdue.result.completeExceptionally(error));
                } catch (RejectedExecutionException closing) {
                    overdue.result.completeExceptionally(error);
                }
            }
        }
        if (size.get() > COMPACT_ABOVE) {
            queue.removeIf(p -> {
                boolean done = p.result.isDone();
                if (done) {
                    size.decrementAndGet();
                }
                return done;
            });
        }
    }

    /** Publishes still tracked (done ones may linger until the next sweep). */
    int tracked() {
        return size.get();
    }

    private static final class Pending {
        final CompletableFuture<PublishReceipt> result;
        final long deadlineNanos;
        final String topic;
        final String eventId;

        Pending(CompletableFuture<PublishReceipt> result, long deadlineNanos, String topic, String eventId) {
            this.result = result;
            this.deadlineNanos = deadlineNanos;
            this.topic = topic;
            this.eventId = eventId;
        }
    }
}
