package dev.omnibus.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Not thread-safe (a command-line entry point): merges the files one {@code bench/figures.sh} run wrote
 * ({@link BenchRatios}' throughput ratios, one file per benchmark class, and {@link LatencyRatios}' latencies) into
 * {@code figures.json} and draws {@code figures.svg}: Omnibus / raw throughput per backend, direction and event size
 * against the 0.95 target (whiskers: JMH's error margins carried into the ratio), what metrics and tracing leave of
 * Omnibus' throughput against the 0.9 target, and Omnibus / raw p99 latency per backend and offered rate against the
 * 1.2 target, with the date, commit and machine in the title. Each throughput bar also marks every fork's own ratio (a
 * dot per fork pair), so a reader sees how far one fork strays from the pooled figure.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.omnibus.bench.Figures &lt;output dir&gt; &lt;commit&gt; &lt;input.json&gt;...
 * </pre>
 */
public final class Figures {
    /** Throughput target: Omnibus / raw at least this. */
    static final double THROUGHPUT_TARGET = 0.95;
    /** Tracing target: Omnibus with metrics and tracing keeps at least this of its plain throughput. */
    static final double TRACING_TARGET = 0.9;
    /** Latency target: Omnibus' p99 at most this times raw's. */
    static final double LATENCY_TARGET = 1.2;

    private Figures() {
    }

    /**
     * One throughput cell: Omnibus against raw ({@code tracing} false) or traced Omnibus against plain; {@code forks}
     * the ratio of each fork pair (empty in files written before {@link BenchRatios} recorded them).
     */
    record Throughput(boolean tracing, String backend, String direction, String size, double baseline,
                      double measured, double error, List<Double> forks) {
        double ratio() {
            return measured / baseline;
        }
    }

    /** One latency cell: both clients at one rate. */
    record Latency(String backend, double rate, double rawP50, double rawP99, double omnibusP50, double omnibusP99) {
        double ratio() {
            return omnibusP99 / rawP99;
        }
    }

    /**
     * Merges and draws.
     *
     * @param args the output directory, the commit measured, then the input files
     * @throws IOException if a file cannot be read or written
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: Figures <output dir> <commit> <input.json>...");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        String commit = args[1];
        List<Throughput> throughput = new ArrayList<>();
        List<Latency> latency = new ArrayList<>();
        ObjectNode merged = Machine.JSON.createObjectNode();
        merged.put("commit", commit);
        ArrayNode sources = merged.putArray("sources");
        for (int i = 2; i < args.length; i++) {
            JsonNode file = Machine.JSON.readTree(Path.of(args[i]).toFile());
            sources.add(file);
            merged.set("machine", file.get("machine"));
            merged.put("date", file.path("date").asText());
            if (file.has("ratios")) {
                readThroughput(file, throughput);
            } else if (file.has("latency")) {
                readLatency(file, latency);
            } else {
                throw new IllegalArgumentException(args[i] + ": neither BenchRatios' nor LatencyRatios' output");
            }
        }
        Files.createDirectories(out);
        Machine.write(merged, out.resolve("figures.json"));
        Files.writeString(out.resolve("figures.svg"), svg(merged, throughput, latency), StandardCharsets.UTF_8);
        System.out.println("written to " + out.resolve("figures.json") + " and " + out.resolve("figures.svg"));
    }

    /** Adds the target cells of one of {@link BenchRatios}' files to {@code into}. */
    static void readThroughput(JsonNode file, List<Throughput> into) {
        String pattern = file.get("benchmark").asText();
        String benchmark = pattern.contains(".") ? pattern.substring(0, pattern.indexOf('.')) : pattern;
        for (JsonNode r : file.get("ratios")) {
            String op = r.get("operation").asText();
            String kind = r.get("kind").asText();
            if (!kind.equals("raw") && !kind.equals("tracing")) {
                continue; // context rows (e.g. "sdk"): printed by BenchRatios, not the README's target cells
            }
            String params = r.get("params").asText();
            String backend = switch (benchmark) {
                case "NatsBenchmark" -> op.startsWith("core") ? "NATS core" : "JetStream";
                case "RedisStreamsBenchmark" -> "Redis Streams";
                case "KafkaBenchmark" -> "Kafka";
                case "RabbitMqBenchmark" -> "RabbitMQ";
                case "PubSubBenchmark" -> "Pub/Sub (emulator)";
                default -> benchmark;
            };
            String direction = op.toLowerCase(Locale.ROOT).contains("consume") ? "consume" : "publish";
            String size = params.startsWith("dataBytes=") ? params.substring("dataBytes=".length()) + " B" : "100 B";
            double baseline = r.get("baseline").asDouble();
            double measured = r.get("measured").asDouble();
            // relative errors add in quadrature for a quotient
            double relative = Math.hypot(r.get("baselineError").asDouble() / baseline,
                    r.get("measuredError").asDouble() / measured);
            List<Double> forks = new ArrayList<>();
            r.path("forkRatios").forEach(f -> forks.add(f.asDouble()));
            into.add(new Throughput(kind.equals("tracing"), backend, direction, size, baseline,
                    measured, relative * measured / baseline, List.copyOf(forks)));
        }
    }

