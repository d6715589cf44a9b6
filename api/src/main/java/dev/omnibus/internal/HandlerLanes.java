package dev.omnibus.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The handler threads of a subscription with {@code concurrency(n)}, n above 1: n lanes of one thread each. A
 * delivery with an ordering key always goes to the lane its key hashes to, so one key's deliveries run one at a time
 * in delivery order; the others go round-robin. Thread-safe: the receive thread dispatches, close shuts the lanes
 * down from any thread.
 *
 * <p>Why one single-thread executor per lane rather than one pool: key affinity needs a queue per key group, and a
 * lane's queue is also what close hands back (deliveries no handler has started) without racing a worker taking
 * them: {@link #shutdown()} drains each queue before shutting its executor, so a queued delivery either runs or is
 * returned, never both.
 */
final class HandlerLanes<T> {
    /** What a lane does with a delivery: runs its handler, with the lane's index for its slot. */
    interface Handler<T> {
        void run(T delivery, int lane);
    }

    private final ThreadPoolExecutor[] lanes;
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger roundRobin = new AtomicInteger();
    private final Function<T, String> orderingKey;
    private final Handler<T> handler;

    /**
     * Starts no thread yet: a lane's thread starts with its first delivery, named {@code threadName-<lane>}.
     *
     * @param orderingKey a delivery's ordering key, or {@code null} when it has none
     */
    HandlerLanes(int n, String threadName, Function<T, String> orderingKey, Handler<T> handler) {
        if (n < 2) {
            throw new IllegalArgumentException("lanes are for concurrency above 1, was " + n);
        }
        this.orderingKey = orderingKey;
        this.handler = handler;
        this.lanes = new ThreadPoolExecutor[n];
        for (int i = 0; i < n; i++) {
            String name = threadName + "-" + i;
            lanes[i] = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                threads.add(t);
                return t;
            });
        }
    }

    /**
     * Queues {@code d} on its lane: the one its ordering key hashes to, else the next in turn. Returns {@code false}
     * when the lanes were shut down meanwhile (close raced the caller): then the caller still owns {@code d}.
     */
    boolean dispatch(T d) {
        String key = orderingKey.apply(d);
        int lane = key != null ? Math.floorMod(key.hashCode(), lanes.length)
                : Math.floorMod(roundRobin.getAndIncrement(), lanes.length);
        try {
            lanes[lane].execute(new Queued(d, lane));
            return true;
        } catch (RejectedExecutionException shut) {
            return false;
        }
    }

    /** Whether {@code t} is one of the lanes' threads. */
    boolean runs(Thread t) {
        return threads.contains(t);
    }

    /**
     * Stops taking deliveries and returns those queued that no handler started, in queue order per lane; handlers
     * running go on until they return (or {@link #interrupt()}).
     */
    List<T> shutdown() {
        List<T> notStarted = new ArrayList<>();
        for (ThreadPoolExecutor lane : lanes) {
            List<Runnable> pending = new ArrayList<>();
            lane.getQueue().drainTo(pending);
            for (Runnable r : pending) {
                @SuppressWarnings("unchecked")
                Queued queued = (Queued) r;
                notStarted.add(queued.delivery);
            }
            lane.shutdown();
        }
        return notStarted;
    }

    /** Waits up to {@code nanos} on each lane in turn for it to end after {@link #shutdown()}. */
    void awaitTermination(long nanos) throws InterruptedException {
        for (ThreadPoolExecutor lane : lanes) {
            lane.awaitTermination(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Whether every lane has ended: shut down and no handler running. */
    boolean isTerminated() {
        for (ThreadPoolExecutor lane : lanes) {
            if (!lane.isTerminated()) {
                return false;
            }
        }
        return true;
    }

    /** Interrupts the handlers still running and drops anything still queued (call {@link #shutdown()} first). */
    void interrupt() {
        for (ThreadPoolExecutor lane : lanes) {
            lane.shutdownNow();
        }
    }

    private final class Queued implements Runnable {
        final T delivery;
        final int lane;

        Queued(T delivery, int lane) {
            this.delivery = delivery;
            this.lane = lane;
        }

        @Override
        public void run() {
            handler.run(delivery, lane);
        }
    }
}
