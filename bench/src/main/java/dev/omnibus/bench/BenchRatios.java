package dev.omnibus.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Not thread-safe (a command-line entry point): runs JMH with the usual command-line options and then prints, for
 * every pair of benchmarks named {@code <op>Raw} and {@code <op>Omnibus} in the run with the same parameters (event
 * size, say; parameters named {@code raw*} configure the raw client only and are not compared), the Omnibus score
 * divided by the raw client's (both from the same run, so on the same broker and machine state); and for every pair
 * {@code <op>Omnibus} and {@code <op>Traced}, what Omnibus keeps of its throughput with metrics and tracing on. With
 * {@code -Domnibus.bench.json=<file>} it also writes them, with JMH's error margins, the date and the machine, to that
 * file ({@code bench/figures.sh} collects these).
 *
 * <p>With more than one fork ({@code -f 2}), the forks run in rounds: one fork of every selected benchmark per round,
 * the order reversed every other round ({@link InterleavedForks}), so a pair's forks run minutes apart no more; each
 * ratio is printed with its per-fork ratios ("by fork"), fork i of one side over fork i of the other.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios RedisStreamsBenchmark -f 1 -wi 2 -i 3
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios NatsBenchmark -f 1 -wi 2 -i 3
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios KafkaBenchmark -f 1 -wi 3 -i 5
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios RabbitMqBenchmark -f 1 -wi 3 -i 5
 * </pre>
 */
public final class BenchRatios {
    /** System property naming a file to write the ratios to as JSON (with the date, machine and command). */
    static final String JSON_PROPERTY = "omnibus.bench.json";

    private BenchRatios() {
    }

    /**
     * Runs the benchmarks and prints the ratios.
     *
     * @param args JMH options, starting with the benchmark pattern (a class name such as {@code NatsBenchmark})
     * @throws Exception if JMH cannot parse the options or the run fails
     */
    public static void main(String[] args) throws Exception {
        CommandLineOptions options = new CommandLineOptions(args);
        if (options.getIncludes().isEmpty()) {
            System.err.println("usage: BenchRatios <benchmark pattern, e.g. NatsBenchmark> [JMH options]");
            System.exit(2);
        }
        int forks = options.getForkCount().orElse(1);
        // more than one fork: in alternating rounds, so the raw client's and Omnibus' forks see the same minutes
        Collection<RunResult> results = forks > 1 ? InterleavedForks.run(options, forks) : new Runner(options).run();
        List<Ratio> ratios = ratios(results);
        for (Kind kind : Kind.values()) {
            if (ratios.stream().noneMatch(r -> r.kind == kind)) {
                continue; // no pair of this kind in the run: no empty heading
            }
            System.out.println();
            System.out.println(kind.title + " (ops/s, same run):");
            for (Ratio r : ratios) {
                if (r.kind == kind) {
                    System.out.printf(Locale.ROOT, "  %-30s %s %,12.0f  %s %,12.0f  ratio %.3f%s%n",
                            r.operation + (r.params.isEmpty() ? "" : " " + r.params), kind.baseline.toLowerCase(
                                    Locale.ROOT), r.baseline, kind.measured.toLowerCase(Locale.ROOT), r.measured,
                            r.ratio(), r.forkRatios.size() < 2 ? "" : "  by fork " + r.forkRatios.stream()
                                    .map(f -> String.format(Locale.ROOT, "%.3f", f)).collect(Collectors.joining(" ")));
                }
            }
        }
        String json = System.getProperty(JSON_PROPERTY);
        if (json != null) {
            Machine.write(json(options.getIncludes().get(0), String.join(" ", args), ratios), Path.of(json));
            System.out.println("written to " + json);
        }
    }

    /** What a pair compares: benchmark methods {@code <op><baseline>} and {@code <op><measured>}. */
    enum Kind {
        /** Omnibus against the raw client. */
        RAW("Raw", "Omnibus", "Omnibus / raw client"),
        /** Omnibus with metrics and tracing against plain Omnibus. */
        TRACING("Omnibus", "Traced", "Omnibus with metrics + tracing / plain Omnibus"),
        /**
         * Omnibus against the raw client that also decodes every record into a CloudEvent with the CloudEvents SDK's
         * binding: context for the raw comparison, which never decodes (not in the README's table or chart).
         */
        SDK("RawSdk", "Omnibus", "Omnibus / raw client decoding with the CloudEvents SDK (context, not the target)");

