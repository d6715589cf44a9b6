package dev.omnibus.bench;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.IterationResultMetaData;
import org.openjdk.jmh.results.Result;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link ThreadCpuProfiler} attributes CPU time to the thread group and the child process that used it, and leaves out
 * what was used inside an unmeasured window. If this fails, check that the profiler reads its baselines in
 * {@code beforeIteration}, that a thread or process started during the iteration counts from zero, and that a
 * window's CPU is subtracted from the thread that used it.
 */
class ThreadCpuProfilerTest {
    private static final long BURN_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private static final long OPS = 1_000;

    @Test
    void numberedThreadsFormOneGroup() {
        assertThat(ThreadCpuProfiler.group("kafka-producer-network-thread | producer-12"))
                .isEqualTo("kafka-producer-network-thread | producer-#");
        assertThat(ThreadCpuProfiler.group("omnibus-receive-7-topic42")).isEqualTo("omnibus-receive-#-topic#");
        assertThat(ThreadCpuProfiler.group("main")).isEqualTo("main");
    }

    @Test
    void smallGroupsAreSummedAndTheTotalCountsEverything() {
        Map<String, Double> rows = byLabel(ThreadCpuProfiler.results(
                Map.of("receive", 9_700L, "timer", 40L, "logger", 60L), 200L, Map.of("nats-server", 5_000L), 10));
        assertThat(rows).containsOnlyKeys("cpu.thread:receive", "cpu.thread:(other)", "cpu.jvm-other",
                "cpu.child:nats-server", "cpu.total");
        assertThat(rows.get("cpu.thread:receive")).isEqualTo(970.0);
        assertThat(rows.get("cpu.thread:(other)")).isEqualTo(10.0);
        assertThat(rows.get("cpu.jvm-other")).isEqualTo(20.0);
        assertThat(rows.get("cpu.child:nats-server")).isEqualTo(500.0);
        assertThat(rows.get("cpu.total")).isEqualTo(1_500.0);
    }

    @Test
    void cpuOfAThreadAndAChildStartedDuringTheIterationIsAttributedPerOperation() throws Exception {
        ThreadCpuProfiler profiler = new ThreadCpuProfiler();
        profiler.beforeIteration(null, null);

        CountDownLatch burnt = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // alive at afterIteration: an ended thread's CPU is no longer readable
        Thread burner = startWorker("cpu-burner-1", () -> burn(BURN_NANOS), burnt, release);
        Process child = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
        try {
            assertThat(burnt.await(60, TimeUnit.SECONDS)).as("burner used 200 ms of CPU").isTrue();
            await("child used 200 ms of CPU").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                    .until(() -> child.toHandle().info().totalCpuDuration().orElse(Duration.ZERO).toNanos()
                            >= BURN_NANOS);
            List<Result> results = endIteration(profiler);
            Map<String, Double> rows = byLabel(results);
            double perOp = (double) BURN_NANOS / OPS;
            assertThat(rows.get("cpu.thread:cpu-burner-#")).as("burner ns/op").isBetween(perOp, perOp * 1.5);
            Map.Entry<String, Double> sh = rows.entrySet().stream().filter(r -> r.getKey().startsWith("cpu.child:"))
                    .findFirst().orElseThrow(() -> new AssertionError("no child row in " + rows));
            // process CPU is counted in clock ticks (10 ms): a tick of slack
            assertThat(sh.getValue()).as(sh.getKey()).isGreaterThanOrEqualTo(perOp * 0.95);
            assertThat(rows.get("cpu.total")).isGreaterThanOrEqualTo(rows.get("cpu.thread:cpu-burner-#")
                    + sh.getValue());
            assertThat(results).allSatisfy(r -> assertThat(r.getScoreUnit()).isEqualTo("ns/op"));
        } finally {
            release.countDown();
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            burner.join(10_000);
        }
    }

