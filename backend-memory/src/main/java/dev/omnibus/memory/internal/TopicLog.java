package dev.omnibus.memory.internal;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One topic: sequence numbers, the bounded retained history, the dedup window and the channels it fans out to.
 * Guarded by its own monitor: appends and fan-out happen under it, so every channel sees one topic's events in
 * sequence order, and a channel created with replay gets an exact cut between history and live events.
 */
final class TopicLog {
    final String name;
    private final int retention;
    private final ArrayDeque<Entry> retained = new ArrayDeque<>();
    private final Map<String, Long> seenIds;
    private long nextSequence = 1;
    private Channel[] channels = new Channel[0];

    TopicLog(String name, int retention, boolean dedup, int dedupWindow) {
        this.name = name;
        this.retention = retention;
        this.seenIds = !dedup ? null : new LinkedHashMap<>(256, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > dedupWindow;
            }
        };
    }

    /** The sequence of an earlier event with {@code id}, or -1 (always -1 without dedup). Caller holds the monitor. */
    long duplicateOf(String id) {
        if (seenIds == null) {
            return -1;
        }
        Long seq = seenIds.get(id);
        return seq == null ? -1 : seq;
    }

    /** Assigns the next sequence; caller holds the monitor. */
    long nextSequence() {
        return nextSequence++;
    }

    /** Records {@code e} in the history and dedup window; caller holds the monitor. */
    void retain(Entry e) {
        if (seenIds != null && e.event != null) {
            seenIds.put(e.event.getId(), e.sequence);
        }
        if (retention > 0) {
            if (retained.size() >= retention) {
                retained.pollFirst();
            }
            retained.addLast(e);
        }
    }

    /** The retained entries, oldest first; caller holds the monitor. */
    Iterator<Entry> history() {
        return retained.iterator();
    }

    Channel[] channels() {
        return channels;
    }

    void addChannel(Channel c) {
        Channel[] next = Arrays.copyOf(channels, channels.length + 1);
        next[channels.length] = c;
        channels = next;
    }

    void removeChannel(Channel c) {
        channels = Arrays.stream(channels).filter(x -> x != c).toArray(Channel[]::new);
    }
}
