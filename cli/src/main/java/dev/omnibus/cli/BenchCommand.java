package dev.omnibus.cli;

import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code omnibus bench}: a simple load generator for any broker; not thread-safe (one instance per command line).
 * See {@link Bench} for the threads and how each phase measures.
 *
 * <p>For each event size: a throughput phase (publish flat out with a bounded number unconfirmed while one
 * subscription consumes and acks) and a latency phase (publish at a fixed rate, end-to-end latency percentiles from
 * each event's intended send time to its receipt, in HdrHistogram). Every phase has its own topic under
 * {@code omnibus-bench.<run>}, unique per run. Prints a table, or one JSON object with {@code --json}; exits 3 when a
 * publish was not confirmed or a confirmed event did not arrive.
 */
@Command(name = "bench",
        description = {"Measures a broker: publish throughput, consume+ack throughput, and end-to-end latency "
                + "percentiles at a fixed rate (coordinated-omission corrected), for each event size.",
                "Each phase runs for --duration on its own topic, omnibus-bench.<run>.s<size>.<phase>, unique per run "
                        + "(left on the broker: the API deletes no topics). Publisher and subscriber share this "
                        + "process, so latencies use one clock."},
        footer = {"%nExamples:",
                "  omnibus bench --url mem:// --duration 3s",
                "  omnibus bench --url redis://localhost:6379 --size 100,65536 --rate 2000",
                "  omnibus bench --url-file ~/.kafka-url --size 1024 --json > bench.json"})
final class BenchCommand extends BusCommand {
    /** Largest event data a run accepts; brokers have their own, usually lower, limits (Kafka 1 MB). */
    static final int MAX_SIZE = 16 * 1024 * 1024;
    static final int MAX_RATE = 1_000_000;
    static final int MAX_IN_FLIGHT = 100_000;
    static final String TOPIC_PREFIX = "omnibus-bench";

    @Option(names = "--size", paramLabel = "BYTES", split = ",", defaultValue = "100,1024",
            description = "Event data sizes in bytes, comma-separated; each gets both phases (default: "
                    + "${DEFAULT-VALUE}).")
    private List<Integer> sizes;

    @Option(names = "--rate", paramLabel = "N", defaultValue = "1000",
            description = "Events per second of the latency phase (default: ${DEFAULT-VALUE}).")
    private int rate;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "10s",
            description = "How long each phase publishes, per size (default: ${DEFAULT-VALUE}).")
    private Duration duration;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "2s",
            description = "Unmeasured throughput run first, so that the JIT and the connection are warm "
                    + "(default: ${DEFAULT-VALUE}).")
    private Duration warmup;

    @Option(names = "--in-flight", paramLabel = "N", defaultValue = "1000",
            description = "Most publishes unconfirmed at once (default: ${DEFAULT-VALUE}).")
    private int inFlight;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "30s",
            description = "Give up when a subscription receives nothing, publishes stay unconfirmed or the last events "
                    + "stop arriving for this long (default: ${DEFAULT-VALUE}).")
    private Duration timeout;

    @Option(names = "--json", description = "Print the results as one JSON object instead of the table.")
    private boolean json;

    @Option(names = "--progress", negatable = true,
            description = "Print a progress line on stderr once a second (default: only when stderr is a terminal).")
    private Boolean progress;

    @Override
    protected int run(Omnibus bus) throws InterruptedException {
        validate();
        String run = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        String prefix = TOPIC_PREFIX + "." + run;
        boolean terminal = Progress.stderrIsTerminal();
        Progress line = new Progress(errWriter(), progress == null ? terminal : progress, terminal);
        Bench bench = new Bench(bus, new Bench.Settings(warmup, inFlight, timeout), line);
        bench.throughput("warm-up   ", prefix + ".warmup", sizes.get(0));
        bench = new Bench(bus, new Bench.Settings(duration, inFlight, timeout), line);
        List<Bench.Throughput> throughputs = new ArrayList<>();
        List<Bench.Latency> latencies = new ArrayList<>();
        for (int size : sizes) {
            String topic = prefix + ".s" + size;
            throughputs.add(bench.throughput(String.format(Locale.ROOT, "%7d B throughput", size),
                    topic + ".throughput", size));
            latencies.add(bench.latency(String.format(Locale.ROOT, "%7d B latency   ", size),
                    topic + ".latency", size, rate));
        }
        long notConfirmed = 0;
        long notReceived = 0;
        long confirmed = 0;
        for (Bench.Throughput t : throughputs) {
            notConfirmed += t.failed();
            notReceived += Math.max(0, t.confirmed() - t.received());
            confirmed += t.confirmed();
        }
        for (Bench.Latency l : latencies) {
            notConfirmed += l.failed();
            notReceived += Math.max(0, l.confirmed() - l.received());
            confirmed += l.confirmed();
        }
        boolean complete = notConfirmed == 0 && notReceived == 0;
        if (json) {
            out().println(json(bus.backend(), run, throughputs, latencies, complete));
        } else {
            table(bus.backend(), run, throughputs, latencies);
        }
        if (complete) {
            return 0;
        }
        Throwable first = bench.firstFailure();
        String why = notConfirmed + " publishes not confirmed, " + notReceived + " confirmed events not received"
                + (first == null ? "" : "; first failure: "
                        + (first instanceof OmnibusException ? first.getMessage() : first.toString()));
        return fail(confirmed == 0 ? 1 : Main.PARTIAL, why);
    }

    private void validate() {
        for (int size : sizes) {
            if (size < 1 || size > MAX_SIZE) {
                throw badInput("--size must be from 1 to " + MAX_SIZE + " bytes, was " + size, null);
            }
        }
        if (rate < 1 || rate > MAX_RATE) {
            throw badInput("--rate must be from 1 to " + MAX_RATE + " events per second, was " + rate, null);
        }
        if (inFlight < 1 || inFlight > MAX_IN_FLIGHT) {
            throw badInput("--in-flight must be from 1 to " + MAX_IN_FLIGHT + ", was " + inFlight, null);
        }
    }

    private void table(String backend, String run, List<Bench.Throughput> throughputs, List<Bench.Latency> latencies) {
        PrintWriter out = out();
        out.printf("omnibus bench on %s, run %s, %s per phase%n", backend, run, human(duration));
        out.printf("%nthroughput: publishing flat out, at most %d unconfirmed; one subscription consuming and acking%n",
                inFlight);
        out.printf("%9s %10s %7s %11s %9s %10s %5s %11s %9s%n", "size", "confirmed", "failed", "publish/s", "MB/s",
                "received", "dup", "consume/s", "MB/s");
        for (Bench.Throughput t : throughputs) {
            out.printf(Locale.ROOT, "%7d B %10d %7d %11.0f %9.2f %10d %5d %11.0f %9.2f%n", t.size(), t.confirmed(),
                    t.failed(), t.publishRate(), t.megabytes(t.publishRate()), t.received(), t.duplicates(),
                    t.consumeRate(), t.megabytes(t.consumeRate()));
        }
        out.printf("%nlatency: publish to handler at %d events/s, from the intended send time (ms)%n", rate);
        out.printf("%9s %7s %10s %8s %9s %9s %9s %9s %9s %9s%n", "size", "sent", "confirmed", "received", "p50",
                "p90", "p99", "p99.9", "max", "mean");
        for (Bench.Latency l : latencies) {
            out.printf(Locale.ROOT, "%7d B %7d %10d %8d %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f%n", l.size(), l.sent(),
                    l.confirmed(), l.received(), l.millis(50), l.millis(90), l.millis(99), l.millis(99.9),
                    l.maxMillis(), l.meanMillis());
        }
    }

    private Json json(String backend, String run, List<Bench.Throughput> throughputs, List<Bench.Latency> latencies,
                      boolean complete) {
        List<Json> results = new ArrayList<>();
        for (int i = 0; i < throughputs.size(); i++) {
            Bench.Throughput t = throughputs.get(i);
            Bench.Latency l = latencies.get(i);
            results.add(new Json().field("size", t.size())
                    .field("throughput", new Json().field("sent", t.sent()).field("confirmed", t.confirmed())
                            .field("failed", t.failed()).field("publish_seconds", t.publishSeconds())
                            .field("publish_events_per_second", t.publishRate())
                            .field("publish_mb_per_second", t.megabytes(t.publishRate()))
                            .field("received", t.received()).field("duplicates", t.duplicates())
                            .field("consume_seconds", t.consumeSeconds())
                            .field("consume_events_per_second", t.consumeRate())
                            .field("consume_mb_per_second", t.megabytes(t.consumeRate())))
                    .field("latency", new Json().field("rate", l.rate()).field("sent", l.sent())
                            .field("confirmed", l.confirmed()).field("failed", l.failed())
                            .field("received", l.received()).field("duplicates", l.duplicates())
                            .field("p50_ms", l.millis(50)).field("p90_ms", l.millis(90))
                            .field("p99_ms", l.millis(99)).field("p99_9_ms", l.millis(99.9))
                            .field("max_ms", l.maxMillis()).field("mean_ms", l.meanMillis())));
        }
        return new Json().field("backend", backend).field("run", run).field("topic_prefix", TOPIC_PREFIX + "." + run)
                .field("duration_seconds", duration.toNanos() / 1e9).field("in_flight", inFlight)
                .field("rate", rate).field("results", results).field("complete", complete);
    }
}
