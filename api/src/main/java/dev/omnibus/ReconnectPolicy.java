package dev.omnibus;

import io.github.resilience4j.core.IntervalFunction;

import java.time.Duration;

/**
 * Jittered exponential backoff shared by every backend: to configure each native client's own reconnect and
 * for the library's own re-subscribe loops. Immutable and thread-safe.
 *
 * <p>Built on resilience4j's randomized exponential {@link IntervalFunction}: attempt {@code n} waits about
 * {@code initial * multiplier^(n-1)}, spread by ±{@code jitter} (a fraction), capped at {@code max}.
 * Options: {@code reconnect.initial} (default 100ms), {@code reconnect.max} (10s),
 * {@code reconnect.multiplier} (2.0), {@code reconnect.jitter} (0.5).
 */
public final class ReconnectPolicy {
    /** Default first delay. */
    public static final Duration DEFAULT_INITIAL = Duration.ofMillis(100);
    /** Default largest delay. */
    public static final Duration DEFAULT_MAX = Duration.ofSeconds(10);
    /** Default growth factor. */
    public static final double DEFAULT_MULTIPLIER = 2.0;
    /** Default randomization factor. */
    public static final double DEFAULT_JITTER = 0.5;

    /** Option {@code reconnect.initial}. */
    public static final ConfigOption<Duration> INITIAL = ConfigOption.duration("reconnect.initial", DEFAULT_INITIAL,
            Duration.ofMillis(1), Duration.ofMinutes(10), "first reconnect/re-subscribe delay");
    /** Option {@code reconnect.max}. */
    public static final ConfigOption<Duration> MAX = ConfigOption.duration("reconnect.max", DEFAULT_MAX,
            Duration.ofMillis(1), Duration.ofHours(1), "largest reconnect/re-subscribe delay");
    /** Option {@code reconnect.multiplier}. */
    public static final ConfigOption<Double> MULTIPLIER = ConfigOption.decimal("reconnect.multiplier",
            DEFAULT_MULTIPLIER, 1.0, 10.0, "growth factor between reconnect attempts");
    /** Option {@code reconnect.jitter}. */
    public static final ConfigOption<Double> JITTER = ConfigOption.decimal("reconnect.jitter", DEFAULT_JITTER,
            0.0, 0.99, "randomization factor applied to each delay (0 = none)");

    private final Duration initial;
    private final Duration max;
    private final double multiplier;
    private final double jitter;
    private final IntervalFunction intervals;

    private ReconnectPolicy(Duration initial, Duration max, double multiplier, double jitter) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("reconnect delays must satisfy 0 < initial <= max, were initial="
                    + initial + " max=" + max);
        }
        if (multiplier < 1.0 || jitter < 0.0 || jitter >= 1.0) {
            throw new IllegalArgumentException("reconnect multiplier must be >= 1 and jitter in [0, 1), were "
                    + multiplier + " and " + jitter);
        }
        this.initial = initial;
        this.max = max;
        this.multiplier = multiplier;
        this.jitter = jitter;
        this.intervals = IntervalFunction.ofExponentialRandomBackoff(initial, multiplier, jitter, max);
    }

    /** A policy; arguments as the class describes. */
    public static ReconnectPolicy of(Duration initial, Duration max, double multiplier, double jitter) {
        return new ReconnectPolicy(initial, max, multiplier, jitter);
    }

    /** The defaults. */
    public static ReconnectPolicy defaults() {
        return new ReconnectPolicy(DEFAULT_INITIAL, DEFAULT_MAX, DEFAULT_MULTIPLIER, DEFAULT_JITTER);
    }

    /** The delay before attempt {@code attempt} (1-based), jittered, never above {@link #max()}. */
    public Duration delay(int attempt) {
        long ms = intervals.apply(Math.max(1, attempt));
        return Duration.ofMillis(Math.min(ms, max.toMillis()));
    }

    /** The resilience4j interval function, for clients configured through resilience4j. */
    public IntervalFunction intervalFunction() {
        return intervals;
    }

    /** First delay. */
    public Duration initial() {
        return initial;
    }

    /** Largest delay. */
    public Duration max() {
        return max;
    }

    /** Growth factor. */
    public double multiplier() {
        return multiplier;
    }

    /** Randomization factor. */
    public double jitter() {
        return jitter;
    }

    @Override
    public String toString() {
        return "ReconnectPolicy{initial=" + initial + ", max=" + max + ", multiplier=" + multiplier
                + ", jitter=" + jitter + "}";
    }
}
