package dev.omnibus.bench;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.profile.ProfilerException;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * JMH profiler that reports CPU time per operation, by thread and by child process: the figure to read before
 * removing a "hot spot", where sampling profilers count threads that were runnable rather than running.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios 'KafkaBenchmark.consume(Raw|Omnibus)$' \
 *     -p dataBytes=100 -f 1 -wi 10 -i 5 -prof dev.omnibus.bench.ThreadCpuProfiler
 * </pre>
 *
 * <p>For every measured iteration it reads each live thread's CPU time ({@link ThreadMXBean}), the JVM's whole CPU
 * time and that of every process the JVM started (the broker a benchmark starts in its set-up, with the processes
 * that broker started), before and after, and divides the differences by the iteration's operations (all of them,
 * synchronisation included, since CPU cannot be split at the measurement's edges). Results, in ns per operation and
 * averaged over iterations like JMH's own secondary results:
 * <ul>
 *   <li>{@code cpu.thread:<name>}: the threads of one name, digits replaced by {@code #} (so a client's numbered
 *       threads add up to one row); threads with less than {@value #MIN_SHARE_PERCENT} % of the JVM's CPU are summed
 *       into {@code cpu.thread:(other)};</li>
 *   <li>{@code cpu.jvm-other}: the JVM's CPU that no live Java thread accounts for: GC, the JIT compilers, other VM
 *       threads, and threads that ended during the iteration;</li>
 *   <li>{@code cpu.child:<command>}: the processes the JVM started, by executable name (the broker);</li>
 *   <li>{@code cpu.total}: all of the above.</li>
 * </ul>
 * Work a benchmark does in its per-invocation set-up (writing a backlog to consume, say) falls in the iteration and
 * so in these figures: on the threads that do it and in the broker, not in the consumer's rows.
 *
 * <p>Thread-safety: JMH calls a profiler from one thread, before and after each iteration; not thread-safe beyond
 * that. Errors: the constructor throws {@link ProfilerException} where the JVM cannot measure thread CPU time.
 */
public final class ThreadCpuProfiler implements InternalProfiler {
    /** Threads below this share of the JVM's CPU in an iteration are reported together. */
    static final int MIN_SHARE_PERCENT = 1;
    private static final Pattern DIGITS = Pattern.compile("\\d+");

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os;
    private Map<Long, Long> threadsBefore = Map.of();
    private Map<Long, Child> childrenBefore = Map.of();
    private long processBefore;

    /**
     * Creates the profiler (JMH does, once per fork, for {@code -prof dev.omnibus.bench.ThreadCpuProfiler}).
     *
     * @throws ProfilerException if this JVM cannot measure the CPU time of threads or of the process
     */
    public ThreadCpuProfiler() throws ProfilerException {
        if (!threads.isThreadCpuTimeSupported()) {
            throw new ProfilerException("this JVM cannot measure thread CPU time (ThreadMXBean)");
        }
        if (!(ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean o)) {
            throw new ProfilerException("this JVM cannot measure its process CPU time (com.sun.management)");
        }
        os = o;
        threads.setThreadCpuTimeEnabled(true);
    }

    @Override
    public String getDescription() {
        return "CPU time per operation by thread name, the rest of the JVM and each child process (the broker)";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmark, IterationParams iteration) {
        childrenBefore = children();
        processBefore = os.getProcessCpuTime();
        threadsBefore = threadCpu();
    }

    @Override
    public List<Result> afterIteration(BenchmarkParams benchmark, IterationParams iteration, IterationResult result) {
        // threads first: they are what the figures are read for, so the least time between their two readings
        Map<Long, Long> threadsAfter = threadCpu();
        long process = os.getProcessCpuTime() - processBefore;
        Map<Long, Child> childrenAfter = children();
        long ops = result.getMetadata().getAllOps();
        if (ops <= 0) {
            return List.of();
        }
        Map<String, Long> byName = new TreeMap<>();
        long threadsTotal = 0;
        for (Map.Entry<Long, Long> t : threadsAfter.entrySet()) {
            // a thread started during the iteration had used none before it
            long used = t.getValue() - threadsBefore.getOrDefault(t.getKey(), 0L);
            if (used > 0) {
                String name = threadName(t.getKey());
                byName.merge(name == null ? "(ended)" : group(name), used, Long::sum);
                threadsTotal += used;
            }
        }
        Map<String, Long> byCommand = new TreeMap<>();
        childrenAfter.forEach((pid, after) -> {
            Child before = childrenBefore.get(pid);
            long used = after.cpu.minus(before == null ? Duration.ZERO : before.cpu).toNanos();
            if (used > 0) {
                byCommand.merge(after.command, used, Long::sum);
            }
        });
        return results(byName, Math.max(0, process - threadsTotal), byCommand, ops);
    }

    /** The rows of one iteration, from CPU nanoseconds by thread group and by child command. */
    static List<Result> results(Map<String, Long> byThreadGroup, long jvmOther, Map<String, Long> byCommand,
                                long ops) {
        long jvm = jvmOther + byThreadGroup.values().stream().mapToLong(Long::longValue).sum();
        List<Result> out = new ArrayList<>();
        long other = 0;
        for (Map.Entry<String, Long> g : byThreadGroup.entrySet()) {
            if (g.getValue() * 100 < jvm * MIN_SHARE_PERCENT) {
                other += g.getValue();
            } else {
                out.add(perOp("cpu.thread:" + g.getKey(), g.getValue(), ops));
            }
        }
        if (other > 0) {
            out.add(perOp("cpu.thread:(other)", other, ops));
        }
        out.add(perOp("cpu.jvm-other", jvmOther, ops));
        long children = 0;
        for (Map.Entry<String, Long> c : byCommand.entrySet()) {
            out.add(perOp("cpu.child:" + c.getKey(), c.getValue(), ops));
            children += c.getValue();
        }
        out.add(perOp("cpu.total", jvm + children, ops));
        return out;
    }

    /** A thread's name with every run of digits as {@code #}: numbered threads of one pool form one group. */
    static String group(String threadName) {
        return DIGITS.matcher(threadName).replaceAll("#");
    }

    private static ScalarResult perOp(String label, long nanos, long ops) {
        return new ScalarResult(label, (double) nanos / ops, "ns/op", AggregationPolicy.AVG);
    }

    private Map<Long, Long> threadCpu() {
        Map<Long, Long> cpu = new HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            long nanos = threads.getThreadCpuTime(id);
            if (nanos >= 0) { // -1: ended since getAllThreadIds
                cpu.put(id, nanos);
            }
        }
        return cpu;
    }

    private String threadName(long id) {
        var info = threads.getThreadInfo(id);
        return info == null ? null : info.getThreadName();
    }

    /** Every process this JVM started, directly or not, by pid: its CPU time and executable, read together. */
    private static Map<Long, Child> children() {
        Map<Long, Child> children = new HashMap<>();
        ProcessHandle.current().descendants().forEach(p -> {
            ProcessHandle.Info info = p.info();
            info.totalCpuDuration().ifPresent(cpu -> {
                String command = info.command().orElse("(unknown)");
                children.put(p.pid(), new Child(command.substring(command.lastIndexOf('/') + 1), cpu));
            });
        });
        return children;
    }

    /** A child process's executable name and CPU time at one reading. */
    private record Child(String command, Duration cpu) {
    }
}
