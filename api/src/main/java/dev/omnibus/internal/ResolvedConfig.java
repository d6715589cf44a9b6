package dev.omnibus.internal;

import dev.omnibus.ConfigOption;
import dev.omnibus.ReconnectPolicy;
import dev.omnibus.instrument.Instrumentation;
import dev.omnibus.spi.BackendProvider;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** A validated configuration: the provider and every option's value. Immutable. */
public final class ResolvedConfig {
    final String scheme;
    final String address;
    final String redactedUrl;
    final BackendProvider provider;
    final List<Instrumentation> instrumentations;
    private final Map<ConfigOption<?>, Object> values;
    final Map<String, String> passThrough;

    ResolvedConfig(String scheme, String address, String redactedUrl, BackendProvider provider,
                   Map<ConfigOption<?>, Object> values, List<Instrumentation> instrumentations,
                   Map<String, String> passThrough) {
        this.passThrough = Collections.unmodifiableMap(new TreeMap<>(passThrough));
        this.instrumentations = instrumentations;
        this.scheme = scheme;
        this.address = address;
        this.redactedUrl = redactedUrl;
        this.provider = provider;
        this.values = Map.copyOf(values.entrySet().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
    }

    /** The value of {@code option}: its resolved value or default, {@code null} when neither. */
    public <T> T get(ConfigOption<T> option) {
        @SuppressWarnings("unchecked")
        T v = (T) values.get(option);
        return v != null ? v : option.defaultValue();
    }

    ReconnectPolicy reconnectPolicy() {
        return ReconnectPolicy.of(get(ReconnectPolicy.INITIAL), get(ReconnectPolicy.MAX),
                get(ReconnectPolicy.MULTIPLIER), get(ReconnectPolicy.JITTER));
    }

    @Override
    public String toString() {
        return "ResolvedConfig{" + redactedUrl + "}";
    }
}
