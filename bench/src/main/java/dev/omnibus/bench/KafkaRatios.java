package dev.omnibus.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.Map;
import java.util.TreeMap;

/**
 * Not thread-safe (a command-line entry point): runs {@link KafkaBenchmark} with the usual JMH command-line options
 * and then prints each Omnibus score divided by its raw kafka-clients counterpart of the same run and event size.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.KafkaRatios -f 1 -wi 2 -i 3
 * </pre>
 */
public final class KafkaRatios {
    private KafkaRatios() {
    }

    /**
     * Runs the benchmark and prints the ratios.
     *
     * @param args JMH options; without a benchmark pattern, {@code KafkaBenchmark} is run
     * @throws Exception if JMH cannot parse the options or the run fails
     */
    public static void main(String[] args) throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args);
        OptionsBuilder builder = new OptionsBuilder();
        builder.parent(cli);
        if (cli.getIncludes().isEmpty()) {
            builder.include(KafkaBenchmark.class.getSimpleName());
        }
        Map<String, Double> scores = new TreeMap<>();
        for (RunResult r : new Runner(builder.build()).run()) {
            String label = r.getParams().getBenchmark();
            scores.put(label.substring(label.lastIndexOf('.') + 1) + "@" + r.getParams().getParam("dataBytes"),
                    r.getPrimaryResult().getScore());
        }
        System.out.println();
        System.out.println("Omnibus / raw kafka-clients (events/s, same run, same broker):");
        for (String op : new String[] {"publish", "consume"}) {
            for (String size : new String[] {"100", "1000"}) {
                Double raw = scores.get(op + "Raw@" + size);
                Double omnibus = scores.get(op + "Omnibus@" + size);
                if (raw != null && omnibus != null) {
                    System.out.printf("  %-8s %5s B  raw %,12.0f  omnibus %,12.0f  ratio %.3f%n", op, size, raw,
                            omnibus, omnibus / raw);
                }
            }
        }
    }
}
