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
        final P publisher;
        final AtomicInteger inUse = new AtomicInteger();
        volatile long lastUsed;

        Entry(P publisher) {
            this.publisher = publisher;
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
     * The topic's publisher, created if needed, counted in use until {@link #done}: eviction and use are decided under
     * the map's per-key lock, so a publisher is never shut down between being handed out and being used.
     *
     * @throws IOException when the client cannot make one
     */
    Entry<P> use(String topic) throws IOException {
        IOException[] failed = new IOException[1];
        Entry<P> entry = byTopic.compute(topic, (t, e) -> {
            Entry<P> out = e;
            if (out == null) {
                try {
                    out = new Entry<>(factory.create(t));
                } catch (IOException ex) {
                    failed[0] = ex;
                    return null;
                }
            }
            out.inUse.incrementAndGet();
            out.lastUsed = clock.getAsLong();
            return out;
        });
        if (entry == null) {
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
                if (e.inUse.get() == 0 && now - e.lastUsed >= idleNanos) {
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
