package dev.omnibus.tck;

import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Records each kit test's outcome under its rule id and writes the conformance report when the kit class ends:
 * {@code target/omnibus-tck/report.json} (machine) and {@code report.md} (people), or under the directory named by
 * the JUnit configuration parameter {@value #REPORT_DIR_PROPERTY} (a launcher's parameter, else the system property
 * of that name, as JUnit looks them up). A partial run (some rule ran no test at all: {@code -Dgroups=R07}, say)
 * writes {@code report-partial.json} and {@code report-partial.md} instead, so it never overwrites a whole run's
 * report. Each report records the kit's version, the date, and the broker's version and the settings its harness
 * changed ({@link TckHarness#brokerVersion()}, {@link TckHarness#brokerSettings()}). Thread-safe.
 *
 * <p>A rule is FAILED if any of its tests failed, PASSED if none failed and at least one passed, SKIPPED (with
 * the skip reasons) if every test was skipped. A FAILED rule's line in {@code report.md} ends with what to check
 * ({@link RuleCatalogue#CHECKS}).
 */
public final class TckReporter implements TestWatcher, AfterAllCallback {
    /** Configuration parameter (or system property) naming the report directory. */
    public static final String REPORT_DIR_PROPERTY = "omnibus.tck.reportDir";
    private static final Pattern RULE_ID = Pattern.compile("^(R\\d\\d)_");
    private static final Map<Class<?>, Run> RUNS = new ConcurrentHashMap<>();

    /** The report's file name, without extension, for a whole run and for a partial one. */
    public static String reportName(boolean partial) {
        return partial ? "report-partial" : "report";
    }

    /** The kit's version, read once from the kit's jar. */
    private static final String KIT_VERSION = readKitVersion();

    /** The kit's version (from the kit's jar), {@code unknown} when it cannot be read. */
    public static String kitVersion() {
        return KIT_VERSION;
    }

    private static String readKitVersion() {
        try (InputStream in = TckReporter.class.getResourceAsStream("kit.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "");
                if (!v.isBlank() && !v.contains("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // the version is information only
        }
        return "unknown";
    }

    /** Called by the kit once it knows the backend: what the report says about the backend and the broker. */
    static void describe(Class<?> kitClass, String backend, Capabilities capabilities, String brokerVersion,
                         Map<String, String> brokerSettings) {
        RUNS.computeIfAbsent(kitClass, k -> new Run()).describe(backend, capabilities, brokerVersion,
                brokerSettings);
    }

    /**
     * Records a figure a rule measured (R23's duplicate count, say) for the report: {@code name} is a lower-case
     * word, with {@code Millis} at the end for a duration. A figure recorded twice keeps the larger value (the worse
     * of two measurements), so a rule may record one per attempt.
     */
    static void figure(Class<?> kitClass, String rule, String name, long value) {
        if (!name.matches("[a-z]+(Millis)?")) {
            throw new IllegalArgumentException("figure name '" + name + "' must be a lower-case word, optionally "
                    + "ending in Millis");
        }
        RUNS.computeIfAbsent(kitClass, k -> new Run()).figure(rule, name, value);
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        record(context, Outcome.PASSED, null);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        record(context, Outcome.FAILED, String.valueOf(cause.getMessage()));
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        record(context, Outcome.SKIPPED, String.valueOf(cause.getMessage()).replaceFirst("^Assumption failed: ", ""));
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        record(context, Outcome.SKIPPED, reason.orElse("disabled"));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Class<?> type = context.getRequiredTestClass();
        if (type.isAnnotationPresent(Nested.class)) {
            return;
        }
        Run run = RUNS.remove(type);
        if (run != null) {
            run.write(reportDir(context));
        }
    }

    /** Writes the report of {@code kitClass}'s run to {@code dir} now and forgets the run (tests of the reporter). */
    static void write(Class<?> kitClass, Path dir) {
        Run run = RUNS.remove(kitClass);
        if (run != null) {
            run.write(dir);
        }
    }

    private static Path reportDir(ExtensionContext context) {
        // a configuration parameter, not only the system property: a program launching the kit (omnibus tck) names
        // its directory per run without changing the JVM's global state; JUnit falls back to the system property
        return Path.of(context.getConfigurationParameter(REPORT_DIR_PROPERTY).orElse("target/omnibus-tck"));
    }

    private static void record(ExtensionContext context, Outcome outcome, String detail) {
        String method = context.getRequiredTestMethod().getName();
        Matcher m = RULE_ID.matcher(method);
        if (!m.find()) {
            return;
        }
        Class<?> kit = context.getRequiredTestInstances().getAllInstances().get(0).getClass();
        RUNS.computeIfAbsent(kit, k -> new Run()).add(m.group(1), method, outcome, detail);
    }

    private enum Outcome { PASSED, FAILED, SKIPPED }

    private static final class RuleResult {
        int passed;
        int failed;
        int skipped;
        final Set<String> skipReasons = new LinkedHashSet<>();
        final List<String> failures = new ArrayList<>();
        final Map<String, Long> figures = new TreeMap<>();
    }

    private static final class Run {
        private String backend = "unknown";
        private Capabilities capabilities;
        private String brokerVersion = "unknown";
        private Map<String, String> brokerSettings = Map.of();
        private final Map<String, RuleResult> results = new TreeMap<>();

        synchronized void describe(String backend, Capabilities capabilities, String brokerVersion,
                                   Map<String, String> brokerSettings) {
            this.backend = backend;
            this.capabilities = capabilities;
            this.brokerVersion = brokerVersion == null || brokerVersion.isBlank() ? "unknown" : brokerVersion;
            this.brokerSettings = new TreeMap<>(brokerSettings == null ? Map.of() : brokerSettings);
        }

        synchronized void figure(String rule, String name, long value) {
            results.computeIfAbsent(rule, k -> new RuleResult()).figures.merge(name, value, Math::max);
        }

        synchronized void add(String rule, String test, Outcome outcome, String detail) {
            RuleResult r = results.computeIfAbsent(rule, k -> new RuleResult());
            switch (outcome) {
                case PASSED:
                    r.passed++;
                    break;
                case FAILED:
                    r.failed++;
                    r.failures.add(test + ": " + firstLines(detail));
                    break;
                default:
                    r.skipped++;
                    r.skipReasons.add(detail);
            }
        }

        synchronized void write(Path dir) {
            StringBuilder json = new StringBuilder();
            StringBuilder md = new StringBuilder();
            List<String> notRun = new ArrayList<>();
            for (String rule : RuleCatalogue.RULES.keySet()) {
                if (!results.containsKey(rule)) {
                    notRun.add(rule);
                }
            }
            boolean partial = !notRun.isEmpty();
            String date = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
            json.append("{\n  \"backend\": ").append(quote(backend))
                    .append(",\n  \"kit\": {\"version\": ").append(quote(kitVersion()))
                    .append(", \"date\": ").append(quote(date))
                    .append(", \"partial\": ").append(partial).append('}')
                    .append(",\n  \"broker\": {\"version\": ").append(quote(brokerVersion))
                    .append(", \"settings\": {");
            int s = 0;
            for (Map.Entry<String, String> e : brokerSettings.entrySet()) {
                json.append(s++ == 0 ? "" : ", ").append(quote(e.getKey())).append(": ").append(quote(e.getValue()));
            }
            json.append("}}");
            json.append(",\n  \"capabilities\": [");
            List<String> caps = new ArrayList<>();
            if (capabilities != null) {
                capabilities.supported().forEach(c -> caps.add(c.name()));
            }
            for (int i = 0; i < caps.size(); i++) {
                json.append(i == 0 ? "" : ", ").append(quote(caps.get(i)));
            }
            json.append("],\n  \"maxPayloadBytes\": ").append(capabilities == null ? 0 : capabilities.maxPayloadBytes());
            json.append(",\n  \"denied\": {");
            boolean first = true;
            if (capabilities != null) {
                for (Capability c : Capability.values()) {
                    if (!capabilities.has(c)) {
                        json.append(first ? "\n    " : ",\n    ").append(quote(c.name())).append(": ")
                                .append(quote(capabilities.denialReason(c)));
                        first = false;
                    }
                }
            }
            json.append(first ? "}" : "\n  }").append(",\n  \"rules\": [");
            md.append("# Omnibus TCK report: ").append(backend).append("\n\n")
                    .append("Kit ").append(kitVersion()).append(", ").append(date).append("; broker: ")
                    .append(brokerVersion);
            if (!brokerSettings.isEmpty()) {
                md.append(", with ");
                int m = 0;
                for (Map.Entry<String, String> e : brokerSettings.entrySet()) {
                    md.append(m++ == 0 ? "" : ", ").append(e.getKey()).append(" = ").append(e.getValue());
                }
            }
            md.append("\n\n");
            if (partial) {
                md.append("**Partial run**: no test ran for ").append(String.join(", ", notRun))
                        .append(" (a run of some rules only); a whole run writes report.md.\n\n");
            }
            md.append("Capabilities: ").append(String.join(", ", caps)).append("\n\n")
                    .append("| rule | title | status | tests | reason |\n| --- | --- | --- | --- | --- |\n");
            int i = 0;
            for (Map.Entry<String, String> rule : RuleCatalogue.RULES.entrySet()) {
                RuleResult r = results.getOrDefault(rule.getKey(), new RuleResult());
                String status;
                String reason;
                if (r.failed > 0) {
                    status = "FAILED";
                    reason = String.join(" | ", r.failures);
                } else if (r.passed > 0) {
                    status = "PASSED";
                    reason = r.skipped == 0 ? "" : r.skipped + " test(s) skipped: " + String.join("; ", r.skipReasons);
                } else {
                    status = "SKIPPED";
                    reason = r.skipReasons.isEmpty() ? "no test of this rule ran in this execution"
                            : String.join("; ", r.skipReasons);
                }
                int tests = r.passed + r.failed + r.skipped;
                json.append(i++ == 0 ? "\n    " : ",\n    ").append("{\"id\": ").append(quote(rule.getKey()))
                        .append(", \"title\": ").append(quote(rule.getValue()))
                        .append(", \"status\": ").append(quote(status))
                        .append(", \"tests\": ").append(tests)
                        .append(", \"passed\": ").append(r.passed)
                        .append(", \"failed\": ").append(r.failed)
                        .append(", \"skipped\": ").append(r.skipped)
                        .append(", \"reason\": ").append(quote(reason));
                if (!r.figures.isEmpty()) {
                    json.append(", \"figures\": {");
                    int f = 0;
                    for (Map.Entry<String, Long> figure : r.figures.entrySet()) {
                        json.append(f++ == 0 ? "" : ", ").append(quote(figure.getKey())).append(": ")
                                .append(figure.getValue());
                    }
                    json.append('}');
                }
                json.append("}");
                md.append("| ").append(rule.getKey()).append(" | ").append(rule.getValue()).append(" | ")
                        .append(status).append(" | ").append(tests).append(" | ")
                        .append(reason.replace("|", "\\|").replace("\n", " "))
                        .append(r.figures.isEmpty() ? "" : (reason.isEmpty() ? "" : "; ") + "figures: "
                                + TckReport.describeFigures(r.figures))
                        .append(r.failed > 0 ? "; if this fails, check: " + RuleCatalogue.CHECKS.get(rule.getKey())
                                : "")
                        .append(" |\n");
            }
            json.append("\n  ]\n}\n");
            try {
                Files.createDirectories(dir);
                Files.writeString(dir.resolve(reportName(partial) + ".json"), json, StandardCharsets.UTF_8);
                Files.writeString(dir.resolve(reportName(partial) + ".md"), md, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the TCK report to " + dir.toAbsolutePath(), e);
            }
        }
    }

    private static String firstLines(String s) {
        if (s == null) {
            return "";
        }
        String t = s.strip();
        return t.length() > 600 ? t.substring(0, 600) + "..." : t;
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : (s == null ? "" : s).toCharArray()) {
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        return sb.append('"').toString();
    }
}