    /** Adds the cells of {@link LatencyRatios}' file to {@code into}: raw and Omnibus at one rate each. */
    static void readLatency(JsonNode file, List<Latency> into) {
        JsonNode raw = null;
        for (JsonNode r : file.get("latency")) {
            if (r.get("client").asText().equals("raw")) {
                raw = r;
            } else if (raw != null && raw.get("backend").equals(r.get("backend"))
                    && raw.get("rate").asDouble() == r.get("rate").asDouble()) {
                into.add(new Latency(r.get("backend").asText(), r.get("rate").asDouble(), raw.get("p50us").asDouble(),
                        raw.get("p99us").asDouble(), r.get("p50us").asDouble(), r.get("p99us").asDouble()));
            }
        }
    }

    private static String svg(JsonNode merged, List<Throughput> throughput, List<Latency> latency) {
        int row = 22;
        int labelWidth = 250;
        int barWidth = 420;
        double scale = 1.5; // the bar area spans ratios 0 .. 1.5
        int width = labelWidth + barWidth + 360;
        int height = 70 + row * (throughput.size() + latency.size()) + 100;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", width, height));
        s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        JsonNode m = merged.path("machine");
        text(s, 10, 20, "bold", "Omnibus / raw client, same broker, same run");
        text(s, 10, 38, "normal", merged.path("date").asText() + ", commit " + merged.path("commit").asText() + ", "
                + m.path("cores").asInt() + " cores, " + m.path("cpu").asText() + ", " + m.path("java").asText());
        int y = 70;
        for (boolean tracing : new boolean[] {false, true}) {
            double goal = tracing ? TRACING_TARGET : THROUGHPUT_TARGET;
            text(s, 10, y - 8, "bold", (tracing ? "Metrics + tracing / plain Omnibus (events/s)"
                    : "Throughput (events/s)") + ", target " + goal + "; whiskers: JMH error");
            int top = y;
            for (Throughput t : throughput) {
                if (t.tracing == tracing) {
                    bar(s, y, labelWidth, barWidth, scale, t.backend + " " + t.direction + " " + t.size, t.ratio(),
                            t.ratio() >= goal, t.error, t.forks, String.format(Locale.ROOT, "%.2f  (%s / %s)",
                                    t.ratio(), si(t.measured), si(t.baseline)));
                    y += row;
                }
            }
            target(s, labelWidth, barWidth, scale, goal, top, y);
            y += 40;
        }
        text(s, 10, y - 8, "bold", "Latency publish→handler, p99 Omnibus / raw, target ≤ " + LATENCY_TARGET
                + " (lower is better)");
        int top = y;
        for (Latency l : latency) {
            bar(s, y, labelWidth, barWidth, scale, String.format(Locale.ROOT, "%s at %s/s", l.backend, si(l.rate)),
                    Math.min(l.ratio(), scale), l.ratio() <= LATENCY_TARGET, 0, List.of(), String.format(Locale.ROOT,
                            "%.2f  (p99 %s / %s µs, p50 %s / %s µs)", l.ratio(), si(l.omnibusP99), si(l.rawP99),
                            si(l.omnibusP50), si(l.rawP50)));
            y += row;
        }
        target(s, labelWidth, barWidth, scale, LATENCY_TARGET, top, y);
        return s.append("</svg>\n").toString();
    }

    private static void bar(StringBuilder s, int y, int left, int width, double scale, String label, double ratio,
                            boolean met, double error, List<Double> forks, String value) {
        double w = Math.min(ratio, scale) / scale * width;
        text(s, 10, y + 14, "normal", label);
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>%n",
                left, y + 2, w, met ? "#4c9a2a" : "#e08a00"));
        if (error > 0) {
            double lo = left + Math.max(0, ratio - error) / scale * width;
            double hi = left + Math.min(scale, ratio + error) / scale * width;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>%n",
                    lo, y + 10, hi, y + 10));
        }
        for (double fork : forks) {
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%d\" r=\"2.5\" fill=\"white\" "
                    + "stroke=\"black\"/>%n", left + Math.min(fork, scale) / scale * width, y + 10));
        }
        text(s, left + width + 8, y + 14, "normal", value);
    }

    private static void target(StringBuilder s, int left, int width, double scale, double at, int top, int bottom) {
        double x = left + at / scale * width;
        s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#c00\" "
                + "stroke-dasharray=\"4 3\"/>%n", x, top, x, bottom));
        s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>%n",
                left + 1.0 / scale * width, top, left + 1.0 / scale * width, bottom));
    }

    private static void text(StringBuilder s, int x, int y, String weight, String text) {
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"%s\">%s</text>%n", x, y, weight,
                text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")));
    }

    /** 1234567 as "1.23 M", 12345 as "12.3 k", 123 as "123". */
    static String si(double v) {
        if (v >= 1e6) {
            return String.format(Locale.ROOT, "%.2f M", v / 1e6);
        }
        if (v >= 1e4) {
            return String.format(Locale.ROOT, "%.1f k", v / 1e3);
        }
        return String.format(Locale.ROOT, "%,.0f", v);
    }
}
