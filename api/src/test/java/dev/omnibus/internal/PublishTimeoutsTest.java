package dev.omnibus.internal;

import dev.omnibus.Config;
import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.spi.PublishFuture;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class PublishTimeoutsTest {
    @Test
    void anUnconfirmedPublishFailsWithTimeoutOnceOverdue() {
        PublishTimeouts timeouts = new PublishTimeouts(Duration.ofMillis(50));
        CompletableFuture<PublishReceipt> pending = new CompletableFuture<>();
        timeouts.track(pending, "orders", "e-1");
        timeouts.sweep();
        assertThat(pending).as("not before its deadline").isNotDone();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!pending.isDone() && System.nanoTime() < deadline) {
            timeouts.sweep();
            Thread.onSpinWait();
        }
        assertThatThrownBy(pending::get).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOf(OmnibusException.class).hasMessageContaining("e-1").hasMessageContaining("orders")
                .hasMessageContaining("publish.timeout")
                .satisfies(e -> assertThat(((OmnibusException) e).code()).isEqualTo(ErrorCode.TIMEOUT));
        assertThat(timeouts.tracked()).isZero();
    }

    @Test
    void confirmedPublishesAreDroppedAndNeverFailed() {
        PublishTimeouts timeouts = new PublishTimeouts(Duration.ofMillis(20));
        List<CompletableFuture<PublishReceipt>> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            CompletableFuture<PublishReceipt> f = new CompletableFuture<>();
            timeouts.track(f, "t", "e-" + i);
            f.complete(new PublishReceipt("t", "e-" + i, "1-" + i, false));
            all.add(f);
        }
        timeouts.sweep();
        assertThat(timeouts.tracked()).isZero();
        assertThat(all).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    }

    @Test
    void doneOnesBehindAStuckOneAreCompactedAboveTheThreshold() {
        PublishTimeouts timeouts = new PublishTimeouts(Duration.ofHours(1));
        timeouts.track(new CompletableFuture<>(), "t", "stuck");
        List<CompletableFuture<PublishReceipt>> later = new ArrayList<>();
        for (int i = 0; i <= PublishTimeouts.COMPACT_ABOVE; i++) {
            CompletableFuture<PublishReceipt> f = new CompletableFuture<>();
            timeouts.track(f, "t", "e-" + i);
            later.add(f);
        }
        timeouts.sweep();
        assertThat(timeouts.tracked()).as("all unconfirmed when swept").isEqualTo(PublishTimeouts.COMPACT_ABOVE + 2);
        later.forEach(f -> f.complete(new PublishReceipt("t", "x", "p", false)));
        timeouts.sweep();
        assertThat(timeouts.tracked()).as("only the stuck publish stays tracked").isEqualTo(1);
    }

    /** Publishes spread over several segments, every third never confirmed: exactly those fail, in any segment. */
    @Test
    void acrossSegmentsExactlyTheUnconfirmedOnesFail() {
        PublishTimeouts timeouts = new PublishTimeouts(Duration.ofMillis(20));
        int count = 3 * PublishTimeouts.SEGMENT + 7;
        List<CompletableFuture<PublishReceipt>> all = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            CompletableFuture<PublishReceipt> f = new CompletableFuture<>();
            timeouts.track(f, "t", "e-" + i);
            all.add(f);
            if (i % 3 != 0) {
                f.complete(new PublishReceipt("t", "e-" + i, "p", false));
            }
            if (i % 500 == 0) {
                timeouts.sweep();
            }
        }
        sweepUntil(timeouts, () -> all.stream().allMatch(CompletableFuture::isDone));
        for (int i = 0; i < count; i++) {
            assertThat(all.get(i).isCompletedExceptionally()).as("publish %d", i).isEqualTo(i % 3 == 0);
        }
        assertThat(timeouts.tracked()).isZero();
    }

    /**
     * Four threads publish while one sweeps, as a bus does: every unconfirmed publish fails TIMEOUT, no confirmed
     * one does, none is missed. If this fails, check the segment hand-over in {@code track} (a slot written twice or
     * never) and that {@code takeNew} stops at a claimed slot not written yet rather than skipping it.
     */
    @Test
    void publishingThreadsAndTheSweeperTogetherMissNothing() throws Exception {
        PublishTimeouts timeouts = new PublishTimeouts(Duration.ofMillis(40));
        int threads = 4;
        int each = 50_000;
        List<List<CompletableFuture<PublishReceipt>>> byThread = new ArrayList<>();
        AtomicBoolean publishing = new AtomicBoolean(true);
        Thread sweeper = new Thread(() -> {
            while (publishing.get()) {
                timeouts.sweep();
                Thread.onSpinWait();
            }
        });
        sweeper.start();
        List<Thread> publishers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<CompletableFuture<PublishReceipt>> mine = new ArrayList<>();
            byThread.add(mine);
            int thread = t;
            Thread p = new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    CompletableFuture<PublishReceipt> f = new CompletableFuture<>();
                    timeouts.track(f, "t", thread + "-" + i);
                    mine.add(f);
                    if (i % 10 != 0) {
                        f.complete(new PublishReceipt("t", thread + "-" + i, "p", false));
                    }
                }
            });
            publishers.add(p);
            p.start();
        }
        for (Thread p : publishers) {
            p.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(p.isAlive()).as("publisher finished").isFalse();
        }
        publishing.set(false);
        sweeper.join(TimeUnit.SECONDS.toMillis(10));
        sweepUntil(timeouts, () -> byThread.stream().flatMap(List::stream).allMatch(CompletableFuture::isDone));
        for (List<CompletableFuture<PublishReceipt>> mine : byThread) {
            for (int i = 0; i < each; i++) {
                assertThat(mine.get(i).isCompletedExceptionally()).as("publish %d", i).isEqualTo(i % 10 == 0);
            }
        }
        assertThat(timeouts.tracked()).isZero();
    }

    /**
     * A segment the sweep has passed keeps nothing after it alive. Why: a segment that lives through a young
     * collection or two is promoted to the old generation, where it is found dead only by an old collection; while
     * it still linked to the next segment, every young collection kept that one alive through it (and each publish's
     * future, receipt and position text in it), promoted it, and so on down the chain: Kafka publishing at ~400 k
     * events/s promoted ~100 MB per young pause, which took 125–145 ms instead of ~10 (bench/README, 2026-12-06).
     * Here the first segment is held as a promoted one would be. If this fails, check that {@code takeNew} unlinks a
     * segment it leaves, and that a publisher still holding such a segment goes on at the tail ({@code nextOf}).
     */
    @Test
    void aSegmentTheSweepHasPassedKeepsNoLaterPublishAlive() throws Exception {
        PublishTimeouts timeouts = new PublishTimeouts(Duration.ofSeconds(30));
        Object first = field(timeouts, "head");
        List<WeakReference<CompletableFuture<PublishReceipt>>> second = new ArrayList<>();
        for (int i = 0; i < 3 * PublishTimeouts.SEGMENT; i++) {
            CompletableFuture<PublishReceipt> f = new CompletableFuture<>();
            timeouts.track(f, "t", "e-" + i);
            f.complete(new PublishReceipt("t", "e-" + i, "p", false));
            if (i >= PublishTimeouts.SEGMENT && i < 2 * PublishTimeouts.SEGMENT) {
                second.add(new WeakReference<>(f));
            }
        }
        timeouts.sweep(); // passes the first two segments; the third is where the sweep goes on

        await("the second segment's futures collected while the first segment is still referenced")
                .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10)).until(() -> {
                    System.gc();
                    return second.stream().allMatch(r -> r.get() == null);
                });

        // a publisher that read the first segment as the tail before the sweep passed it goes on at the real tail
        Method nextOf = PublishTimeouts.class.getDeclaredMethod("nextOf", first.getClass());
        nextOf.setAccessible(true);
        assertThat(nextOf.invoke(timeouts, first)).isSameAs(field(timeouts, "tail"));
        CompletableFuture<PublishReceipt> late = new CompletableFuture<>();
        timeouts.track(late, "t", "late");
        assertThat(timeouts.tracked()).isZero();
        timeouts.sweep();
        assertThat(timeouts.tracked()).as("the late publish is swept").isEqualTo(1);
        assertThat(first).isNotNull(); // held to the end, as a promoted segment would be
    }

    private static Object field(PublishTimeouts timeouts, String name) throws ReflectiveOperationException {
        Field f = PublishTimeouts.class.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(timeouts);
    }

    private static void sweepUntil(PublishTimeouts timeouts, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("settled within 10 s").isLessThan(deadline);
            timeouts.sweep();
            Thread.onSpinWait();
        }
        timeouts.sweep();
    }

    /** {@code x}: the backend answers with a plain future; {@code typed}: with a PublishFuture, handed on as it is. */
    @ParameterizedTest
    @ValueSource(strings = {"x", "typed"})
    void aPublishTheBrokerNeverConfirmsFailsTypedAfterPublishTimeout(String address) {
        try (Omnibus bus = Omnibus.connect(Config.builder().url("hangtest://" + address + "?publish.timeout=100ms")
                .useEnvironment(false).build())) {
            long start = System.nanoTime();
            CompletableFuture<PublishReceipt> f = bus.publisher().publish("orders", CloudEventBuilder.v1()
                    .withId("e-9").withSource(URI.create("/t")).withType("t").build()).toCompletableFuture();
            assertThat(f instanceof PublishFuture).as("the backend's own future handed on")
                    .isEqualTo("typed".equals(address));
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).cause()
                    .isInstanceOf(OmnibusException.class).hasMessageContaining("e-9")
                    .satisfies(e -> assertThat(((OmnibusException) e).isRetryable()).isTrue());
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(90L, 2_000L);
        }
    }
}
