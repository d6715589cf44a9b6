package dev.omnibus.internal;

import dev.omnibus.Config;
import dev.omnibus.ConfigException;
import dev.omnibus.ConfigOption;
import dev.omnibus.Omnibus;
import dev.omnibus.instrument.Instrumentation;
import dev.omnibus.instrument.InstrumentationProvider;
import dev.omnibus.spi.BackendProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Turns a {@link Config} into a connected {@link Omnibus}: URL parsing, backend lookup, option resolution. */
public final class Connector {
    private static final Logger log = LoggerFactory.getLogger(Connector.class);
    private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://(.*)", Pattern.DOTALL);
    /** What follows the userinfo: hosts, port, path, then the query. */
    private static final Pattern REST = Pattern.compile("([^?#\\s]*)(?:\\?([^#\\s]*))?");
    private static final Pattern PASS_THROUGH_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    private static final String URL_SHAPE = "expected <scheme>://[address][?option=value&...], e.g. mem:// or "
            + "kafka://localhost:9092?publish.timeout=10s";

    private Connector() {
    }

    /** Validates {@code config} completely, then opens the backend. */
    public static Omnibus connect(Config config) {
        ResolvedConfig resolved = resolve(config);
        return OmnibusImpl.open(resolved);
    }

    /** Validates {@code config} and resolves every option, reporting all problems at once. */
    public static ResolvedConfig resolve(Config config) {
        if (config == null) {
            throw new ConfigException("config is null");
        }
        String url = config.url();
        if (url == null || url.isBlank()) {
            throw new ConfigException("no URL: pass one to Omnibus.connect or set " + Config.URL_VARIABLE + "; "
                    + URL_SHAPE);
        }
        // the userinfo ends at the URL's last '@', so a password may hold '/', '?', '#' or '@' raw (Redaction masks by
        // the same rule); an '@' after the host (in a query value) must be written %40
        Matcher m = SCHEME.matcher(url.trim());
        if (!m.matches()) {
            throw new ConfigException("malformed URL '" + Redaction.url(url) + "': " + URL_SHAPE);
        }
        String afterScheme = m.group(2);
        int at = afterScheme.lastIndexOf('@');
        Matcher rest = REST.matcher(afterScheme.substring(at + 1));
        if (!rest.matches()) {
            throw new ConfigException("malformed URL '" + Redaction.url(url) + "': " + URL_SHAPE
                    + " (no spaces or '#' after the host; write an '@' in a query value as %40)");
        }
        String scheme = m.group(1).toLowerCase(Locale.ROOT);
        String address = afterScheme.substring(0, at + 1) + rest.group(1);
        Map<String, BackendProvider> providers = providers();
        BackendProvider provider = providers.get(scheme);
        if (provider == null) {
            throw new ConfigException("unknown scheme '" + scheme + "' in URL '" + Redaction.url(url)
                    + "'; installed backends: " + String.join(", ", providers.keySet())
                    + " (add the module omnibus-backend-<name> to the classpath for another)");
        }
        List<String> problems = new ArrayList<>();
        Map<String, String> query = parseQuery(rest.group(2), problems);

        Map<String, ConfigOption<?>> options = new TreeMap<>();
        for (ConfigOption<?> o : CommonOptions.ALL) {
            options.put(o.name(), o);
        }
        for (ConfigOption<?> o : provider.options()) {
            if (options.putIfAbsent(o.name(), o) != null) {
                throw new IllegalStateException("backend '" + scheme + "' redeclares option " + o.name());
            }
        }
        String prefix = provider.passThroughPrefix();
        String valid = String.join(", ", options.keySet()) + (prefix == null ? "" : ", and " + prefix
                + "<client property> passed to the client as it is");
        query.keySet().stream().filter(k -> !options.containsKey(k) && !passesThrough(prefix, k)).forEach(k -> problems.add(
                "unknown option '" + k + "' in the URL query; valid options for " + scheme + ": " + valid));
        config.properties().keySet().stream().filter(k -> !options.containsKey(k) && !passesThrough(prefix, k))
                .forEach(k -> problems.add("unknown option '" + k + "' in the properties; valid options for " + scheme
                        + ": " + valid));
        Map<String, String> passThrough = passThrough(prefix, options, config, query, problems);

        Map<ConfigOption<?>, Object> values = new LinkedHashMap<>();
        Map<String, String> env = config.environment();
        for (ConfigOption<?> o : options.values()) {
            String raw;
            String source;
            if (config.properties().containsKey(o.name())) {
                raw = config.properties().get(o.name());
                source = "properties";
            } else if (query.containsKey(o.name())) {
                raw = query.get(o.name());
                source = "URL query";
            } else {
                raw = env.get(o.environmentVariable());
                source = "environment variable " + o.environmentVariable();
            }
            if (raw == null) {
                values.put(o, o.defaultValue());
                continue;
            }
            try {
                values.put(o, o.parse(raw));
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage() + " (from the " + source + ")");
            }
        }
        List<Instrumentation> instrumentations = instrumentations(config,
                (String) values.get(CommonOptions.INSTRUMENTATION), problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        List<String> ignoredEnv = env.keySet().stream()
                .filter(k -> k.startsWith("OMNIBUS_") && !k.equals(Config.URL_VARIABLE))
                .filter(k -> options.values().stream().noneMatch(o -> o.environmentVariable().equals(k)))
                .filter(k -> prefix == null || !k.startsWith(environmentPrefix(prefix)))
                .sorted().collect(Collectors.toList());
        if (!ignoredEnv.isEmpty()) {
            log.debug("ignoring environment variables not known to backend {}: {}", scheme, ignoredEnv);
        }
        return new ResolvedConfig(scheme, address, Redaction.url(url), provider, values, instrumentations,
                passThrough);
    }

