package dev.omnibus;

import dev.omnibus.internal.Redaction;

import dev.omnibus.instrument.Instrumentation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where and how to connect: a URL plus optional properties; immutable and thread-safe.
 *
 * <p>Option values are resolved from three sources; the first that sets an option wins:
 * <ol>
 *   <li>{@linkplain Builder#property(String, String) properties} set in code;</li>
 *   <li>the URL query ({@code mem://?retention=1000});</li>
 *   <li>the environment: {@code OMNIBUS_<NAME>} with the option name upper-cased and dots as underscores
 *       (unless {@linkplain Builder#useEnvironment(boolean) turned off}).</li>
 * </ol>
 * When no URL is given, {@code OMNIBUS_URL} from the environment is used, then the
 * {@linkplain Builder#defaultUrl(String) default URL} if one was set. Validation happens in
 * {@link Omnibus#connect(Config)}: unknown options and bad values are reported together in one
 * {@link ConfigException}. {@code toString} redacts passwords and secret-looking values.
 */
public final class Config {
    /** The environment variable holding the URL when none is given in code. */
    public static final String URL_VARIABLE = "OMNIBUS_URL";

    private final String url;
    private final Map<String, String> properties;
    private final Map<String, String> environment;
    private final List<Instrumentation> instrumentations;

    private Config(Builder b) {
        this.properties = Collections.unmodifiableMap(new LinkedHashMap<>(b.properties));
        this.instrumentations = List.copyOf(b.instrumentations);
        this.environment = b.useEnvironment
                ? Collections.unmodifiableMap(new LinkedHashMap<>(b.environment != null ? b.environment : System.getenv()))
                : Map.of();
        String fromEnvironment = environment.get(URL_VARIABLE);
        this.url = b.url != null ? b.url : fromEnvironment != null ? fromEnvironment : b.defaultUrl;
    }

    /** A configuration from {@code url} (plus the environment). */
    public static Config of(String url) {
        return builder().url(url).build();
    }

    /** A configuration from the environment alone ({@code OMNIBUS_URL} and {@code OMNIBUS_*}). */
    public static Config fromEnvironment() {
        return builder().build();
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The URL, or {@code null} if neither code nor environment gave one. Contains secrets: do not log it. */
    public String url() {
        return url;
    }

    /** Properties set in code (values may be secrets: do not log them). */
    public Map<String, String> properties() {
        return properties;
    }

    /** Instrumentations given in code, in the order given (see {@link Builder#instrumentation}). */
    public List<Instrumentation> instrumentations() {
        return instrumentations;
    }

    /** The environment snapshot used (empty when turned off). */
    public Map<String, String> environment() {
        return environment;
    }

    @Override
    public String toString() {
        Map<String, String> shown = new LinkedHashMap<>();
        properties.forEach((k, v) -> shown.put(k, Redaction.looksSecret(k) ? Redaction.MASK : v));
        return "Config{url=" + (url == null ? "<none>" : Redaction.url(url)) + ", properties=" + shown
                + (instrumentations.isEmpty() ? "" : ", instrumentations=" + instrumentations.stream()
                .map(Instrumentation::name).toList()) + "}";
    }

    /** Builds a {@link Config}; not thread-safe. */
    public static final class Builder {
        private String url;
        private String defaultUrl;
        private final Map<String, String> properties = new LinkedHashMap<>();
        private boolean useEnvironment = true;
        private Map<String, String> environment;
        private final List<Instrumentation> instrumentations = new ArrayList<>();

        private Builder() {
        }

        /** The connection URL; its scheme picks the backend. */
        public Builder url(String url) {
            this.url = Objects.requireNonNull(url, "url");
            return this;
        }

        /** The URL to use when neither {@link #url(String)} nor {@code OMNIBUS_URL} gives one (e.g. {@code mem://}). */
        public Builder defaultUrl(String url) {
            this.defaultUrl = Objects.requireNonNull(url, "defaultUrl");
            return this;
        }

        /** Sets an option; overrides the URL query and the environment. */
        public Builder property(String name, String value) {
            properties.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value of " + name));
            return this;
        }

        /** Sets several options. */
        public Builder properties(Map<String, String> values) {
            values.forEach(this::property);
            return this;
        }

        /** Whether to read {@code OMNIBUS_URL} and {@code OMNIBUS_*} (default true). */
        public Builder useEnvironment(boolean use) {
            this.useEnvironment = use;
            return this;
        }

        /** Reads variables from {@code env} instead of the process environment (for tests and embedding). */
        public Builder environment(Map<String, String> env) {
            this.environment = Map.copyOf(env);
            this.useEnvironment = true;
            return this;
        }

        /**
         * Turns on {@code instrumentation} for the connection, e.g.
         * {@code .instrumentation(OmnibusMetrics.instrumentation(registry))}. It is on whatever the
         * {@code instrumentation} option says (that option picks among the ones found on the classpath), and it
         * replaces a discovered one of the same name. Give each name once.
         */
        public Builder instrumentation(Instrumentation instrumentation) {
            instrumentations.add(Objects.requireNonNull(instrumentation, "instrumentation"));
            return this;
        }

        /** The immutable configuration. */
        public Config build() {
            return new Config(this);
        }
    }
}
