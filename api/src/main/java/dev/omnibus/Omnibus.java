package dev.omnibus;

import dev.omnibus.internal.Connector;

import java.time.Duration;

/**
 * A connection to one broker, chosen by URL scheme; thread-safe and expensive: share one per application and
 * broker, and close it on shutdown. Creates one scheduler thread ({@code omnibus-<backend>-scheduler}) plus
 * whatever the backend's client creates; all stop on {@link #close()}.
 *
 * <pre>{@code
 * try (Omnibus bus = Omnibus.connect("mem://")) {
 *     bus.publisher().publish("orders.created", event).toCompletableFuture().join();
 *     Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic("orders.created").group("billing"),
 *             delivery -> bill(delivery.event()));
 * }
 * }</pre>
 *
 * <p>Backends plug in through {@link java.util.ServiceLoader} by URL scheme ({@code mem}, {@code nats},
 * {@code jetstream}, {@code kafka}, {@code redis}, {@code gcppubsub}); see {@link Config} for how options are
 * resolved.
 */
public interface Omnibus extends AutoCloseable {
    /**
     * Connects to {@code url} (options from its query and the environment).
     *
     * @throws ConfigException  on a malformed URL, unknown scheme, unknown option or bad value (all at once)
     * @throws OmnibusException if the broker cannot be reached
     */
    static Omnibus connect(String url) {
        return Connector.connect(Config.of(url));
    }

    /** Connects with {@code config}; see {@link #connect(String)}. */
    static Omnibus connect(Config config) {
        return Connector.connect(config);
    }

    /** Connects with {@code OMNIBUS_URL} and {@code OMNIBUS_*} from the environment. */
    static Omnibus connect() {
        return Connector.connect(Config.fromEnvironment());
    }

    /** The backend's name ({@code memory}, {@code kafka}, ...). */
    String backend();

    /** What the backend can do. */
    Capabilities capabilities();

    /** A new publisher handle (cheap). */
    Publisher publisher();

    /** The subscriber. */
    Subscriber subscriber();

    /** The current connection state. */
    ConnectionState connectionState();

    /** Registers {@code listener} for connection-state changes. */
    Registration onConnectionStateChange(ConnectionListener listener);

    /** Closes subscriptions (draining each up to {@code drain}), publishers and the backend. Idempotent. */
    void close(Duration drain);

    /** {@link #close(Duration)} with {@link Subscription#DEFAULT_DRAIN}. */
    @Override
    default void close() {
        close(Subscription.DEFAULT_DRAIN);
    }
}
