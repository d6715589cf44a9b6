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
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
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
 * Work a benchmark does in its per-invocation set-up and tear-down (writing a backlog to consume, say, then checking
 * it was all acked) falls in the iteration, which JMH's timer leaves out but a profiler cannot. A benchmark runs
 * such work through {@link #unmeasured}, and the CPU every thread, the JVM and each child process used between that
 * window's two readings is taken out of the iteration's figures. What the window started and goes on after it
 * closes (a broker still writing what it confirmed) is not taken out; a window adds two readings of a few
 * milliseconds each, outside JMH's timer.
 *
 * <p>Thread-safety: JMH calls a profiler from one thread, before and after each iteration; {@link #unmeasured} may
 * be called from the benchmark's threads meanwhile (the two meet in synchronised methods). Errors: the constructor
 * throws {@link ProfilerException} where the JVM cannot measure thread CPU time.
 */
public final class ThreadCpuProfiler implements InternalProfiler {
    /** Threads below this share of the JVM's CPU in an iteration are reported together. */
    static final int MIN_SHARE_PERCENT = 1;
    private static final Pattern DIGITS = Pattern.compile("\\d+");

    /** The profiler whose iteration runs now in this JVM, or null: where {@link #unmeasured} reports to. */
    private static volatile ThreadCpuProfiler measuring;

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os;
    private Reading before = Reading.NONE;
    /** CPU used inside {@link #unmeasured} work in this iteration: by thread id, by child pid, the whole JVM. */
    private Map<Long, Long> excludedThreads = new HashMap<>();
    private Map<Long, Long> excludedChildren = new HashMap<>();
    private long excludedProcess;
    /**
     * CPU of threads that ended inside {@link #unmeasured} work (a subscription's receive thread, say, ends in a
     * tear-down), used from the iteration's start to that work's start, by thread group: read before they ended, so
     * it stays theirs instead of falling into {@code cpu.jvm-other}.
     */
    private Map<String, Long> retired = new HashMap<>();

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
    public synchronized void beforeIteration(BenchmarkParams benchmark, IterationParams iteration) {
        excludedThreads = new HashMap<>();
        excludedChildren = new HashMap<>();
        excludedProcess = 0;
        retired = new HashMap<>();
        before = read();
        measuring = this;
    }

    @Override
    public synchronized List<Result> afterIteration(BenchmarkParams benchmark, IterationParams iteration,
                                                    IterationResult result) {
        measuring = null;
        Reading after = read();
        long ops = result.getMetadata().getAllOps();
        if (ops <= 0) {
            return List.of();
        }
        Map<String, Long> byName = new TreeMap<>(retired);
        long threadsTotal = retired.values().stream().mapToLong(Long::longValue).sum();
        for (Map.Entry<Long, Long> t : after.threads.entrySet()) {
            // a thread started during the iteration had used none before it
            long used = t.getValue() - before.threads.getOrDefault(t.getKey(), 0L)
                    - excludedThreads.getOrDefault(t.getKey(), 0L);
            if (used > 0) {
                String name = after.names.get(t.getKey());
                byName.merge(name == null ? "(ended)" : group(name), used, Long::sum);
                threadsTotal += used;
            }
        }
        Map<String, Long> byCommand = new TreeMap<>();
        after.children.forEach((pid, child) -> {
            long used = child.cpu - before.cpuOf(pid) - excludedChildren.getOrDefault(pid, 0L);
            if (used > 0) {
                byCommand.merge(child.command, used, Long::sum);
            }
        });
        long process = after.process - before.process - excludedProcess;
        return results(byName, Math.max(0, process - threadsTotal), byCommand, ops);
    }

    /**
     * Runs work a benchmark does outside its measured part (a per-invocation set-up or tear-down) and leaves the CPU
     * used meanwhile out of the current iteration's figures. Without this profiler measuring, it only runs
     * {@code work}. On the calling thread; one window at a time.
     *
     * @param work the unmeasured work
     * @throws Exception what {@code work} throws (the CPU it used is left out all the same)
     */
    static void unmeasured(Work work) throws Exception {
        ThreadCpuProfiler profiler = measuring;
        if (profiler == null) {
            work.run();
            return;
        }
        Reading start = profiler.read();
        try {
            work.run();
        } finally {
            profiler.exclude(start, profiler.read());
        }
    }

    /** Adds the CPU used between {@code start} and {@code end} to what this iteration leaves out. */
    private synchronized void exclude(Reading start, Reading end) {
        if (measuring != this) {
            return; // the iteration ended while the window was open: its figures are already out
        }
        end.threads.forEach((id, cpu) -> excludedThreads.merge(id, cpu - start.threads.getOrDefault(id, 0L),
                Long::sum));
        start.threads.forEach((id, cpu) -> {
            String name = start.names.get(id);
            long used = cpu - before.threads.getOrDefault(id, 0L) - excludedThreads.getOrDefault(id, 0L);
            if (!end.threads.containsKey(id) && name != null && used > 0) {
                retired.merge(group(name), used, Long::sum);
            }
        });
        end.children.forEach((pid, child) -> excludedChildren.merge(pid, child.cpu - start.cpuOf(pid), Long::sum));
        excludedProcess += end.process - start.process;
    }

    /** The CPU of every live thread, of the JVM and of every child process, read together. */
    private Reading read() {
        Map<Long, Child> children = children();
        long process = os.getProcessCpuTime();
        // threads last at the start and first at the end of an iteration would be better still; the readings are a
        // few milliseconds apart against iterations of seconds
        Map<Long, Long> cpu = threadCpu();
        Map<Long, String> names = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(cpu.keySet().stream().mapToLong(Long::longValue).toArray())) {
            if (info != null) { // null: ended since
                names.put(info.getThreadId(), info.getThreadName());
            }
        }
        return new Reading(cpu, names, process, children);
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

    /** Every process this JVM started, directly or not, by pid: its CPU time and executable, read together. */
    private static Map<Long, Child> children() {
        Map<Long, Child> children = new HashMap<>();
        ProcessHandle.current().descendants().forEach(p -> {
            ProcessHandle.Info info = p.info();
            info.totalCpuDuration().ifPresent(cpu -> {
                String command = info.command().orElse("(unknown)");
                children.put(p.pid(), new Child(command.substring(command.lastIndexOf('/') + 1), cpu.toNanos()));
            });
        });
        return children;
    }

    /** Work a benchmark does outside its measured part ({@link #unmeasured}). */
    @FunctionalInterface
    interface Work {
        /** Does the work. */
        void run() throws Exception;
    }

    /** A child process's executable name and CPU time (ns) at one reading. */
    private record Child(String command, long cpu) {
    }

    /**
     * CPU time (ns) of each live thread by id (with its name), of the whole JVM, and of each child process by pid, at
     * one moment.
     */
    private record Reading(Map<Long, Long> threads, Map<Long, String> names, long process, Map<Long, Child> children) {
        static final Reading NONE = new Reading(Map.of(), Map.of(), 0, Map.of());

        /** A child's CPU in this reading; 0 for one started since. */
        long cpuOf(long pid) {
            Child c = children.get(pid);
            return c == null ? 0 : c.cpu;
        }
    }
}
