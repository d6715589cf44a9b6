package dev.omnibus.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The AUTO acks the receive thread gathers while it runs a batch inline, to send with one
 * {@link dev.omnibus.spi.Receiver#ackAll}. A pure policy: it says when the gathered acks are due; {@link Settler}
 * sends them.
 *
 * <p>Why gather, and why not until the batch ends: one ack call per event is a broker round trip per event on some
 * backends, so acks made inline are sent together. But an ack that waits also holds its lease and the broker's
 * credit: a driver that reads ahead (jnats' pull buffer, Pub/Sub's stream, Kafka's fetch) gets no more messages
 * while acks sit here. So the acks are due once {@link #MAX_ACKS} are gathered or the oldest has waited the maximum
 * age (100 ms, or a tenth of the ack deadline if that is shorter), whichever comes first. The rule holds across
 * batches: acks still gathered when a batch ends may wait for the next one (see {@code SubscriptionImpl#carryAcks}).
 *
 * <p>Time is the receive thread's own clock readings, passed in with {@link #clock} as it reads them anyway (the
 * receive of a batch, the end of each handler): gathering an ack reads no clock. Receive thread only: not
 * thread-safe.
 */
final class AckBatch {
    /** Acks sent together at most. */
    static final int MAX_ACKS = 128;

    private final long maxAgeNanos;
    private final List<DeliveryImpl> acks = new ArrayList<>();
    private boolean gathering;
    private long clockNanos;
    private long oldestNanos;

    AckBatch(long maxAgeNanos) {
        this.maxAgeNanos = maxAgeNanos;
    }

    /** An inline batch starts: AUTO acks made on the receive thread are gathered until {@link #end()}. */
    void begin() {
        gathering = true;
    }

    /** The inline batch ended; the caller sends what is left. */
    void end() {
        gathering = false;
    }

    /** Whether acks are being gathered (read by the receive thread: an ack from another thread is sent at once). */
    boolean gathering() {
        return gathering;
    }

    /** The receive thread's latest clock reading ({@link System#nanoTime()}). */
    void clock(long nanos) {
        clockNanos = nanos;
    }

    /** Gathers {@code d}'s ack; its age counts from the latest clock reading. */
    void add(DeliveryImpl d) {
        if (acks.isEmpty()) {
            oldestNanos = clockNanos;
        }
        acks.add(d);
    }

    /** Whether acks are gathered and not yet drained. */
    boolean pending() {
        return !acks.isEmpty();
    }

    /** Whether the gathered acks should be sent now: {@link #MAX_ACKS} of them, or the oldest at the maximum age. */
    boolean due() {
        return !acks.isEmpty() && (acks.size() >= MAX_ACKS || clockNanos - oldestNanos >= maxAgeNanos);
    }

    /** The gathered acks, oldest first; none are gathered afterwards. */
    List<DeliveryImpl> drain() {
        if (acks.isEmpty()) {
            return List.of();
        }
        List<DeliveryImpl> out = new ArrayList<>(acks);
        acks.clear();
        return out;
    }
}
