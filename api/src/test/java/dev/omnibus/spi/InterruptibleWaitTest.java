package dev.omnibus.spi;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link InterruptibleWait}: what a receiver's wakeup relies on. If one fails, check its interrupt bookkeeping. */
class InterruptibleWaitTest {
    private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();

    @Test
    void aWaitInProgressReturnsNullAtOnceAndLeavesNoInterruptBehind() throws Exception {
        InterruptibleWait wait = new InterruptibleWait();
        CountDownLatch entered = new CountDownLatch(1);
        CompletableFuture<Object[]> result = CompletableFuture.supplyAsync(() -> {
            try {
                long start = System.nanoTime();
                String got = wait.run(() -> {
                    entered.countDown();
                    return queue.poll(30, TimeUnit.SECONDS);
                });
                return new Object[] {got, Duration.ofNanos(System.nanoTime() - start),
                        Thread.currentThread().isInterrupted()};
            } catch (InterruptedException e) {
                throw new AssertionError("the wakeup's interrupt escaped", e);
            }
        }, r -> new Thread(r, "waiter").start());
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        wait.wakeup();
        Object[] r = result.get(10, TimeUnit.SECONDS);
        assertThat(r[0]).as("what the woken wait returned").isNull();
        assertThat((Duration) r[1]).as("how long the woken wait took").isLessThan(Duration.ofSeconds(10));
        assertThat(r[2]).as("interrupt flag after the wait").isEqualTo(false);
    }

    @Test
    void afterAWakeupNoWaitRunsAtAll() throws Exception {
        InterruptibleWait wait = new InterruptibleWait();
        wait.wakeup();
        AtomicBoolean called = new AtomicBoolean();
        assertThat(wait.run(() -> {
            called.set(true);
            return "x";
        })).isNull();
        assertThat(called).isFalse();
        assertThat(wait.isWoken()).isTrue();
        assertThat(Thread.currentThread().isInterrupted()).as("a wakeup with no wait in progress interrupts nobody")
                .isFalse();
    }

    @Test
    void aWaitThatAnswersIsReturnedAndAnInterruptFromElsewhereStillThrows() throws Exception {
        InterruptibleWait wait = new InterruptibleWait();
        queue.add("m");
        assertThat(wait.run(() -> queue.poll(1, TimeUnit.SECONDS))).isEqualTo("m");
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> wait.run(() -> queue.poll(30, TimeUnit.SECONDS)))
                    .isInstanceOf(InterruptedException.class);
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aCheckedExceptionOfTheWaitPassesThrough() {
        InterruptibleWait wait = new InterruptibleWait();
        assertThatThrownBy(() -> wait.run(() -> {
            throw new java.io.IOException("driver");
        })).isInstanceOf(java.io.IOException.class).hasMessage("driver");
    }
}
