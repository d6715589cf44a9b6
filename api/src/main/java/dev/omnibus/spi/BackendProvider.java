package dev.omnibus.spi;

import dev.omnibus.ConfigOption;

import java.util.List;

/**
 * Entry point of a backend module, found with {@link java.util.ServiceLoader} (list the implementation in
 * {@code META-INF/services/dev.omnibus.spi.BackendProvider}). Must be thread-safe and cheap to construct. Two
 * providers of one scheme on the classpath make {@code connect} fail fast.
 */
public interface BackendProvider {
    /** The URL scheme this backend serves, e.g. {@code mem}. Lower case; a public constant of the module. */
    String scheme();

    /**
     * The backend-specific options it accepts (the library adds the common ones: {@code publish.timeout} and
     * {@code reconnect.*}). Anything else in the URL query or properties is rejected as unknown.
     */
    List<ConfigOption<?>> options();

    /**
     * The prefix of options passed through to the client as they are, or {@code null} (the default) when there are
     * none: with {@code "kafka."}, {@code kafka.client.rack=r1} from any source reaches the backend as
     * {@code client.rack=r1} through {@link BackendContext#passThrough()}, and the environment variable
     * {@code OMNIBUS_KAFKA_CLIENT_RACK} sets it too. Lower case, ending with a dot.
     */
    default String passThroughPrefix() {
        return null;
    }

    /**
     * Opens a backend for a validated configuration. May connect eagerly.
     *
     * @throws dev.omnibus.OmnibusException classified (retryable or not) when the broker cannot be reached or
     *                                      the configuration is refused by it
     */
    Backend open(BackendContext context);
}
