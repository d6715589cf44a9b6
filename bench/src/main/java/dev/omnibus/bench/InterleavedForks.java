package dev.omnibus.bench;

import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Not thread-safe (used by the {@link BenchRatios} command): runs the forks of the benchmarks an option set names in
 * rounds, one fork of each benchmark per round, the order reversed every other round, instead of JMH's order (every
 * fork of one benchmark, then every fork of the next).
 *
 * <p>Why: a ratio divides two benchmarks' scores, and on a small shared machine the throughput both sides can reach
 * drifts over minutes (the cores are shared by the benchmark JVM, the client's I/O threads and the broker process).
 * In JMH's order the raw client's forks and Omnibus' forks run many minutes apart, so the drift in between lands in
 * the ratio; the same jar read NATS core publishing at 0.84 and at 1.02 of raw 45 minutes apart. Run in rounds of
 * A B / B A, two benchmarks next to each other in the list see the same moments of the machine, and a drift that
 * is linear over a round pair cancels. Each benchmark still gets the same forks, warm-ups and iterations as in one
 * JMH run, and its score is JMH's own aggregate over all of its forks (the same {@link RunResult} JMH builds), so
 * only the order changes, never what is measured or how it is summed.
 */
final class InterleavedForks {
    private InterleavedForks() {
    }

    /**
     * Runs every benchmark {@code options} selects, {@code forks} forks each, in alternating rounds.
     *
     * @param options the parsed JMH options (includes, excludes, iterations, parameters, profilers); their fork count
     *                is replaced by one fork per round
     * @param forks   how many rounds, so how many forks each benchmark gets (at least 1)
     * @return one result per benchmark and parameter set, its forks in round order
     * @throws RunnerException if a fork fails
     */
    static Collection<RunResult> run(Options options, int forks) throws RunnerException {
        List<String> names = benchmarks(options);
        // each fork's result carries its benchmark's parameters: keyed by their id, one list per benchmark
        Map<String, List<BenchmarkResult>> results = new LinkedHashMap<>();
        for (List<String> round : rounds(names, forks)) {
            for (String name : round) {
                ChainedOptionsBuilder one = new OptionsBuilder().parent(options).forks(1);
                // the parent's includes still select the others (includes are a union), so the others are excluded
                for (String other : names) {
                    if (!other.equals(name)) {
                        one.exclude("^" + Pattern.quote(other) + "$");
                    }
                }
                for (RunResult r : new Runner(one.build()).run()) {
                    results.computeIfAbsent(r.getParams().id(), k -> new ArrayList<>()).addAll(r.getBenchmarkResults());
                }
            }
        }
        List<RunResult> merged = new ArrayList<>();
        results.values().forEach(forksOfOne -> merged.add(new RunResult(forksOfOne.get(0).getParams(), forksOfOne)));
        return merged;
    }

    /**
     * The order of each round: the benchmarks in list order in even rounds, reversed in odd ones (A B C, C B A, A B C,
     * ...), so that over every two rounds each benchmark has run as often before its neighbour as after it.
     *
     * @param names the benchmarks, in the order JMH lists them
     * @param forks how many rounds
     * @return one list per round
     */
    static List<List<String>> rounds(List<String> names, int forks) {
        if (forks < 1) {
            throw new IllegalArgumentException("forks must be at least 1, got " + forks);
        }
        List<List<String>> rounds = new ArrayList<>();
        List<String> reversed = new ArrayList<>(names);
        Collections.reverse(reversed);
        for (int i = 0; i < forks; i++) {
            rounds.add(List.copyOf(i % 2 == 0 ? names : reversed));
        }
        return rounds;
    }

    /** The benchmark methods the options select, in JMH's order (parameter sets of one method stay together). */
    private static List<String> benchmarks(Options options) {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        for (BenchmarkListEntry e : BenchmarkList.defaultList().find(
                OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT), options.getIncludes(),
                options.getExcludes())) {
            names.add(e.getUsername());
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("no benchmark matches " + options.getIncludes() + " (excluding "
                    + options.getExcludes() + ")");
        }
        return List.copyOf(names);
    }
}
