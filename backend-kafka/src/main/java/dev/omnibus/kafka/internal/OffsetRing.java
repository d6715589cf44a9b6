package dev.omnibus.kafka.internal;

import dev.omnibus.kafka.internal.PartitionLedger.Entry;

import java.util.Arrays;

/**
 * A partition's tracked entries in offset order: a growable circular array, appended at the end (a fetch only ever
 * adds offsets above every tracked one) and dropped from the front (the acked prefix), with lookups by binary search
 * (offsets may have gaps: compaction, transaction markers). Why not a {@code TreeMap<Long, Entry>}: a tree node and a
 * boxed offset per fetched record, rebalancing on every insert and delete; that was about a tenth of a Kafka poll
 * thread's time and several percent of the receive thread's on a backlog of small events (JFR, 2026-12-06).
 *
 * <p>Not thread-safe: guarded as its {@link PartitionLedger}. Not API.
 */
final class OffsetRing {
    private Entry[] ring = new Entry[64];
    /** Index of the first entry. */
    private int head;
    private int size;

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The {@code i}-th entry from the front ({@code 0 <= i < size}). */
    Entry get(int i) {
        return ring[(head + i) & (ring.length - 1)];
    }

    /** The entry with the lowest offset, or {@code null}. */
    Entry first() {
        return size == 0 ? null : ring[head];
    }

    /** Appends {@code e}, whose offset must be above every tracked one. */
    void addLast(Entry e) {
        if (size > 0 && get(size - 1).offset >= e.offset) {
            throw new IllegalStateException("offset " + e.offset + " is not above the last tracked "
                    + get(size - 1).offset);
        }
        if (size == ring.length) {
            grow();
        }
        ring[(head + size) & (ring.length - 1)] = e;
        size++;
    }

    /** Drops the entry with the lowest offset (there must be one). */
    void removeFirst() {
        ring[head] = null;
        head = (head + 1) & (ring.length - 1);
        size--;
    }

    /** The index of the first entry whose offset is {@code offset} or above; {@link #size()} if there is none. */
    int indexOf(long offset) {
        int lo = 0;
        int hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (get(mid).offset < offset) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** The entry at exactly {@code offset}, or {@code null}. */
    Entry find(long offset) {
        int i = indexOf(offset);
        if (i < size) {
            Entry e = get(i);
            if (e.offset == offset) {
                return e;
            }
        }
        return null;
    }

    /** Doubles the array (a power of two, so an index wraps with a mask), the entries moved to its start in order. */
    private void grow() {
        Entry[] bigger = new Entry[ring.length * 2];
        int tail = ring.length - head;
        System.arraycopy(ring, head, bigger, 0, tail);
        System.arraycopy(ring, 0, bigger, tail, head);
        Arrays.fill(ring, null);
        ring = bigger;
        head = 0;
    }
}
