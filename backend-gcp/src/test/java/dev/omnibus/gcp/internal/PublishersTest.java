package dev.omnibus.gcp.internal;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class PublishersTest {
    private final AtomicLong now = new AtomicLong();
    private final List<String> created = new ArrayList<>();
    private final Publishers<String> publishers = new Publishers<>(t -> {
        if (t.equals("broken")) {
            throw new IOException("no client");
        }
        created.add(t);
        return "publisher-of-" + t + "-" + created.size();
    }, 1000, 100, now::get);

    @Test
    void idlePublishersWithNothingInUseAreEvictedAndMadeAgainOnUse() throws IOException {
        Publishers.Entry<String> a = publishers.use("a");
        Publishers.Entry<String> b = publishers.use("b");
        publishers.done(a);
        now.addAndGet(100);
        // b is still in use: only a goes, however idle
        assertThat(publishers.evictIdle()).containsExactly("publisher-of-a-1");
        assertThat(publishers.size()).isEqualTo(1);
        publishers.done(b);
        now.addAndGet(99);
        assertThat(publishers.evictIdle()).isEmpty();
        now.addAndGet(1);
        assertThat(publishers.evictIdle()).containsExactly("publisher-of-b-2");
        assertThat(publishers.use("a").publisher).isEqualTo("publisher-of-a-3");
    }

    @Test
    void theByteBudgetIsSharedByAllTopics() {
        assertThat(publishers.reserve(600)).isTrue();
        assertThat(publishers.reserve(500)).isFalse();
        assertThat(publishers.reserve(400)).isTrue();
        assertThat(publishers.reservedBytes()).isEqualTo(1000);
        publishers.release(600);
        assertThat(publishers.reserve(500)).isTrue();
        // one message larger than the budget takes all of it, not more (the server refuses over 10 MB anyway)
        publishers.release(500);
        publishers.release(400);
        assertThat(publishers.reserve(5000)).isTrue();
        publishers.release(5000);
        assertThat(publishers.reservedBytes()).isZero();
    }

    @Test
    void aPublisherThatCannotBeMadeFailsThatUseOnly() throws IOException {
        assertThatThrownBy(() -> publishers.use("broken")).isInstanceOf(IOException.class);
        assertThat(publishers.size()).isZero();
        assertThat(publishers.use("fine").publisher).isEqualTo("publisher-of-fine-1");
        assertThat(publishers.removeAll()).containsExactly("publisher-of-fine-1");
    }

    @Test
    void inUseCountsThePublishesOfATopic() throws IOException {
        Publishers.Entry<String> a = publishers.use("a");
        Publishers.Entry<String> again = publishers.use("a");
        assertThat(again).isSameAs(a);
        assertThat(a.inUse()).isEqualTo(2);
        publishers.done(a);
        publishers.done(again);
        assertThat(a.inUse()).isZero();
    }

    @Test
    void aPublisherHandedOutIsNeverEvictedBeforeItsPublishIsDone() throws Exception {
        // every publisher is idle at once (idle time 0): eviction races each use, until it has won a thousand times
        Set<String> evicted = ConcurrentHashMap.newKeySet();
        Publishers<String> racy = new Publishers<>(t -> "publisher-" + UUID.randomUUID(), 1000, 0, System::nanoTime);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> broken = new AtomicReference<>();
        Thread evictor = new Thread(() -> {
            while (!stop.get()) {
                evicted.addAll(racy.evictIdle());
            }
        });
        ExecutorService users = Executors.newFixedThreadPool(2);
        List<Future<?>> done = new ArrayList<>();
        try {
            evictor.start();
            for (int u = 0; u < 2; u++) {
                done.add(users.submit(() -> {
                    while (!stop.get()) {
                        Publishers.Entry<String> e = racy.use("t");
                        if (evicted.contains(e.publisher)) {
                            broken.compareAndSet(null, "handed out after eviction: " + e.publisher);
                        }
                        Thread.onSpinWait();
                        if (evicted.contains(e.publisher)) {
                            broken.compareAndSet(null, "evicted while in use: " + e.publisher);
                        }
                        racy.done(e);
                        Thread.yield(); // leaves the publisher idle now and then, so that eviction can win
                    }
                    return null;
                }));
            }
            await("a thousand evictions between uses").atMost(Duration.ofSeconds(60))
                    .until(() -> evicted.size() >= 1000 || broken.get() != null);
        } finally {
            stop.set(true);
            evictor.join(10_000);
            users.shutdown();
        }
        for (Future<?> f : done) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertThat(broken.get()).isNull();
    }
}
