package dev.omnibus.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Not thread-safe (a command-line entry point): the instrumentation overhead as a ratio measured by interleaving.
 * {@link InstrumentationOverheadBenchmark}'s set-ups (plain, metrics, metrics+tracing) are all open at once, and
 * each round runs each of them for the same slice of time, in rotating order; the ratio instrumented / plain is
 * taken per round, and the median and quartiles over the rounds are printed. On a shared machine, where the load
 * of other processes drifts over seconds, this cancels most of the drift that separate JMH trials (minutes apart)
 * would put into the ratio; use the JMH benchmark itself for absolute figures.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.InstrumentationRatios [fanout] [rounds] [sliceMillis]
 * </pre>
 * Defaults: fan-out 1, 30 rounds, 300 ms slices (plus 10 s of warm-up), about 40 s in all.
 */
public final class InstrumentationRatios {
    private static final String[] MODES = {"plain", "metrics", "metrics+tracing"};

    private InstrumentationRatios() {
    }

    /**
     * Runs the rounds and prints the ratios.
     *
     * @param args optional fan-out, number of rounds and slice length in milliseconds
     */
    public static void main(String[] args) {
        int fanout = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        long sliceNanos = TimeUnit.MILLISECONDS.toNanos(args.length > 2 ? Long.parseLong(args[2]) : 300);
        List<InstrumentationOverheadBenchmark> setups = new ArrayList<>();
        try {
            for (String mode : MODES) {
                InstrumentationOverheadBenchmark b = new InstrumentationOverheadBenchmark();
                b.instrumentation = mode;
                b.fanout = fanout;
                b.setUp();
                setups.add(b);
            }
            long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (System.nanoTime() < warmEnd) {
                for (InstrumentationOverheadBenchmark b : setups) {
                    run(b, sliceNanos / 3);
                }
            }
            double[][] rates = new double[MODES.length][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < MODES.length; k++) {
                    int m = (r + k) % MODES.length;
                    rates[m][r] = run(setups.get(m), sliceNanos);
                }
            }
            System.out.printf("fan-out %d, %d rounds of %d ms per mode (events/s: median [quartiles])%n", fanout,
                    rounds, TimeUnit.NANOSECONDS.toMillis(sliceNanos));
            System.out.printf("  %-16s %,12.0f [%,.0f – %,.0f]%n", MODES[0], median(rates[0]), quartile(rates[0], 1),
                    quartile(rates[0], 3));
            for (int m = 1; m < MODES.length; m++) {
                double[] ratio = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    ratio[r] = rates[m][r] / rates[0][r];
                }
                System.out.printf("  %-16s %,12.0f [%,.0f – %,.0f]   ratio to plain: median %.3f [%.3f – %.3f]%n",
                        MODES[m], median(rates[m]), quartile(rates[m], 1), quartile(rates[m], 3), median(ratio),
                        quartile(ratio, 1), quartile(ratio, 3));
            }
        } finally {
            for (InstrumentationOverheadBenchmark b : setups) {
                b.tearDown();
            }
        }
    }

    /** Runs whole invocations for at least {@code nanos}; returns events per second. */
    private static double run(InstrumentationOverheadBenchmark b, long nanos) {
        long start = System.nanoTime();
        long end = start + nanos;
        long events = 0;
        long now;
        do {
            b.throughput();
            events += InstrumentationOverheadBenchmark.BATCH;
            now = System.nanoTime();
        } while (now < end);
        return events * 1e9 / (now - start);
    }

    private static double median(double[] values) {
        return quartile(values, 2);
    }

    private static double quartile(double[] values, int q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double pos = (sorted.length - 1) * q / 4.0;
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
