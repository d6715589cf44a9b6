package dev.omnibus.bench;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * Waits for the receipts of one batch of Omnibus publishes the way the raw benchmarks wait for their client's
 * acknowledgements: a callback per publish ({@code publish(...).whenComplete(receipts)}) that counts down, then one
 * wait. Why not {@code CompletableFuture.allOf}: it builds a tree of two nodes per future on the publishing thread
 * (6.5 % of that thread's samples in a Kafka profile), work the raw side does not have and a user waiting for
 * receipts need not do. Thread-safe for one batch at a time: {@link #expect} before the batch's publishes, from the
 * thread that then calls {@link #await}; callbacks from any thread.
 */
final class Receipts implements BiConsumer<Object, Throwable> {
    private volatile CountDownLatch pending = new CountDownLatch(0);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    /** Starts a batch of {@code count} publishes. */
    Receipts expect(int count) {
        failure.set(null);
        pending = new CountDownLatch(count);
        return this;
    }

    @Override
    public void accept(Object receipt, Throwable error) {
        if (error != null) {
            failure.compareAndSet(null, error);
        }
        pending.countDown();
    }

    /** Returns once every receipt of the batch arrived; throws if one was a failure or {@code wait} ran out. */
    void await(Duration wait) throws InterruptedException {
        if (!pending.await(wait.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new IllegalStateException(pending.getCount() + " receipts missing after " + wait);
        }
        Throwable failed = failure.get();
        if (failed != null) {
            throw new IllegalStateException("a publish failed", failed);
        }
    }
}
