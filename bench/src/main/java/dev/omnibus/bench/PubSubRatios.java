package dev.omnibus.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.HashMap;
import java.util.Map;

/**
 * Not thread-safe (a command-line entry point): runs {@link PubSubBenchmark} with the usual JMH command-line options,
 * then prints the Omnibus publish score divided by the plain client's from the same run.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.PubSubRatios -f 1 -wi 2 -i 3
 * </pre>
 */
public final class PubSubRatios {
    private PubSubRatios() {
    }

    /**
     * Runs the benchmark and prints the ratio.
     *
     * @param args JMH options; without a benchmark pattern, {@code PubSubBenchmark} is run
     * @throws Exception if JMH cannot parse the options or the run fails
     */
    public static void main(String[] args) throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args);
        OptionsBuilder builder = new OptionsBuilder();
        builder.parent(cli);
        if (cli.getIncludes().isEmpty()) {
            builder.include(PubSubBenchmark.class.getSimpleName());
        }
        Map<String, Double> scores = new HashMap<>();
        for (RunResult r : new Runner(builder.build()).run()) {
            String label = r.getParams().getBenchmark();
            scores.put(label.substring(label.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
        }
        Double raw = scores.get("publishRaw");
        Double omnibus = scores.get("publishOmnibus");
        if (raw != null && omnibus != null) {
            System.out.printf("%nOmnibus / plain google-cloud-pubsub Publisher (events/s, same run):%n"
                    + "  publish  raw %,10.0f  omnibus %,10.0f  ratio %.3f%n", raw, omnibus, omnibus / raw);
        }
    }
}
