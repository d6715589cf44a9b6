package dev.omnibus.internal;

import dev.omnibus.ConfigOption;
import dev.omnibus.ReconnectPolicy;
import dev.omnibus.instrument.Instrumentation;
import dev.omnibus.spi.BackendProvider;
import dev.omnibus.spi.UserInfo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
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

    /**
     * {@code text} with this configuration's secrets masked: the URL's userinfo (raw and decoded password or token),
     * the values of secret options and of secret-looking pass-through options.
     */
    String scrub(String text) {
        String out = text;
        for (String secret : secrets()) {
            out = out.replace(secret, Redaction.MASK);
        }
        return out;
    }

    private List<String> secrets() {
        List<String> secrets = new ArrayList<>();
        UserInfo info = UserInfo.split(address);
        if (info.present()) {
            secrets.add(address.substring(0, address.lastIndexOf('@')));
            info.password().ifPresent(secrets::add);
            if (info.password().isEmpty()) {
                info.user().ifPresent(secrets::add);
            }
        }
        values.forEach((option, value) -> {
            if (option.secret()) {
                secrets.add(String.valueOf(value));
            }
        });
        passThrough.forEach((name, value) -> {
            if (Redaction.looksSecret(name)) {
                secrets.add(value);
            }
        });
        // longest first, so that a secret containing another is masked whole; very short ones would mask noise
        secrets.removeIf(s -> s.length() < 3);
        secrets.sort(Comparator.comparingInt(String::length).reversed());
        return secrets;
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
