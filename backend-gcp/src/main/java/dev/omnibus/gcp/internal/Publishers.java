package dev.omnibus.gcp.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The batching publishers ({@code com.google.cloud.pubsub.v1.Publisher}) of one connection, one per topic while it is in use, and the byte budget all
 * its publishes share; thread-safe.
 *
 * <p>Bounds what a connection can be made to hold: a publisher idle for {@code idleNanos} with nothing outstanding is
 * shut down (a service publishing to many topics once would otherwise keep a client, its batching and its flow
 * controller per topic forever), and the bytes of publishes not yet settled, all topics together, stay under one
 * budget instead of the client's 512 MiB per topic.
 *
 * @param <P> the publisher type (generic so that tests need no client)
 */
final class Publishers<P> {
    /** Makes the publisher of a topic. */
    interface Factory<P> {
        P create(String topic) throws IOException;
    }

    /** A topic's publisher and how many publishes use it now. */
    static final class Entry<P> {
        /** {@link #inUse} of an entry taken out of the map: no publish may use it any more. */
        private static final int RETIRED = -1;

        final P publisher;
        /** Publishes using the publisher now, or {@link #RETIRED}. */
        private final AtomicInteger inUse = new AtomicInteger();
        volatile long lastUsed;

        Entry(P publisher) {
            this.publisher = publisher;
        }

        /** Counts one more publish in; false once the entry is retired. */
        private boolean enter() {
            for (int n = inUse.get(); n != RETIRED; n = inUse.get()) {
                if (inUse.compareAndSet(n, n + 1)) {
                    return true;
                }
            }
            return false;
        }

        /** Publishes using the publisher now (the topic's outstanding publishes). */
        int inUse() {
            return Math.max(0, inUse.get());
        }
    }

    private final Map<String, Entry<P>> byTopic = new ConcurrentHashMap<>();
    private final Factory<P> factory;
    private final Semaphore budget;
    private final int budgetBytes;
    private final long idleNanos;
    private final LongSupplier clock;

    Publishers(Factory<P> factory, int budgetBytes, long idleNanos, LongSupplier clock) {
        this.factory = factory;
        this.budget = new Semaphore(budgetBytes);
        this.budgetBytes = budgetBytes;
        this.idleNanos = idleNanos;
        this.clock = clock;
    }

    /** Takes {@code bytes} of the budget; false when they are not free now (the caller fails RESOURCE_EXHAUSTED). */
    boolean reserve(int bytes) {
        return budget.tryAcquire(Math.min(bytes, budgetBytes));
    }

    /** Gives back what {@link #reserve} took. */
    void release(int bytes) {
        budget.release(Math.min(bytes, budgetBytes));
    }

    /** Bytes of the budget in use. */
    int reservedBytes() {
        return budgetBytes - budget.availablePermits();
    }

    /**
     * The topic's publisher, created if needed, counted in use until {@link #done}. Why it is safe without a lock on
     * the usual path: eviction retires an entry (0 in use to {@code RETIRED}, one compare-and-set) under the map's
     * per-key lock before it takes it out, and {@link Entry#enter} never counts a retired entry in, so a publisher is
     * never shut down between being handed out and being used; a publish that finds its entry retired takes the
     * map's path, which makes a new one. The lock-free path matters: every publish passes here, and the map's
     * {@code compute} locked the topic's bin for each.
     *
     * @throws IOException when the client cannot make one
     */
    Entry<P> use(String topic) throws IOException {
        Entry<P> entry = byTopic.get(topic);
        if (entry == null || !entry.enter()) {
            entry = create(topic);
        }
        entry.lastUsed = clock.getAsLong();
        return entry;
    }

    private Entry<P> create(String topic) throws IOException {
        IOException[] failed = new IOException[1];
        Entry<P> entry = byTopic.compute(topic, (t, e) -> {
            // an entry still in the map is never retired: eviction retires and removes under this same lock
            if (e != null && e.enter()) {
                return e;
            }
            try {
                Entry<P> made = new Entry<>(factory.create(t));
                made.enter();
                return made;
            } catch (IOException ex) {
                failed[0] = ex;
                return e;
            }
        });
        if (failed[0] != null) {
            throw failed[0];
        }
        return entry;
    }

    /** The publish that {@link #use} was for has settled. */
    void done(Entry<P> entry) {
        entry.lastUsed = clock.getAsLong();
        entry.inUse.decrementAndGet();
    }

    /** Takes out the publishers idle for longer than the idle time with nothing in use; the caller shuts them down. */
    List<P> evictIdle() {
        List<P> evicted = new ArrayList<>();
        long now = clock.getAsLong();
        for (String topic : byTopic.keySet()) {
            byTopic.computeIfPresent(topic, (t, e) -> {
                if (now - e.lastUsed >= idleNanos && e.inUse.compareAndSet(0, Entry.RETIRED)) {
                    evicted.add(e.publisher);
                    return null;
                }
                return e;
            });
        }
        return evicted;
    }

    /** Takes out every publisher (closing); the caller shuts them down. */
    List<P> removeAll() {
        List<P> all = new ArrayList<>();
        for (String topic : byTopic.keySet()) {
            Entry<P> e = byTopic.remove(topic);
            if (e != null) {
                all.add(e.publisher);
            }
        }
        return all;
    }

    /** How many topics have a publisher now. */
    int size() {
        return byTopic.size();
    }
}
