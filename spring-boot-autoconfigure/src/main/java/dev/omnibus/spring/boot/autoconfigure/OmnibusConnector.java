package dev.omnibus.spring.boot.autoconfigure;

import dev.omnibus.Config;
import dev.omnibus.ConfigException;
import dev.omnibus.Omnibus;
import dev.omnibus.spring.OmnibusConfigCustomizer;
import dev.omnibus.spring.OmnibusConnections;

import java.util.List;
import java.util.Map;

/** Opens one connection from its properties and the customizers. Stateless. */
final class OmnibusConnector {
    private OmnibusConnector() {
    }

    /**
     * Connects {@code name} (empty: the primary connection) to {@code url} with {@code options}.
     *
     * @throws ConfigException if no URL is set (naming the property to set), or as {@link Omnibus#connect(Config)}
     */
    static Omnibus connect(String name, String url, Map<String, String> options,
                           List<OmnibusConfigCustomizer> customizers) {
        String property = name.equals(OmnibusConnections.PRIMARY) ? "omnibus.url" : "omnibus.connections." + name + ".url";
        Config.Builder builder = Config.builder().properties(options);
        if (url != null && !url.isBlank()) {
            builder.url(url.trim());
        } else if (!name.equals(OmnibusConnections.PRIMARY)) {
            throw new ConfigException(property + " is not set: give the URL of connection '" + name + "'");
        }
        customizers.forEach(c -> c.customize(name, builder));
        Config config = builder.build();
        if (config.url() == null) {
            throw new ConfigException(property + " is not set (nor the environment variable " + Config.URL_VARIABLE
                    + "): set it to the broker's URL, e.g. nats://localhost:4222, or mem:// for the in-process broker; "
                    + "omnibus.enabled=false turns the auto-configuration off");
        }
        return Omnibus.connect(config);
    }
}
