package dev.omnibus.kafka.internal;

import dev.omnibus.kafka.internal.PartitionLedger.Entry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * What the library's side of a {@link KafkaReceiver} and its poll thread share: the {@link PartitionLedger} of every
 * partition assigned to this member, the buffer of fetched entries not yet handed out, and the back-pressure flag.
 *
 * <p>Guarded by its own monitor: every access holds {@code synchronized (assignment)}, except {@link #closed}. The
 * monitor is also what the waits wait on, so whatever may end one notifies all: receive waits for the buffer to fill
 * (a fetch notifies), a revocation waits for the settles of its partitions (an ack or nack of a revoking partition
 * notifies), a retry backoff and both of those wait for close (close notifies).
 */
final class Assignment {
    private final Map<TopicPartition, PartitionLedger> ledgers = new HashMap<>();
    /** Entries to hand out, oldest fetch first, across partitions; may hold some gone back to waiting (skipped). */
    private final ArrayDeque<Entry> buffer = new ArrayDeque<>();
    /** Whether the assigned partitions are paused because the buffer is full (see {@code PollLoop.flowControl}). */
    boolean backPressure;
    /** Set once by {@link KafkaReceiver#close()}, read without the monitor. */
    volatile boolean closed;

    /** The ledger of {@code tp}, or {@code null} if it is not assigned (any more). */
    PartitionLedger ledger(TopicPartition tp) {
        return ledgers.get(tp);
    }

    Collection<PartitionLedger> ledgers() {
        return ledgers.values();
    }

    /** Starts a fresh ledger for each newly assigned partition. */
    void assign(Collection<TopicPartition> assigned) {
        for (TopicPartition tp : assigned) {
            ledgers.put(tp, new PartitionLedger(tp));
        }
    }

    /** Forgets partitions revoked or lost; their entries still in the buffer are skipped by the next take. */
    void drop(Collection<TopicPartition> gone) {
        for (TopicPartition tp : gone) {
            PartitionLedger ledger = ledgers.remove(tp);
            if (ledger != null) {
                ledger.remove();
            }
        }
    }

    /** Queues {@code e}, buffered by its ledger, with the record to decode (once: it may still be queued). */
    void buffer(Entry e, ConsumerRecord<byte[], byte[]> record) {
        e.record = record;
        if (!e.inBuffer) {
            e.inBuffer = true;
            buffer.add(e);
        }
    }

    /** The oldest queued entry, off the queue, or {@code null}; its ledger decides whether it is still to hand out. */
    Entry nextBuffered() {
        Entry e = buffer.poll();
        if (e != null) {
            e.inBuffer = false;
        }
        return e;
    }

    int buffered() {
        return buffer.size();
    }
}
