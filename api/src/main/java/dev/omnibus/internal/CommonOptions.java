package dev.omnibus.internal;

import dev.omnibus.ConfigOption;
import dev.omnibus.ReconnectPolicy;

import java.time.Duration;
import java.util.List;

/** Options every backend accepts, handled by the portable layer. */
public final class CommonOptions {
    /** How long a publish may stay pending before it fails with TIMEOUT. */
    public static final ConfigOption<Duration> PUBLISH_TIMEOUT = ConfigOption.duration("publish.timeout",
            Duration.ofSeconds(30), Duration.ofMillis(1), Duration.ofHours(1),
            "how long a publish may stay pending before it fails with TIMEOUT (retryable)");

    /** Which instrumentations found on the classpath are on: {@code auto} (all), {@code none}, or a list of names. */
    public static final ConfigOption<String> INSTRUMENTATION = ConfigOption.string("instrumentation", "auto",
            "instrumentations found on the classpath to turn on: auto (all of them), none, or names separated by "
                    + "commas (e.g. micrometer,opentelemetry); those given in code are always on");

    /** All of them. */
    public static final List<ConfigOption<?>> ALL = List.of(PUBLISH_TIMEOUT, INSTRUMENTATION, ReconnectPolicy.INITIAL,
            ReconnectPolicy.MAX, ReconnectPolicy.MULTIPLIER, ReconnectPolicy.JITTER);

    private CommonOptions() {
    }
}
