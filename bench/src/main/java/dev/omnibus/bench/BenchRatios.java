package dev.omnibus.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * Not thread-safe (a command-line entry point): runs {@link RedisStreamsBenchmark} with the usual JMH command-line
 * options and then prints each Omnibus score divided by its raw-Lettuce counterpart from the same run.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.RedisStreamsRatios -f 1 -wi 2 -i 3
 * </pre>
 */
public final class RedisStreamsRatios {
    private RedisStreamsRatios() {
    }

    /**
     * Runs the benchmark and prints the ratios.
     *
     * @param args JMH options; without a benchmark pattern, {@code RedisStreamsBenchmark} is run
     * @throws Exception if JMH cannot parse the options or the run fails
     */
    public static void main(String[] args) throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args);
        OptionsBuilder builder = new OptionsBuilder();
        builder.parent(cli);
        if (cli.getIncludes().isEmpty()) {
            builder.include(RedisStreamsBenchmark.class.getSimpleName());
        }
        Options options = builder.build();
        Collection<RunResult> results = new Runner(options).run();
        Map<String, Double> scores = new HashMap<>();
        for (RunResult r : results) {
            String label = r.getParams().getBenchmark();
            scores.put(label.substring(label.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
        }
        System.out.println();
        System.out.println("Omnibus / raw Lettuce (events/s, same run):");
        for (String op : new String[] {"publish", "consume"}) {
            Double raw = scores.get(op + "Raw");
            Double omnibus = scores.get(op + "Omnibus");
            if (raw != null && omnibus != null) {
                System.out.printf("  %-8s raw %,12.0f  omnibus %,12.0f  ratio %.3f%n", op, raw, omnibus, omnibus / raw);
            }
        }
    }
}
