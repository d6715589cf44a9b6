package dev.omnibus.bench;

import dev.omnibus.Delivery;
import dev.omnibus.DeliveryHandler;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A handler that holds its first delivery until {@link #open()}, then passes every delivery on: lets a consume
 * benchmark set up a subscription that has joined its group and fetched, and measure only what follows. One use.
 *
 * <p>Thread-safe: {@link #handle} runs on the subscription's handler thread and blocks it (the receive side keeps
 * buffering up to {@code maxInFlight}, as a raw consumer's first poll keeps its records); {@link #awaitFirst} and
 * {@link #open} run on the benchmark thread.
 */
final class StartGate implements DeliveryHandler {
    private final DeliveryHandler next;
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch go = new CountDownLatch(1);
    /** Set once open: later deliveries skip the latches. */
    private volatile boolean open;

    StartGate(DeliveryHandler next) {
        this.next = next;
    }

    @Override
    public void handle(Delivery delivery) throws Exception {
        if (!open) {
            reached.countDown();
            go.await();
        }
        next.handle(delivery);
    }

    /**
     * Waits until the first delivery is held.
     *
     * @throws IllegalStateException if none comes within {@code wait}
     */
    void awaitFirst(Duration wait) throws InterruptedException {
        if (!reached.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("no delivery within " + wait);
        }
    }

    /** Lets the held delivery and every later one through. */
    void open() {
        open = true;
        go.countDown();
    }
}
