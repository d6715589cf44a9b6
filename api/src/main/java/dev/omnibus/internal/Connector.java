package dev.omnibus.internal;

import dev.omnibus.Config;
import dev.omnibus.ConfigException;
import dev.omnibus.ConfigOption;
import dev.omnibus.Omnibus;
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
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Turns a {@link Config} into a connected {@link Omnibus}: URL parsing, backend lookup, option resolution. */
public final class Connector {
    private static final Logger log = LoggerFactory.getLogger(Connector.class);
    private static final Pattern URL = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://([^?#\\s]*)(?:\\?([^#\\s]*))?");
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
        Matcher m = URL.matcher(url.trim());
        if (!m.matches()) {
            throw new ConfigException("malformed URL '" + Redaction.url(url) + "': " + URL_SHAPE);
        }
        String scheme = m.group(1).toLowerCase(Locale.ROOT);
        String address = m.group(2);
        Map<String, BackendProvider> providers = providers();
        BackendProvider provider = providers.get(scheme);
        if (provider == null) {
            throw new ConfigException("unknown scheme '" + scheme + "' in URL '" + Redaction.url(url)
                    + "'; installed backends: " + String.join(", ", providers.keySet())
                    + " (add the module omnibus-backend-<name> to the classpath for another)");
        }
        List<String> problems = new ArrayList<>();
        Map<String, String> query = parseQuery(m.group(3), problems);

        Map<String, ConfigOption<?>> options = new TreeMap<>();
        for (ConfigOption<?> o : CommonOptions.ALL) {
            options.put(o.name(), o);
        }
        for (ConfigOption<?> o : provider.options()) {
            if (options.putIfAbsent(o.name(), o) != null) {
                throw new IllegalStateException("backend '" + scheme + "' redeclares option " + o.name());
            }
        }
        String valid = String.join(", ", options.keySet());
        query.keySet().stream().filter(k -> !options.containsKey(k)).forEach(k -> problems.add(
                "unknown option '" + k + "' in the URL query; valid options for " + scheme + ": " + valid));
        config.properties().keySet().stream().filter(k -> !options.containsKey(k)).forEach(k -> problems.add(
                "unknown option '" + k + "' in the properties; valid options for " + scheme + ": " + valid));

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
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        List<String> ignoredEnv = env.keySet().stream()
                .filter(k -> k.startsWith("OMNIBUS_") && !k.equals(Config.URL_VARIABLE))
                .filter(k -> options.values().stream().noneMatch(o -> o.environmentVariable().equals(k)))
                .sorted().collect(Collectors.toList());
        if (!ignoredEnv.isEmpty()) {
            log.debug("ignoring environment variables not known to backend {}: {}", scheme, ignoredEnv);
        }
        return new ResolvedConfig(scheme, address, Redaction.url(url), provider, values);
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
