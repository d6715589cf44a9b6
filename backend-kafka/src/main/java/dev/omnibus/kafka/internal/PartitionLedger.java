package dev.omnibus.kafka.internal;

import dev.omnibus.spi.ReceivedMessage;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One assigned partition's bookkeeping: which fetched offsets may be committed, which record keys are held back, and
 * where the consumer must seek back for a redelivery. A pure policy: no consumer, no clock (times are
 * {@link System#nanoTime()} readings passed in) and no lock of its own; the {@link Assignment}'s monitor guards it,
 * held by the library's threads and the poll thread alike.
 *
 * <p>Why this bookkeeping: Kafka keeps one committed offset per partition, while handlers finish in any order and a
 * nack asks for one record again. So every offset fetched and not yet committable is an {@link Entry}, in one of four
 * states: buffered (fetched, not handed out), in flight (handed out, not settled), waiting (for a redelivery that is
 * not due yet) or acked. The committable position is the first entry that is not acked: a commit never passes an
 * unacked offset, whatever order handlers finish in; the acked prefix is dropped as it forms.
 *
 * <p>A nack marks its entry waiting until its delay is over, with the later buffered entries of the same record key,
 * and holds that key back (records of it fetched before the delay is over wait too), so one key keeps its order while
 * other keys go on. Once the delay is over the poll thread seeks back to the first due offset and re-reads from
 * there; the re-read takes only the due waiting offsets again and skips those acked, in flight or buffered, which the
 * library already has.
 */
final class PartitionLedger {
    enum State { BUFFERED, INFLIGHT, WAITING, ACKED }

    final TopicPartition tp;
    /** The deliveries' ordering key: one partition is one ordered stream. */
    final String orderingKey;
    /** Offsets fetched and not yet below the committable position, in order. */
    private final OffsetRing entries = new OffsetRing();
    /** Record keys held back until a redelivery of that key is due (key order), with the due time. */
    private final Map<String, Long> heldKeys = new HashMap<>();
    /** The offset after the highest one ever fetched (-1: none): lower offsets are re-reads. */
    private long fetchedUpTo = -1;
    /** The consumer's fetch position as far as this ledger moved it (by fetches and seeks back). */
    private long position = Long.MAX_VALUE;
    /** The last offset the group committed (-1: none known). */
    private long committed = -1;
    /** Entries in state WAITING: a partition without any skips the scans for due redeliveries. */
    private int waiting;
    private boolean revoking;
    private boolean removed;
    /**
     * Paused for tracking too many offsets behind an unsettled one; the poll thread's flag (see
     * {@code PollLoop.holdBackStuckPartitions}), kept here because it belongs to the partition.
     */
    boolean heldBack;

    PartitionLedger(TopicPartition tp) {
        this.tp = tp;
        this.orderingKey = tp.topic() + ":" + tp.partition();
    }

    // ------------------------------------------------------------------------------------ fetching (poll thread)

    /**
     * Takes the record at {@code offset}, just fetched, into the bookkeeping. Returns its entry, now buffered, when the
     * library should get it (a new offset whose key is not held back, or a re-read of a due redelivery); {@code null}
     * when it is held back (new, its key waits for a redelivery) or skipped (a re-read of an offset the library
     * already has, or whose redelivery is not due).
     */
    Entry fetched(long offset, String key, long now) {
        position = offset + 1;
        if (offset < fetchedUpTo) {
            Entry e = entries.find(offset);
            if (e == null || e.state != State.WAITING || now - e.due < 0) {
                return null;
            }
            waiting--;
            e.state = State.BUFFERED;
            return e;
        }
        Entry e = new Entry(this, offset, key);
        entries.addLast(e);
        fetchedUpTo = offset + 1;
        Long held = key == null || heldKeys.isEmpty() ? null : heldKeys.get(key);
        if (held != null && now - held < 0) {
            e.state = State.WAITING;
            e.due = held;
            waiting++;
            return null;
        }
        e.state = State.BUFFERED;
        return e;
    }

    /** After a poll's records of this partition: keys whose redelivery is due are no longer held back. */
    void forgetDueKeys(long now) {
        if (!heldKeys.isEmpty()) {
            heldKeys.values().removeIf(due -> now - due >= 0);
        }
    }

    // ------------------------------------------------------------------------------------ the library's side

    /**
     * Hands {@code e} out, in flight until {@code deadline}, counting the delivery; {@code false} if it is no longer
     * buffered (it went back to waiting while in the buffer) or its partition is leaving.
     */
    boolean take(Entry e, long deadline) {
        if (e.state != State.BUFFERED || revoking || removed) {
            return false;
        }
        e.state = State.INFLIGHT;
        e.deadline = deadline;
        e.deliveries++;
        return true;
    }

    /**
     * The library now holds {@code message} for {@code e} (decoded after {@link #take}, outside the lock): later
     * settles must name it, and the record is no longer needed. Ignored if {@code e} went back meanwhile.
     */
    void delivered(Entry e, ReceivedMessage message) {
        if (e.state == State.INFLIGHT) {
            e.current = message;
            e.record = null;
        }
    }

    /**
     * Acks {@code message} of {@code e}; {@code false} (nothing changes) for a stale delivery (not the entry's latest),
     * a settled entry or a partition that left. A waiting entry may be acked too: its handler was slow, the library
     * had expired it, and the ack still counts.
     */
    boolean ack(Entry e, ReceivedMessage message) {
        if (e.current != message || removed || (e.state != State.INFLIGHT && e.state != State.WAITING)) {
            return false;
        }
        if (e.state == State.WAITING) {
            waiting--;
        }
        e.state = State.ACKED;
        // an acked entry waits only for the commit to pass it: drop the decoded event (payload included), so a
        // stuck offset before it holds back a few bytes per acked record, not every acked event
        e.current = null;
        while (!entries.isEmpty() && entries.first().state == State.ACKED) {
            entries.removeFirst();
        }
        return true;
    }

    /** Nacks {@code message} of {@code e}: redelivered at {@code due}; {@code false} as {@link #ack}. */
    boolean nack(Entry e, ReceivedMessage message, long due) {
        if (e.current != message || removed || e.state != State.INFLIGHT) {
            return false;
        }
        redeliverLater(e, due);
        return true;
    }

    /** Pushes the deadline of {@code message} of {@code e} out to {@code deadline} if it is still in flight. */
    void extend(Entry e, ReceivedMessage message, long deadline) {
        if (e.current == message && e.state == State.INFLIGHT) {
            e.deadline = deadline;
        }
    }

    /**
     * Marks {@code e} waiting until {@code due}, with the buffered entries after it that share its record key (their
     * key keeps its order), and holds that key back until then.
     */
    private void redeliverLater(Entry e, long due) {
        e.state = State.WAITING;
        e.due = due;
        waiting++;
        if (e.key != null) {
            for (int i = entries.indexOf(e.offset + 1); i < entries.size(); i++) {
                Entry later = entries.get(i);
                if (later.state == State.BUFFERED && e.key.equals(later.key)) {
                    later.state = State.WAITING;
                    later.due = due;
                    waiting++;
                }
            }
            heldKeys.merge(e.key, due, Math::max);
        }
    }

    // ------------------------------------------------------------------------------------ between polls (poll thread)

    /**
     * In-flight entries past their deadline are redelivered from {@code now} (the library expired them too); not
     * while the partition is being revoked, when the revocation waits for settles instead.
     */
    void expire(long now) {
        if (revoking) {
            return;
        }
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.state == State.INFLIGHT && now - e.deadline >= 0) {
                redeliverLater(e, now);
            }
        }
    }

    /**
     * Where the consumer must seek back to re-read the first redelivery due at {@code now}, or -1 when nothing is due
     * or the fetch position is already at or before it (a re-read is under way). The position is moved there: the
     * caller seeks.
     */
    long seekBack(long now) {
        if (waiting == 0) {
            return -1;
        }
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.state == State.WAITING && now - e.due >= 0) {
                if (e.offset >= position) {
                    return -1;
                }
                position = e.offset;
                return e.offset;
            }
        }
        return -1;
    }

    /** Nanoseconds from {@code now} until the next redelivery not due yet is due; {@link Long#MAX_VALUE} if none. */
    long untilNextDue(long now) {
        long next = Long.MAX_VALUE;
        if (waiting > 0) {
            for (int i = 0; i < entries.size(); i++) {
                Entry e = entries.get(i);
                if (e.state == State.WAITING && now - e.due < 0) {
                    next = Math.min(next, e.due - now);
                }
            }
        }
        return next;
    }

    /** Offsets tracked: fetched, settled or not, and not yet below the committable position. */
    int tracked() {
        return entries.size();
    }

    /** Whether the consumer re-reads below what was fetched already (after a seek back). */
    boolean rereading() {
        return position < fetchedUpTo;
    }

    // ------------------------------------------------------------------------------------ commits and rebalances

    /** The offset to commit: the first not acked, or past everything fetched; -1 when nothing was fetched. */
    long committable() {
        return entries.isEmpty() ? fetchedUpTo : entries.first().offset;
    }

    /** {@link #committable()} if the group does not have it yet, else -1. */
    long toCommit() {
        long next = committable();
        return next > committed ? next : -1;
    }

    /** The group has committed {@code offset} (a commit went through, or the offset found on assignment). */
    void committed(long offset) {
        committed = Math.max(committed, offset);
    }

    /** Entries the library holds (handed out, not settled). */
    int inFlight() {
        int n = 0;
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).state == State.INFLIGHT) {
                n++;
            }
        }
        return n;
    }

    /** The partition is being revoked: nothing more is handed out, nothing expires while its settles are awaited. */
    void revoke() {
        revoking = true;
    }

    boolean isRevoking() {
        return revoking;
    }

    /** The partition left: every later settle of its entries is ignored (its next owner redelivers them). */
    void remove() {
        removed = true;
    }

    boolean isRemoved() {
        return removed;
    }

    /** One fetched offset; its {@link #current} message is what the library holds. Guarded as its ledger. */
    static final class Entry {
        final PartitionLedger ledger;
        final long offset;
        /** The record key (UTF-8), or {@code null}. */
        final String key;
        State state;
        /** The message the library holds (set once decoded after a take), or {@code null}. */
        ReceivedMessage current;
        /** The record to decode while buffered. */
        ConsumerRecord<byte[], byte[]> record;
        /** Whether the entry sits in the assignment's buffer (it may, while waiting: a take skips it then). */
        boolean inBuffer;
        long deadline;
        long due;
        /** How many times this offset was handed to the library. */
        int deliveries;

        Entry(PartitionLedger ledger, long offset, String key) {
            this.ledger = Objects.requireNonNull(ledger);
            this.offset = offset;
            this.key = key;
        }
    }
}
