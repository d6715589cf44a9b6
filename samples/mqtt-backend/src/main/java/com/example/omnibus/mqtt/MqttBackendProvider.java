package com.example.omnibus.mqtt;

import dev.omnibus.ConfigOption;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;

import java.time.Duration;
import java.util.List;

/**
 * The {@code mqtt://} backend's entry point (listed in {@code META-INF/services/dev.omnibus.spi.BackendProvider}):
 * MQTT 3.1.1 at QoS 1 on Eclipse Paho. Stateless and thread-safe.
 */
public final class MqttBackendProvider implements BackendProvider {
    /** The URL scheme, {@code mqtt}. */
    public static final String SCHEME = "mqtt";

    /** Option {@code keep.alive}: how often the client pings an idle broker; two missed answers drop the connection. */
    public static final ConfigOption<Duration> KEEP_ALIVE = ConfigOption.duration("keep.alive", Duration.ofSeconds(10),
            Duration.ofSeconds(1), Duration.ofHours(1),
            "MQTT keep-alive: a connection silent for about twice this long is dropped and reconnected");

    /** Option {@code publish.window}: publishes awaiting the broker's PUBACK at once, per connection. */
    public static final ConfigOption<Integer> PUBLISH_WINDOW = ConfigOption.integer("publish.window", 10_000, 1,
            65_535, "publishes awaiting the broker's PUBACK at once; more fail with RESOURCE_EXHAUSTED (retryable)");

    /** Creates the provider; cheap, as {@link java.util.ServiceLoader} wants it. */
    public MqttBackendProvider() {
    }

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public List<ConfigOption<?>> options() {
        return List.of(KEEP_ALIVE, PUBLISH_WINDOW);
    }

    @Override
    public Backend open(BackendContext context) {
        return MqttBackend.open(context);
    }
}
