package dev.omnibus;

import dev.omnibus.internal.Durations;

import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * One named, typed configuration option with its default and a description of what is allowed; immutable
 * and thread-safe. Backends declare their options with the factory methods; the library parses and
 * validates every source (URL query, properties, environment) against them and reports all problems at once.
 *
 * <p>Names are lower case, dot-separated ({@code publish.timeout}); the environment variable is
 * {@code OMNIBUS_} plus the name upper-cased with dots as underscores ({@code OMNIBUS_PUBLISH_TIMEOUT}).
 * A {@linkplain #secret() secret} option's value never appears in a message, log line or {@code toString}.
 *
 * @param <T> the parsed type
 */
public final class ConfigOption<T> {
    private final String name;
    private final T defaultValue;
    private final String allowed;
    private final String description;
    private final boolean secret;
    private final Function<String, T> parser;

    private ConfigOption(String name, T defaultValue, String allowed, String description, boolean secret,
                         Function<String, T> parser) {
        if (name == null || !name.matches("[a-z][a-z0-9]*(\\.[a-z0-9]+)*")) {
            throw new IllegalArgumentException("option name must be lower-case dot-separated tokens, was " + name);
        }
        this.name = name;
        this.defaultValue = defaultValue;
        this.allowed = allowed;
        this.description = Objects.requireNonNull(description, "description");
        this.secret = secret;
        this.parser = parser;
    }

    /**
     * A duration option: accepts {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT30S}), within
     * [min, max].
     */
    public static ConfigOption<Duration> duration(String name, Duration defaultValue, Duration min, Duration max,
                                                  String description) {
        String allowed = "a duration from " + Durations.format(min) + " to " + Durations.format(max)
                + " such as 500ms, 30s, 2m or PT30S";
        return new ConfigOption<>(name, defaultValue, allowed, description, false, raw -> {
            Duration d = Durations.parse(raw);
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw new IllegalArgumentException("out of range");
            }
            return d;
        });
    }

    /** An integer option within [min, max]. */
    public static ConfigOption<Integer> integer(String name, int defaultValue, int min, int max, String description) {
        return new ConfigOption<>(name, defaultValue, "an integer from " + min + " to " + max, description, false,
                raw -> {
                    int v = Integer.parseInt(raw.trim().replace("_", ""));
                    if (v < min || v > max) {
                        throw new IllegalArgumentException("out of range");
                    }
                    return v;
                });
    }

    /** A decimal option within [min, max]. */
    public static ConfigOption<Double> decimal(String name, double defaultValue, double min, double max,
                                               String description) {
        return new ConfigOption<>(name, defaultValue, "a number from " + min + " to " + max, description, false,
                raw -> {
                    double v = Double.parseDouble(raw.trim());
                    if (!(v >= min && v <= max)) {
                        throw new IllegalArgumentException("out of range");
                    }
                    return v;
                });
    }

    /** A boolean option: {@code true} or {@code false}. */
    public static ConfigOption<Boolean> bool(String name, boolean defaultValue, String description) {
        return new ConfigOption<>(name, defaultValue, "true or false", description, false, raw -> {
            String v = raw.trim().toLowerCase(Locale.ROOT);
            if (v.equals("true")) {
                return true;
            }
            if (v.equals("false")) {
                return false;
            }
            throw new IllegalArgumentException("not a boolean");
        });
    }

    /** A free-text option; {@code defaultValue} may be {@code null} (unset). */
    public static ConfigOption<String> string(String name, String defaultValue, String description) {
        return new ConfigOption<>(name, defaultValue, "any text", description, false, raw -> raw);
    }

    /** A secret text option (password, token, key): its value is redacted everywhere. */
    public static ConfigOption<String> secret(String name, String description) {
        return new ConfigOption<>(name, null, "any text (secret, never shown)", description, true, raw -> raw);
    }

    /** An option taking one of {@code type}'s constants, case-insensitively. */
    public static <E extends Enum<E>> ConfigOption<E> enumeration(String name, Class<E> type, E defaultValue,
                                                                  String description) {
        String allowed = "one of " + Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
        return new ConfigOption<>(name, defaultValue, allowed, description, false,
                raw -> Enum.valueOf(type, raw.trim().toUpperCase(Locale.ROOT).replace('-', '_')));
    }

    /** The option's name, as used in URL queries and properties. */
    public String name() {
        return name;
    }

    /** The environment variable that sets this option. */
    public String environmentVariable() {
        return "OMNIBUS_" + name.toUpperCase(Locale.ROOT).replace('.', '_');
    }

    /** The value used when no source sets the option; may be {@code null}. */
    public T defaultValue() {
        return defaultValue;
    }

    /** What values are allowed, in words. */
    public String allowed() {
        return allowed;
    }

    /** What the option does. */
    public String description() {
        return description;
    }

    /** Whether the value is a secret that must never be shown. */
    public boolean secret() {
        return secret;
    }

    /**
     * Parses {@code raw}.
     *
     * @throws IllegalArgumentException with a message naming the option and what is allowed (never the value
     *                                  of a secret option)
     */
    public T parse(String raw) {
        try {
            T v = parser.apply(raw);
            if (v == null) {
                throw new IllegalArgumentException("empty");
            }
            return v;
        } catch (RuntimeException e) {
            String shown = secret ? "" : " '" + raw + "'";
            throw new IllegalArgumentException("option '" + name + "' has invalid value" + shown + ": expected " + allowed);
        }
    }

    @Override
    public String toString() {
        return name + " (" + allowed + (defaultValue == null ? "" : ", default " + defaultValue) + ")";
    }
}