    @Test
    void cpuUsedInsideAnUnmeasuredWindowIsLeftOut() throws Exception {
        AtomicInteger ran = new AtomicInteger();
        ThreadCpuProfiler.unmeasured(ran::incrementAndGet);
        assertThat(ran).as("work run with no profiler measuring").hasValue(1);
        ThreadCpuProfiler profiler = new ThreadCpuProfiler();
        profiler.beforeIteration(null, null);
        CountDownLatch burnt = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // 200 ms inside a window (a set-up), then 200 ms outside it (the measured part): only the second counts
        Thread burner = startWorker("cpu-setup-1", () -> {
            try {
                ThreadCpuProfiler.unmeasured(() -> burn(BURN_NANOS));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            burn(2 * BURN_NANOS);
        }, burnt, release);
        try {
            assertThat(burnt.await(60, TimeUnit.SECONDS)).as("burner used 400 ms of CPU").isTrue();
            Map<String, Double> rows = byLabel(endIteration(profiler));
            double perOp = (double) BURN_NANOS / OPS;
            // counted in full it would read 2 × perOp; the window's two readings cost a few ms of its own CPU
            assertThat(rows.get("cpu.thread:cpu-setup-#")).as("burner ns/op").isBetween(perOp * 0.9, perOp * 1.5);
        } finally {
            release.countDown();
            burner.join(10_000);
        }
        ThreadCpuProfiler.unmeasured(ran::incrementAndGet);
        assertThat(ran).as("work run after the iteration").hasValue(2);
    }

    @Test
    void aThreadThatEndsInsideAnUnmeasuredWindowKeepsWhatItUsedBefore() throws Exception {
        ThreadCpuProfiler profiler = new ThreadCpuProfiler();
        profiler.beforeIteration(null, null);
        CountDownLatch burnt = new CountDownLatch(1);
        CountDownLatch end = new CountDownLatch(1);
        // a subscription's receive thread: works in the measured part, ends when the tear-down closes it
        Thread receiver = startWorker("cpu-receiver-1", () -> burn(BURN_NANOS), burnt, end);
        assertThat(burnt.await(60, TimeUnit.SECONDS)).as("receiver used 200 ms of CPU").isTrue();
        ThreadCpuProfiler.unmeasured(() -> {
            end.countDown();
            receiver.join(10_000);
        });
        assertThat(receiver.isAlive()).isFalse();
        Map<String, Double> rows = byLabel(endIteration(profiler));
        double perOp = (double) BURN_NANOS / OPS;
        assertThat(rows.get("cpu.thread:cpu-receiver-#")).as("receiver ns/op, in " + rows)
                .isBetween(perOp, perOp * 1.5);
    }

    /** Ends the profiler's iteration as JMH would after {@value #OPS} operations; its rows. */
    private static List<Result> endIteration(ThreadCpuProfiler profiler) {
        return profiler.afterIteration(null, null,
                new IterationResult(null, null, new IterationResultMetaData(OPS, OPS)));
    }

    /** Starts a thread {@code name} that runs {@code work}, counts {@code done} down, then ends once released. */
    private static Thread startWorker(String name, Runnable work, CountDownLatch done, CountDownLatch release) {
        Thread t = new Thread(() -> {
            work.run();
            done.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, name);
        t.start();
        return t;
    }

    /** Burns CPU on this thread until it has used {@code untilNanos} in all. */
    private static void burn(long untilNanos) {
        var threads = ManagementFactory.getThreadMXBean();
        long x = 0;
        while (threads.getCurrentThreadCpuTime() < untilNanos) {
            x += Long.numberOfTrailingZeros(x + System.nanoTime());
        }
        if (x == 42) {
            System.out.print(""); // keeps the loop from being optimised away
        }
    }

    private static Map<String, Double> byLabel(List<Result> results) {
        return results.stream().collect(Collectors.toMap(Result::getLabel, Result::getScore, (a, b) -> {
            throw new AssertionError("two rows labelled alike");
        }, TreeMap::new));
    }
}
