package dev.omnibus.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Not thread-safe (a command-line entry point): end-to-end publish→handler latency, Omnibus against the raw client on
 * the same broker in the same run, at fixed offered rates, coordinated-omission-safe ({@link LatencyRun}); prints the
 * p50, p90, p99, p99.9 and maximum of each and Omnibus' percentiles divided by raw's, and can write them as JSON.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.LatencyRatios [options] [backend ...]
 *   backends  memory nats jetstream redis kafka rabbitmq pubsub (default: all; memory has no raw client)
 *   --rates   offered rates, comma-separated: a number of messages/s or "half" (half the raw client's measured
 *             maximum end to end); default 10000,half. A rate above 80 % of that maximum is skipped and reported
 *   --seconds measured seconds per client and round (default 10)   --warmup  warm-up seconds before each (default 5)
 *   --rounds  rounds, raw and Omnibus taking turns to go first (default 2)   --size payload bytes (default 100)
 *   --json    a file to write the results to
 * </pre>
 * Each backend starts its own broker (never the machine's own service), both clients subscribe, each is checked to
 * get a message through, the maximum is measured with raw (at most 1,000 messages on their way), then every rate runs
 * warm-up and measurement for each client in turn. A client's histograms from all rounds are merged. Messages not
 * received within 30 s of the end of a phase count as lost and are reported.
 */
public final class LatencyRatios {
    private static final List<String> BACKENDS = List.of("memory", "nats", "jetstream", "redis", "kafka", "rabbitmq",
            "pubsub");
    private static final Duration DRAIN = Duration.ofSeconds(30);

    private LatencyRatios() {
    }

    /** One client's figures at one rate on one backend. */
    record Row(String backend, double maxRate, double rate, String client, long sent, long lost, Histogram latencies) {
        double micros(double percentile) {
            return latencies.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    /**
     * Runs the comparisons and prints them.
     *
     * @param args options and backends, see the class description
     * @throws Exception if a broker or client fails
     */
    public static void main(String[] args) throws Exception {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("LatencyRatios: " + e.getMessage());
            System.exit(2);
            return;
        }
        List<Row> rows = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (String backend : settings.backends) {
            try (LatencyBackend b = start(backend)) {
                measure(b, settings, rows, skipped);
            }
        }
        print(rows, skipped);
        if (settings.json != null) {
            Machine.write(json(settings, rows, skipped), settings.json);
            System.out.println("written to " + settings.json);
        }
    }

    private static LatencyBackend start(String backend) throws Exception {
        switch (backend) {
            case "memory":
                return LatencyBackend.open("memory", () -> { }, null,
                        () -> new OmnibusLatencyClient("mem://latency?instrumentation=none", "latomnibus", null));
            case "nats":
                return NatsLatency.core();
            case "jetstream":
                return NatsLatency.jetStream();
            case "redis":
                return RedisLatency.start();
            case "kafka":
                return KafkaLatency.start();
            case "rabbitmq":
                return RabbitLatency.start();
            case "pubsub":
                return PubSubLatency.start();
            default:
                throw new IllegalArgumentException("unknown backend " + backend + "; known: " + BACKENDS);
        }
    }

    private static void measure(LatencyBackend b, Settings s, List<Row> rows, List<String> skipped) throws Exception {
        List<LatencyClient> clients = new ArrayList<>();
        List<LatencyRun> runs = new ArrayList<>();
        for (LatencyClient c : b.raw() == null ? List.of(b.omnibus()) : List.of(b.raw(), b.omnibus())) {
            LatencyRun run = new LatencyRun(c, s.size);
            run.awaitReady(Duration.ofSeconds(60));
            clients.add(c);
            runs.add(run);
        }
        // warm both up before the maximum is taken, so that it is not a cold JVM's
        for (LatencyRun run : runs) {
            run.maxRate(Duration.ofSeconds(s.warmup), 1000);
        }
        double max = runs.get(0).maxRate(Duration.ofSeconds(5), 1000);
        System.out.printf(Locale.ROOT, "%s: %s carries at most %,.0f messages/s end to end%n", b.name(),
                clients.get(0).name(), max);
        for (String spec : s.rates) {
            double rate = spec.equals("half") ? Math.floor(max / 2) : Double.parseDouble(spec);
            if (rate > 0.8 * max) {
                skipped.add(String.format(Locale.ROOT, "%s at %,.0f/s: above 80%% of the measured maximum (%,.0f/s)",
                        b.name(), rate, max));
                continue;
            }
            Histogram[] merged = new Histogram[runs.size()];
            long[] sent = new long[runs.size()];
            long[] lost = new long[runs.size()];
            for (int round = 0; round < s.rounds; round++) {
                for (int k = 0; k < runs.size(); k++) {
                    int i = (k + round) % runs.size(); // take turns to go first
                    runs.get(i).fixedRate(rate, Duration.ofSeconds(s.warmup), DRAIN);
                    LatencyRun.Phase p = runs.get(i).fixedRate(rate, Duration.ofSeconds(s.seconds), DRAIN);
                    if (merged[i] == null) {
                        merged[i] = p.latencies.copy();
                    } else {
                        merged[i].add(p.latencies);
                    }
                    sent[i] += p.sent;
                    lost[i] += p.lost();
                }
            }
            for (int i = 0; i < runs.size(); i++) {
                rows.add(new Row(b.name(), max, rate, clients.get(i).name(), sent[i], lost[i], merged[i]));
                if (clients.get(i).sendFailures() > 0) {
                    skipped.add(b.name() + " " + clients.get(i).name() + ": " + clients.get(i).sendFailures()
                            + " sends failed (their messages count as lost)");
                }
            }
        }
    }

    private static void print(List<Row> rows, List<String> skipped) {
        System.out.println();
        System.out.println("publish -> handler latency in microseconds, fixed offered rate, coordinated-omission-safe:");
        System.out.printf(Locale.ROOT, "  %-10s %9s %-8s %9s %6s %9s %9s %9s %9s %9s%n", "backend", "rate/s", "client",
                "sent", "lost", "p50", "p90", "p99", "p99.9", "max");
        Row raw = null;
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "  %-10s %,9.0f %-8s %,9d %,6d %,9.0f %,9.0f %,9.0f %,9.0f %,9.0f%n",
                    r.backend, r.rate, r.client, r.sent, r.lost, r.micros(50), r.micros(90), r.micros(99),
                    r.micros(99.9), r.latencies.getMaxValue() / 1000.0);
            if (r.client.equals("raw")) {
                raw = r;
            } else if (raw != null && raw.backend.equals(r.backend) && raw.rate == r.rate) {
                System.out.printf(Locale.ROOT, "  %-10s %9s %-8s  omnibus / raw: p50 %.2f, p99 %.2f, p99.9 %.2f%n",
                        "", "", "", r.micros(50) / raw.micros(50), r.micros(99) / raw.micros(99),
                        r.micros(99.9) / raw.micros(99.9));
            }
        }
        skipped.forEach(s -> System.out.println("  note: " + s));
    }

    private static ObjectNode json(Settings s, List<Row> rows, List<String> notes) {
        ObjectNode file = Machine.stamped();
        file.putObject("settings").put("seconds", s.seconds).put("warmup", s.warmup).put("rounds", s.rounds)
                .put("size", s.size);
        ArrayNode latency = file.putArray("latency");
        for (Row r : rows) {
            latency.addObject().put("backend", r.backend).put("client", r.client).put("rate", r.rate)
                    .put("maxRate", Math.round(r.maxRate)).put("sent", r.sent).put("lost", r.lost)
                    .put("p50us", r.micros(50)).put("p90us", r.micros(90)).put("p99us", r.micros(99))
                    .put("p999us", r.micros(99.9)).put("maxus", r.latencies.getMaxValue() / 1000.0);
        }
        ArrayNode noted = file.putArray("notes");
        notes.forEach(noted::add);
        return file;
    }

    /** The command line, checked. */
    private static final class Settings {
        final List<String> backends = new ArrayList<>();
        List<String> rates = List.of("10000", "half");
        int seconds = 10;
        int warmup = 5;
        int rounds = 2;
        int size = 100;
        Path json;

        static Settings parse(String[] args) {
            Settings s = new Settings();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (!a.startsWith("--")) {
                    if (!BACKENDS.contains(a)) {
                        throw new IllegalArgumentException("unknown backend '" + a + "'; known: " + BACKENDS);
                    }
                    s.backends.add(a);
                    continue;
                }
                if (i + 1 == args.length) {
                    throw new IllegalArgumentException(a + " needs a value");
                }
                String v = args[++i];
                switch (a) {
                    case "--rates":
                        s.rates = List.of(v.split(","));
                        for (String r : s.rates) {
                            if (!r.equals("half")) {
                                positive(a, r);
                            }
                        }
                        break;
                    case "--seconds":
                        s.seconds = count(a, v);
                        break;
                    case "--warmup":
                        s.warmup = count(a, v);
                        break;
                    case "--rounds":
                        s.rounds = count(a, v);
                        break;
                    case "--size":
                        s.size = count(a, v);
                        if (s.size < LatencyRun.HEADER_BYTES) {
                            throw new IllegalArgumentException("--size " + v + ": at least " + LatencyRun.HEADER_BYTES);
                        }
                        break;
                    case "--json":
                        s.json = Path.of(v);
                        break;
                    default:
                        throw new IllegalArgumentException("unknown option " + a + "; known: --rates --seconds "
                                + "--warmup --rounds --size --json");
                }
            }
            if (s.backends.isEmpty()) {
                s.backends.addAll(BACKENDS);
            }
            if (Set.copyOf(s.backends).size() != s.backends.size()) {
                throw new IllegalArgumentException("a backend is named twice: " + s.backends);
            }
            return s;
        }

        private static int count(String option, String value) {
            try {
                int n = Integer.parseInt(value);
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(option + " " + value + ": a whole number above 0 is expected");
        }

        private static double positive(String option, String value) {
            try {
                double d = Double.parseDouble(value);
                if (d > 0 && d < Integer.MAX_VALUE) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException(option + " " + value + ": a positive number is expected");
        }
    }
}
