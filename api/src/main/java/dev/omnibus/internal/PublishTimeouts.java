package dev.omnibus.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fails publishes the broker has not confirmed within {@code publish.timeout}; thread-safe. Every publish of a bus
 * has the same timeout, so deadlines arrive in submission order: a single periodic {@link #sweep()} looks at each
 * publish once, in that order, instead of a timer scheduled and cancelled per publish. A publish fails at most one
 * sweep period after its deadline.
 *
 * <p>Publishing threads append to a chain of fixed-size segments (one atomic increment and four array stores per
 * publish, no allocation); the sweeping thread alone reads them, drops what is already confirmed (almost everything,
 * on a healthy broker: one read of the future per publish) and keeps the rest in a queue of its own until confirmed
 * or overdue. Why not one lock-free queue with a shared counter,
 * as before: at hundreds of thousands of publishes a second its node per publish, the dequeue per publish and the
 * counter both sides wrote cost the sweeping thread ~7 % of a two-core machine's samples (NATS core, JFR), CPU the
 * publishing thread and the client's writer needed.
 *
 * <p>The sweep runs on the bus's housekeeping thread, but overdue publishes are failed on the {@code completer}
 * executor: failing a stage runs the user's continuations on the failing thread, and a continuation that blocks must
 * not stop timeouts, lease renewal and expiry of every subscription of the bus.
 */
final class PublishTimeouts {
    /** Above this many waiting publishes, a sweep also drops confirmed ones stuck behind an older pending one. */
    static final int COMPACT_ABOVE = 65_536;
    /** Publishes per segment. */
    static final int SEGMENT = 1024;

    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(CompletableFuture[].class);
    private static final VarHandle NEXT;
    private static final VarHandle TAIL;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            NEXT = lookup.findVarHandle(Segment.class, "next", Segment.class);
            TAIL = lookup.findVarHandle(PublishTimeouts.class, "tail", Segment.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Duration timeout;
    private final long timeoutNanos;
    private final Executor completer;

    /** Where publishing threads append; may lag behind the last segment briefly (any thread helps it on). */
    private volatile Segment tail = new Segment();
    /** The sweeping thread's place: the segment and slot it reads next. */
    private Segment head = tail;
    private int headIndex;
    /** Publishes seen by a sweep and not yet confirmed, in deadline order; the sweeping thread's alone. */
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private volatile int waitingCount;

    /** Timeouts failing overdue publishes on the sweeping thread itself (for tests). */
    PublishTimeouts(Duration timeout) {
        this(timeout, Runnable::run);
    }

    PublishTimeouts(Duration timeout, Executor completer) {
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.completer = completer;
    }

    /** How often to sweep: a quarter of the timeout, between 5 ms and 100 ms. */
    Duration sweepPeriod() {
        return Duration.ofMillis(Math.max(5, Math.min(100, timeout.toMillis() / 4)));
    }

    /** Fails {@code result} with TIMEOUT unless it completes within the publish timeout. Any thread. */
    void track(CompletableFuture<PublishReceipt> result, String topic, String eventId) {
        long deadline = System.nanoTime() + timeoutNanos;
        Segment segment = tail;
        while (true) {
            int slot = segment.claimed.getAndIncrement();
            if (slot < SEGMENT) {
                segment.deadlines[slot] = deadline;
                segment.topics[slot] = topic;
                segment.eventIds[slot] = eventId;
                // release: the sweeper that reads the future with acquire sees the slot's other fields too
                SLOT.setRelease(segment.futures, slot, result);
                return;
            }
            segment = nextOf(segment);
        }
    }

    /** The segment after {@code full}, appended if there is none yet; moves the tail on. */
    private Segment nextOf(Segment full) {
        Segment next = full.next;
        if (next == full) {
            // the sweep has passed it and unlinked it (see takeNew); it moved the tail past it before that
            return tail;
        }
        if (next == null) {
            Segment fresh = new Segment();
            next = NEXT.compareAndSet(full, null, fresh) ? fresh : full.next;
        }
        TAIL.compareAndSet(this, full, next);
        return next;
    }

    /** Completes the bookkeeping of done publishes and fails overdue ones; called by one scheduler thread. */
    void sweep() {
        takeNew();
        long now = System.nanoTime();
        Pending first;
        while ((first = waiting.peek()) != null) {
            boolean done = first.result.isDone();
            if (!done && first.deadlineNanos - now > 0) {
                break;
            }
            waiting.poll();
            if (!done) {
                fail(first);
            }
        }
        if (waiting.size() > COMPACT_ABOVE) {
            waiting.removeIf(p -> p.result.isDone());
        }
        waitingCount = waiting.size();
    }

    /**
     * Reads every slot written since the last sweep: confirmed publishes are forgotten, the others join
     * {@link #waiting} behind the older ones. Stops at a slot claimed but not written yet (its publisher is between
     * the two steps of {@link #track}); the next sweep starts there.
     */
    private void takeNew() {
        while (true) {
            if (headIndex == SEGMENT) {
                Segment next = head.next;
                if (next == null) {
                    return;
                }
                // Unlink the segment left behind (a link to itself, as LinkedBlockingQueue does). Why: a segment that
                // lived through a young collection or two sits in the old generation, dead but found so only by an
                // old collection; its link kept the next segment alive through every young one, promoted it too,
                // and so on down the chain with every publish's future and receipt: at ~400 k publishes/s on Kafka,
                // ~100 MB promoted per young pause and pauses of 125-145 ms instead of ~10. The tail is moved past
                // it first, so a publisher that finds the self-link can go on at the tail (nextOf).
                TAIL.compareAndSet(this, head, next);
                head.next = head;
                head = next;
                headIndex = 0;
            }
            @SuppressWarnings("unchecked")
            var result = (CompletableFuture<PublishReceipt>) SLOT.getAcquire(head.futures, headIndex);
            if (result == null) {
                return;
            }
            if (!result.isDone()) {
                waiting.add(new Pending(result, head.deadlines[headIndex], head.topics[headIndex],
                        head.eventIds[headIndex]));
            }
            headIndex++;
        }
    }

    private void fail(Pending overdue) {
        OmnibusException error = new OmnibusException(ErrorCode.TIMEOUT, "publish of event '" + overdue.eventId
                + "' to '" + overdue.topic + "' not confirmed within " + Durations.format(timeout)
                + " (publish.timeout); the broker may still accept it");
        try {
            completer.execute(() -> overdue.result.completeExceptionally(error));
        } catch (RejectedExecutionException closing) {
            overdue.result.completeExceptionally(error);
        }
    }

    /** Publishes the last sweep kept waiting (unconfirmed ones, and confirmed ones queued behind them). */
    int tracked() {
        return waitingCount;
    }

    /**
     * {@link #SEGMENT} slots, each a publish's future, deadline, topic and event id in arrays of their own: the sweep
     * reads the futures in order and the rest only of a publish still unconfirmed, and a publish allocates nothing
     * here. {@code claimed} counts claims, which may run past the end when the segment is full.
     */
    private static final class Segment {
        final CompletableFuture<?>[] futures = new CompletableFuture<?>[SEGMENT];
        final long[] deadlines = new long[SEGMENT];
        final String[] topics = new String[SEGMENT];
        final String[] eventIds = new String[SEGMENT];
        final AtomicInteger claimed = new AtomicInteger();
        volatile Segment next;
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
