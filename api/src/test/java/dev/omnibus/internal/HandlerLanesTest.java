package dev.omnibus.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Key affinity, order per key, close's hand-back and interruption of the subscription's handler lanes. */
class HandlerLanesTest {
    /** A test delivery: a key (or null) and a sequence number. */
    private record Item(String key, int n) {
    }

    private final List<String> ran = new CopyOnWriteArrayList<>();
    private final Map<Item, String> threadOf = new ConcurrentHashMap<>();
    private HandlerLanes<Item> lanes;

    @AfterEach
    void stop() {
        if (lanes != null) {
            lanes.shutdown();
            lanes.interrupt();
        }
    }

    private HandlerLanes<Item> lanes(int n, HandlerLanes.Handler<Item> handler) {
        lanes = new HandlerLanes<>(n, "test-lane", Item::key, handler);
        return lanes;
    }

    @Test
    void oneKeyRunsOnOneLaneInOrderAndUnkeyedDeliveriesSpreadOverAll() throws InterruptedException {
        CountDownLatch all = new CountDownLatch(200);
        lanes(4, (item, lane) -> {
            threadOf.put(item, Thread.currentThread().getName());
            ran.add(item.key() + ":" + item.n());
            all.countDown();
        });
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            items.add(new Item(i % 2 == 0 ? "k" + (i % 10) : null, i));
        }
        items.forEach(item -> assertThat(lanes.dispatch(item)).isTrue());
        assertThat(all.await(10, TimeUnit.SECONDS)).as("every delivery ran").isTrue();

        Map<String, Set<String>> threadsPerKey = new HashMap<>();
        Map<String, List<Integer>> orderPerKey = new HashMap<>();
        Set<String> unkeyedThreads = new HashSet<>();
        for (String r : ran) {
            String[] kn = r.split(":");
            orderPerKey.computeIfAbsent(kn[0], k -> new ArrayList<>()).add(Integer.parseInt(kn[1]));
        }
        for (Item item : items) {
            if (item.key() == null) {
                unkeyedThreads.add(threadOf.get(item));
            } else {
                threadsPerKey.computeIfAbsent(item.key(), k -> new HashSet<>()).add(threadOf.get(item));
            }
        }
        threadsPerKey.forEach((key, threads) -> assertThat(threads).as("threads of key %s", key).hasSize(1));
        orderPerKey.forEach((key, order) -> {
            if (!key.equals("null")) {
                assertThat(order).as("order of key %s", key).isSorted();
            }
        });
        assertThat(unkeyedThreads).as("round-robin over every lane").hasSize(4)
                .allMatch(name -> name.startsWith("test-lane-"));
    }

    @Test
    void shutdownReturnsWhatNoHandlerStartedAndRefusesMore() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(2);
        lanes(2, (item, lane) -> {
            ran.add(String.valueOf(item.n()));
            started.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (int i = 0; i < 6; i++) {
            lanes.dispatch(new Item(null, i));
        }
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        List<Item> notStarted = lanes.shutdown();

        assertThat(notStarted).extracting(Item::n).containsExactlyInAnyOrder(2, 3, 4, 5);
        assertThat(lanes.dispatch(new Item(null, 9))).as("dispatch after shutdown").isFalse();
        assertThat(lanes.isTerminated()).as("handlers still running").isFalse();
        release.countDown();
        lanes.awaitTermination(TimeUnit.SECONDS.toNanos(10));
        assertThat(lanes.isTerminated()).isTrue();
        assertThat(ran).containsExactlyInAnyOrder("0", "1");
    }

    @Test
    void interruptReachesARunningHandlerAndTheLaneThreadsAreKnown() throws InterruptedException {
        AtomicBoolean interrupted = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        Set<Thread> handlerThreads = ConcurrentHashMap.newKeySet();
        lanes(2, (item, lane) -> {
            handlerThreads.add(Thread.currentThread());
            started.countDown();
            try {
                new CountDownLatch(1).await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        });
        lanes.dispatch(new Item("a", 1));
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(handlerThreads).allMatch(lanes::runs);
        assertThat(lanes.runs(Thread.currentThread())).isFalse();

        lanes.shutdown();
        lanes.interrupt();
        lanes.awaitTermination(TimeUnit.SECONDS.toNanos(10));

        assertThat(interrupted).isTrue();
        assertThat(lanes.isTerminated()).isTrue();
    }

    @Test
    void lanesAreForConcurrencyAboveOne() {
        assertThatThrownBy(() -> new HandlerLanes<Item>(1, "x", Item::key, (i, l) -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("above 1");
    }
}
