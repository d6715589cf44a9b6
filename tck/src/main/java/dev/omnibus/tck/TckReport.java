package dev.omnibus.tck;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A conformance report as {@link TckReporter} writes it to {@code report.json}, read back; immutable. Has no
 * dependencies, so tools can use it with the tck jar alone.
 */
public final class TckReport {
    private static final Pattern BACKEND = Pattern.compile("\"backend\": \"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern CAPABILITIES = Pattern.compile("\"capabilities\": \\[([^]]*)]");
    private static final Pattern RULE = Pattern.compile("\\{\"id\": \"(R\\d\\d)\", \"title\": \"((?:[^\"\\\\]|\\\\.)*)\", "
            + "\"status\": \"(\\w+)\", \"tests\": (\\d+)[^}]*?\"reason\": \"((?:[^\"\\\\]|\\\\.)*)\""
            + "(?:, \"figures\": \\{([^}]*)})?}");
    private static final Pattern FIGURE = Pattern.compile("\"([A-Za-z]+)\": (-?\\d+)");
    private static final String STRING = "\"((?:[^\"\\\\]|\\\\.)*)\"";
    private static final Pattern KIT = Pattern.compile("\"kit\": \\{\"version\": " + STRING + ", \"date\": " + STRING
            + ", \"partial\": (true|false)}");
    private static final Pattern BROKER = Pattern.compile("\"broker\": \\{\"version\": " + STRING
            + ", \"settings\": \\{((?:" + STRING + ": " + STRING + "(?:, )?)*)}}");
    private static final Pattern SETTING = Pattern.compile(STRING + ": " + STRING);

    /**
     * One rule's verdict.
     *
     * @param id      the rule id, {@code R01} to {@code R25}
     * @param title   what the rule says
     * @param status  PASSED, FAILED or SKIPPED
     * @param tests   how many of its tests ran
     * @param reason  why it was skipped or failed (empty when passed cleanly)
     * @param figures what the rule measured, by name (R23's {@code duplicates} and {@code resumeMillis}); values vary
     *                from run to run, so they are measurements, not verdicts
     */
    public record Rule(String id, String title, String status, int tests, String reason, Map<String, Long> figures) {
        /** Copies {@code figures}, keeping their order by name. */
        public Rule {
            figures = Collections.unmodifiableMap(new TreeMap<>(figures));
        }
    }

    private final String backend;
    private final List<String> capabilities;
    private final List<Rule> rules;
    private final String kitVersion;
    private final String date;
    private final boolean partial;
    private final String brokerVersion;
    private final Map<String, String> brokerSettings;

    private TckReport(String backend, List<String> capabilities, List<Rule> rules, String kitVersion, String date,
                      boolean partial, String brokerVersion, Map<String, String> brokerSettings) {
        this.backend = backend;
        this.capabilities = List.copyOf(capabilities);
        this.rules = List.copyOf(rules);
        this.kitVersion = kitVersion;
        this.date = date;
        this.partial = partial;
        this.brokerVersion = brokerVersion;
        this.brokerSettings = Collections.unmodifiableMap(new TreeMap<>(brokerSettings));
    }

    /** Reads a {@code report.json}. */
    public static TckReport read(Path json) throws IOException {
        return parse(Files.readString(json, StandardCharsets.UTF_8));
    }

    /** Parses the text of a {@code report.json}; throws IllegalArgumentException when it is not one. */
    public static TckReport parse(String json) {
        Matcher b = BACKEND.matcher(json);
        Matcher c = CAPABILITIES.matcher(json);
        if (!b.find() || !c.find()) {
            throw new IllegalArgumentException("not an Omnibus TCK report: no backend or capabilities field");
        }
        List<String> caps = new ArrayList<>();
        for (String s : c.group(1).split(",")) {
            String name = s.strip().replace("\"", "");
            if (!name.isEmpty()) {
                caps.add(name);
            }
        }
        List<Rule> rules = new ArrayList<>();
        Matcher r = RULE.matcher(json);
        while (r.find()) {
            Map<String, Long> figures = new TreeMap<>();
            if (r.group(6) != null) {
                Matcher f = FIGURE.matcher(r.group(6));
                while (f.find()) {
                    figures.put(f.group(1), Long.parseLong(f.group(2)));
                }
            }
            rules.add(new Rule(r.group(1), unescape(r.group(2)), r.group(3), Integer.parseInt(r.group(4)),
                    unescape(r.group(5)), figures));
        }
        // reports written before the kit recorded these (kit 0.1 early builds) read as unknown
        Matcher k = KIT.matcher(json);
        boolean hasKit = k.find();
        Matcher br = BROKER.matcher(json);
        boolean hasBroker = br.find();
        Map<String, String> settings = new TreeMap<>();
        if (hasBroker) {
            Matcher s = SETTING.matcher(br.group(2));
            while (s.find()) {
                settings.put(unescape(s.group(1)), unescape(s.group(2)));
            }
        }
        return new TckReport(unescape(b.group(1)), caps, rules, hasKit ? unescape(k.group(1)) : "unknown",
                hasKit ? unescape(k.group(2)) : "unknown", hasKit && Boolean.parseBoolean(k.group(3)),
                hasBroker ? unescape(br.group(1)) : "unknown", settings);
    }

    /** The version of the kit that wrote it, or {@code unknown}. */
    public String kitVersion() {
        return kitVersion;
    }

    /** When it was written (an ISO-8601 instant), or {@code unknown}. */
    public String date() {
        return date;
    }

    /** Whether only some rules ran (written as {@code report-partial.json}). */
    public boolean partial() {
        return partial;
    }

    /** The broker's name and version as its harness gave it, or {@code unknown}. */
    public String brokerVersion() {
        return brokerVersion;
    }

    /** The broker settings its harness changed from the broker's defaults, by name. */
    public Map<String, String> brokerSettings() {
        return brokerSettings;
    }

    /** The backend's name. */
    public String backend() {
        return backend;
    }

    /** The capabilities it declared. */
    public List<String> capabilities() {
        return capabilities;
    }

    /** Every rule's verdict, in rule order. */
    public List<Rule> rules() {
        return rules;
    }

    /** The verdict of rule {@code id}. */
    public Rule rule(String id) {
        return rules.stream().filter(x -> x.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("report of " + backend + " has no rule " + id));
    }

    /**
     * Figures as people read them, by name: {@code duplicates 12, resume 1.4 s} (a name ending in {@code Millis} is a
     * duration, shown in seconds with one decimal).
     */
    public static String describeFigures(Map<String, Long> figures) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Long> f : new TreeMap<>(figures).entrySet()) {
            sb.append(sb.length() == 0 ? "" : ", ");
            String name = f.getKey();
            if (name.endsWith("Millis")) {
                sb.append(name, 0, name.length() - "Millis".length()).append(' ')
                        .append(String.format(Locale.ROOT, "%.1f s", f.getValue() / 1000.0));
            } else {
                sb.append(name).append(' ').append(f.getValue());
            }
        }
        return sb.toString();
    }

    private static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch != '\\' || i + 1 == s.length()) {
                out.append(ch);
                continue;
            }
            char next = s.charAt(++i);
            switch (next) {
                case 'n':
                    out.append('\n');
                    break;
                case 'r':
                    out.append('\r');
                    break;
                case 't':
                    out.append('\t');
                    break;
                case 'u':
                    out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                    break;
                default:
                    out.append(next);
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return "TckReport{" + backend + ", " + Arrays.toString(rules.stream().map(x -> x.id() + "=" + x.status())
                .toArray()) + "}";
    }
}
