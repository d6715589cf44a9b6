package dev.omnibus.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * Not thread-safe (a command-line entry point): runs JMH with the usual command-line options and then prints, for
 * every pair of benchmarks named {@code <op>Raw} and {@code <op>Omnibus} in the run with the same parameters (event
 * size, say; parameters named {@code raw*} configure the raw client only and are not compared), the Omnibus score
 * divided by the raw client's (both from the same run, so on the same broker and machine state).
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios RedisStreamsBenchmark -f 1 -wi 2 -i 3
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios NatsBenchmark -f 1 -wi 2 -i 3
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios KafkaBenchmark -f 1 -wi 3 -i 5
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.BenchRatios RabbitMqBenchmark -f 1 -wi 3 -i 5
 * </pre>
 */
public final class BenchRatios {
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
        Collection<RunResult> results = new Runner(options).run();
        Map<String, Double> scores = new TreeMap<>();
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
            scores.put(key.toString(), r.getPrimaryResult().getScore());
        }
        System.out.println();
        System.out.println("Omnibus / raw client (ops/s, same run):");
        scores.forEach((key, raw) -> {
            int end = key.indexOf(' ') < 0 ? key.length() : key.indexOf(' ');
            if (key.substring(0, end).endsWith("Raw")) {
                String op = key.substring(0, end - "Raw".length());
                String params = key.substring(end);
                Double omnibus = scores.get(op + "Omnibus" + params);
                if (omnibus != null) {
                    System.out.printf("  %-30s raw %,12.0f  omnibus %,12.0f  ratio %.3f%n", op + params, raw, omnibus,
                            omnibus / raw);
                }
            }
        });
    }
}