        final String baseline;
        final String measured;
        final String title;

        Kind(String baseline, String measured, String title) {
            this.baseline = baseline;
            this.measured = measured;
            this.title = title;
        }
    }

    /**
     * One pair's scores (ops/s) and their 99.9 % confidence half-widths as JMH reports them.
     *
     * @param kind      what is compared
     * @param operation the benchmark method without its suffix
     * @param params     the compared parameters, {@code name=value} separated by spaces, or empty
     * @param forkRatios the ratio of each fork's score to the other side's fork of the same number (with more than one
     *                   fork, {@code BenchRatios} runs them in rounds, so fork i of both sides ran in the same round):
     *                   how far one fork's reading strays from the pooled one; empty if the fork counts differ
     */
    record Ratio(Kind kind, String operation, String params, double baseline, double baselineError, double measured,
                 double measuredError, List<Double> forkRatios) {
        double ratio() {
            return measured / baseline;
        }
    }

    /**
     * Pairs results of the same compared parameters by {@link Kind} ({@code <op>Raw} with {@code <op>Omnibus},
     * {@code <op>Omnibus} with {@code <op>Traced}), in name order.
     */
    static List<Ratio> ratios(Collection<RunResult> results) {
        Map<String, RunResult> byKey = new TreeMap<>();
        for (RunResult r : results) {
            String label = r.getParams().getBenchmark();
            StringBuilder key = new StringBuilder(label.substring(label.lastIndexOf('.') + 1));
            for (String param : r.getParams().getParamsKeys()) {
                String value = r.getParams().getParam(param);
                // raw-only knobs (named raw*, e.g. a pipeline depth) and parameters a method does not use do not
                // tell a pair apart
                if (!param.startsWith("raw") && value != null && !value.equals("N/A")) {
                    key.append(' ').append(param).append('=').append(value);
                }
            }
            byKey.put(key.toString(), r);
        }
        List<Ratio> ratios = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            byKey.forEach((key, baseline) -> {
                int end = key.indexOf(' ') < 0 ? key.length() : key.indexOf(' ');
                if (key.substring(0, end).endsWith(kind.baseline)) {
                    String op = key.substring(0, end - kind.baseline.length());
                    RunResult measured = byKey.get(op + kind.measured + key.substring(end));
                    if (measured != null) {
                        ratios.add(new Ratio(kind, op, key.substring(end).trim(),
                                baseline.getPrimaryResult().getScore(), baseline.getPrimaryResult().getScoreError(),
                                measured.getPrimaryResult().getScore(), measured.getPrimaryResult().getScoreError(),
                                forkRatios(scores(baseline), scores(measured))));
                    }
                }
            });
        }
        return ratios;
    }

    /** Each fork's primary score, in the order the forks ran. */
    private static List<Double> scores(RunResult result) {
        List<Double> scores = new ArrayList<>();
        for (BenchmarkResult fork : result.getBenchmarkResults()) {
            scores.add(fork.getPrimaryResult().getScore());
        }
        return scores;
    }

    /** Fork i of {@code measured} over fork i of {@code baseline}; empty when the fork counts differ. */
    static List<Double> forkRatios(List<Double> baseline, List<Double> measured) {
        if (baseline.size() != measured.size()) {
            return List.of();
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < baseline.size(); i++) {
            ratios.add(measured.get(i) / baseline.get(i));
        }
        return List.copyOf(ratios);
    }

    private static ObjectNode json(String benchmark, String command, List<Ratio> ratios) {
        ObjectNode file = Machine.stamped().put("benchmark", benchmark).put("command", command);
        ArrayNode rows = file.putArray("ratios");
        for (Ratio r : ratios) {
            ObjectNode row = rows.addObject().put("kind", r.kind.name().toLowerCase(Locale.ROOT))
                    .put("operation", r.operation).put("params", r.params).put("baseline", r.baseline)
                    .put("baselineError", nan0(r.baselineError)).put("measured", r.measured)
                    .put("measuredError", nan0(r.measuredError)).put("ratio", r.ratio());
            r.forkRatios.forEach(row.putArray("forkRatios")::add);
        }
        return file;
    }

    /** JMH reports no error (NaN) for fewer than two iterations; JSON has no NaN. */
    private static double nan0(double d) {
        return Double.isNaN(d) ? 0 : d;
    }
}
