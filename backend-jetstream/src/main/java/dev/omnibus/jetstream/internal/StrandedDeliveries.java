package dev.omnibus.jetstream.internal;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Notices deliveries of a member's own consumer that never reached it, and what to skip once the consumer is
 * re-created to get them back.
 *
 * <p>A consumer of its own has this member as its only reader, so its deliveries reach it with consecutive consumer
 * sequences. A gap means deliveries went to a pull that no longer exists: jnats' simplified consumer replaces its pull
 * subscription when a heartbeat is late, dropping what the old one received, and after a connection cut it may be
 * late just as the waiting messages arrive (the kit's R18 saw the events published during a cut missing). The server
 * redelivers them only after the ack wait (30 s by default). The receiver re-creates the consumer from its ack floor
 * instead, once nothing it handed out is unsettled and no delayed nack is still due (re-creating would redeliver it
 * early); the messages it handed out since the gap, which the new consumer delivers again, are then acked at once
 * rather than handed out twice ({@link #alreadySettled}).
 *
 * <p>Not thread-safe: used by the receive thread only, except {@link #nackedWithDelay} (any thread).
 */
final class StrandedDeliveries {
    /** Beyond this many messages handed out since a gap, re-creating would cost too many duplicates: wait instead. */
    static final int HANDED_KEPT = 65_536;

    private long lastDelivery;
    private long stranded;
    private final Set<Long> handedSinceGap = new HashSet<>();
    private final Set<Long> skip = new HashSet<>();
    private final AtomicLong delayedNackDue = new AtomicLong(System.nanoTime());

    /**
     * Takes note of a delivery with consumer sequence {@code consumerSeq} and stream sequence {@code streamSeq}.
     *
     * @return how many deliveries it shows went elsewhere (0 usually)
     */
    long delivered(long consumerSeq, long streamSeq) {
        long missed = 0;
        if (lastDelivery > 0 && consumerSeq > lastDelivery + 1) {
            missed = consumerSeq - lastDelivery - 1;
            stranded += missed;
        }
        // lower: the consumer was re-created, or a restarted server restored an older state
        lastDelivery = consumerSeq;
        if (stranded > 0) {
            if (handedSinceGap.size() < HANDED_KEPT) {
                handedSinceGap.add(streamSeq);
            } else {
                giveUp();
            }
        }
        return missed;
    }

    /** Whether a delivery of the re-created consumer was handed out and settled before: ack it, do not hand it out. */
    boolean alreadySettled(long streamSeq) {
        return !skip.isEmpty() && skip.remove(streamSeq);
    }

    /** A nack asked for redelivery after {@code delay}: no re-creation before then. */
    void nackedWithDelay(Duration delay) {
        long due = System.nanoTime() + delay.toNanos();
        delayedNackDue.accumulateAndGet(due, (was, next) -> next - was > 0 ? next : was);
    }

    /** How many deliveries went elsewhere and are not back yet. */
    long stranded() {
        return stranded;
    }

    /** Whether deliveries went elsewhere and are not back yet. */
    boolean recreateDue() {
        return stranded > 0;
    }

    /** Whether a nack's delay has not passed yet: re-creating the consumer now would redeliver it early. */
    boolean delayedNackDue() {
        return System.nanoTime() - delayedNackDue.get() < 0;
    }

    /**
     * The server counts {@code pending} deliveries awaiting ack while the member holds none: they went elsewhere,
     * with no later delivery to show the gap.
     */
    void outstanding(long pending) {
        if (stranded == 0) {
            stranded = pending;
        }
    }

    /** The consumer was re-created from stream sequence {@code floor + 1}: what it will deliver again is skipped. */
    void recreated(long floor) {
        skip.clear();
        for (Long seq : handedSinceGap) {
            if (seq > floor) {
                skip.add(seq);
            }
        }
        giveUp();
    }

    /** Stops waiting for the stranded deliveries (the server redelivers them after the ack wait). */
    void giveUp() {
        stranded = 0;
        lastDelivery = 0;
        handedSinceGap.clear();
    }
}