    private static boolean passesThrough(String prefix, String name) {
        return prefix != null && name.startsWith(prefix);
    }

    private static String environmentPrefix(String prefix) {
        return "OMNIBUS_" + prefix.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    /**
     * The pass-through options (properties, then URL query, then environment, the first that sets a name winning),
     * with the prefix taken off. {@code OMNIBUS_KAFKA_CLIENT_RACK} is {@code kafka.client.rack}: client property names
     * are lower case and dotted, so the mapping back is unambiguous.
     */
    private static Map<String, String> passThrough(String prefix, Map<String, ConfigOption<?>> options, Config config,
                                                   Map<String, String> query, List<String> problems) {
        Map<String, String> out = new TreeMap<>();
        if (prefix == null) {
            return out;
        }
        String envPrefix = environmentPrefix(prefix);
        config.environment().forEach((k, v) -> {
            if (k.startsWith(envPrefix) && k.length() > envPrefix.length()) {
                String name = prefix + k.substring(envPrefix.length()).toLowerCase(Locale.ROOT).replace('_', '.');
                if (!options.containsKey(name)) {
                    addPassThrough(out, prefix, name, v, "environment variable " + k, problems);
                }
            }
        });
        query.forEach((k, v) -> {
            if (passesThrough(prefix, k) && !options.containsKey(k)) {
                addPassThrough(out, prefix, k, v, "URL query", problems);
            }
        });
        config.properties().forEach((k, v) -> {
            if (passesThrough(prefix, k) && !options.containsKey(k)) {
                addPassThrough(out, prefix, k, v, "properties", problems);
            }
        });
        return out;
    }

    private static void addPassThrough(Map<String, String> out, String prefix, String name, String value,
                                       String source, List<String> problems) {
        String property = name.substring(prefix.length());
        if (!PASS_THROUGH_NAME.matcher(property).matches()) {
            problems.add("option '" + name + "' (from the " + source + ") does not name a client property: expected "
                    + prefix + "<name> with a lower-case name such as " + prefix + "client.rack");
            return;
        }
        out.put(property, value);
    }

    private static final Pattern INSTRUMENTATION_NAME = Pattern.compile("[a-z0-9._-]{1,64}");

    /**
     * The instrumentations to turn on: those given in code, plus the discovered ones the option picks ({@code auto}:
     * all, {@code none}, or a comma-separated list), a code-given one replacing a discovered one of its name.
     */
    private static List<Instrumentation> instrumentations(Config config, String option, List<String> problems) {
        Map<String, Instrumentation> given = new LinkedHashMap<>();
        for (Instrumentation i : config.instrumentations()) {
            String name = i.name();
            if (name == null || !INSTRUMENTATION_NAME.matcher(name).matches()) {
                problems.add("instrumentation " + i.getClass().getName() + " has the name '" + name
                        + "'; a name is 1 to 64 characters of a-z 0-9 . _ -");
            } else if (given.putIfAbsent(name, i) != null) {
                problems.add("instrumentation '" + name + "' is given twice in code; give each once");
            }
        }
        String picked = option == null ? "auto" : option.trim();
        Map<String, InstrumentationProvider> found = instrumentationProviders();
        List<String> names;
        if (picked.equals("auto")) {
            names = new ArrayList<>(found.keySet());
        } else if (picked.equals("none") || picked.isEmpty()) {
            names = List.of();
        } else {
            names = new ArrayList<>();
            for (String n : picked.split(",")) {
                String name = n.trim();
                if (!found.containsKey(name) && !given.containsKey(name)) {
                    problems.add("option instrumentation: unknown instrumentation '" + name + "'; found on the "
                            + "classpath: " + (found.isEmpty() ? "none" : String.join(", ", found.keySet()))
                            + (given.isEmpty() ? "" : "; given in code: " + String.join(", ", given.keySet()))
                            + " (or use auto or none; add omnibus-micrometer or omnibus-opentelemetry for those)");
                } else if (!names.contains(name)) {
                    names.add(name);
                }
            }
        }
        List<Instrumentation> out = new ArrayList<>(given.values());
        for (String name : names) {
            if (given.containsKey(name) || !found.containsKey(name)) {
                continue;
            }
            InstrumentationProvider p = found.get(name);
            try {
                out.add(Objects.requireNonNull(p.create(), "create() returned null"));
            } catch (RuntimeException | LinkageError e) {
                problems.add("instrumentation '" + name + "' (" + p.getClass().getName() + ") could not be created: "
                        + e + "; set instrumentation=none, or list the others, to go without it");
            }
        }
        return List.copyOf(out);
    }

    /** The instrumentations found on the classpath, by name. */
    static Map<String, InstrumentationProvider> instrumentationProviders() {
        Map<String, InstrumentationProvider> byName = new TreeMap<>();
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        for (InstrumentationProvider p : ServiceLoader.load(InstrumentationProvider.class,
                cl != null ? cl : Connector.class.getClassLoader())) {
            InstrumentationProvider previous = byName.putIfAbsent(p.name(), p);
            if (previous != null && previous.getClass() != p.getClass()) {
                throw new ConfigException("two instrumentations are named '" + p.name() + "': "
                        + previous.getClass().getName() + " and " + p.getClass().getName()
                        + "; keep only one on the classpath");
            }
        }
        return byName;
    }

    /** The installed backends by scheme; fails fast when two claim one scheme. */
    static Map<String, BackendProvider> providers() {
        Map<String, BackendProvider> byScheme = new TreeMap<>();
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, cl != null ? cl : Connector.class.getClassLoader())) {
            BackendProvider previous = byScheme.putIfAbsent(p.scheme(), p);
            if (previous != null && previous.getClass() != p.getClass()) {
                throw new ConfigException("two backends claim the scheme '" + p.scheme() + "': "
                        + previous.getClass().getName() + " and " + p.getClass().getName()
                        + "; keep only one on the classpath");
            }
        }
        return byScheme;
    }

    private static Map<String, String> parseQuery(String query, List<String> problems) {
        Map<String, String> out = new LinkedHashMap<>();
        if (query == null || query.isEmpty()) {
            return out;
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key;
            String value;
            try {
                key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                problems.add("URL query parameter '" + (eq < 0 ? pair : pair.substring(0, eq))
                        + "' is not properly percent-encoded");
                continue;
            }
            if (eq < 0) {
                problems.add("URL query parameter '" + key + "' has no value; write " + key + "=<value>");
            } else if (out.put(key, value) != null) {
                problems.add("URL query parameter '" + key + "' is given twice");
            }
        }
        return out;
    }
}
