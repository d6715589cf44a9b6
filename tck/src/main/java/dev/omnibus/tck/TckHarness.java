package dev.omnibus.tck;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;

/**
 * What a backend gives the kit: its broker's lifecycle, a URL, raw access for foreign messages and the fault
 * hooks. Called from the kit's test threads, one call at a time; implementations need not be thread-safe.
 *
 * <p>A harness starts its own broker (a child process on a free loopback port with a temporary data dir, or
 * nothing for in-process backends) and never depends on services already running on the machine.
 */
public interface TckHarness {
    /** The backend's name as the report shows it ({@code memory}, {@code kafka}, ...). */
    String backendName();

    /** Starts the broker; called once before the kit's tests. In-process backends have nothing to start. */
    default void start() throws Exception {
    }

    /** Stops the broker and removes its data; called once after the kit's tests. */
    default void stop() throws Exception {
    }

    /** The URL (with any options the kit needs, e.g. dedup) of the running broker. */
    String url();

    /**
     * The broker's name and version as the report shows it ({@code nats-server 2.10.18}, say), asked of the broker
     * or of the binary the harness started; called once, after {@link #start()}. Default: {@code unknown}, and the
     * report says so.
     */
    default String brokerVersion() {
        return "unknown";
    }

    /**
     * The broker settings this harness changed from the broker's defaults, by name, where a verdict may depend on
     * them (a raised queue limit, a shortened rebalance delay, a lowered minimum deadline): the report lists them so
     * a verdict is read with them. Called once, after {@link #start()}. Default: none.
     */
    default Map<String, String> brokerSettings() {
        return Map.of();
    }

    /**
     * Publishes a message that is not a CloudEvent to {@code topic}, as a non-Omnibus producer would (with the
     * broker's raw client), for R15.
     */
    void injectRaw(String topic, byte[] body, Map<String, String> headers) throws Exception;

    /**
     * Why {@link #injectRaw} cannot work (the harness has no raw client for a broker it did not start, say), or
     * {@code null} when it works; the tests that inject a foreign message (in R15 and R22) are then skipped with this
     * reason. Default: {@code null}, every harness that starts its broker can inject.
     */
    default String rawUnsupportedReason() {
        return null;
    }

    /**
     * One topic token, as odd as the broker allows in a topic name a foreign producer can write to, for R22's raw
     * message on a wildcard subscription (NATS allows {@code |}, {@code %} and {@code "}; Kafka only
     * {@code [A-Za-z0-9._-]}). Default: {@code odd_-}, which every broker takes.
     */
    default String oddestTopicToken() {
        return "odd_-";
    }

    /**
     * The broker's own in-flight window per subscription where the backend cannot set it from {@code maxInFlight}
     * (MQTT 3.1.1: Mosquitto's {@code max_inflight_messages}, 20 by default), or 0 where the backend sets the broker's
     * window from {@code maxInFlight} (a prefetch, a max-ack-pending) or the broker has none. R25 spoils three
     * windows' worth of deliveries, the larger of this and its own {@code maxInFlight}: a driver that leaks a slot of
     * a 20-slot window on each failure stalls only after 20. Default: 0.
     */
    default int brokerWindow() {
        return 0;
    }

    /** The ack deadline the kit uses in deadline tests; at least the backend's minimum. */
    default Duration ackDeadline() {
        return Duration.ofSeconds(1);
    }

    /** How long the kit waits for an expected delivery before failing. */
    default Duration timeout() {
        return Duration.ofSeconds(15);
    }

    /**
     * Why R18 (connection faults) cannot run (no separate broker process, say), or {@code null} when
     * {@link #restartBroker()}, {@link #brokerAddress()} and {@link #url(InetSocketAddress)} work.
     */
    default String faultsUnsupportedReason() {
        return "the harness does not implement broker restart and connection faults";
    }

    /**
     * Why R17 and R23 (broker restarts) cannot run, or {@code null} when {@link #restartBroker()} works. Defaults to
     * {@link #faultsUnsupportedReason()}; a harness that can restart its broker but not route through a proxy (an
     * in-process broker simulating a crash) overrides only this.
     */
    default String restartUnsupportedReason() {
        return faultsUnsupportedReason();
    }

    /**
     * Kills the broker (like {@code kill -9}) and starts it again on the same port and data dir; returns once it
     * accepts connections. R23 calls it under load, twice, and expects what the broker confirmed before to survive.
     */
    default void restartBroker() throws Exception {
        throw new UnsupportedOperationException(faultsUnsupportedReason());
    }

    /** Where the broker listens, for the kit's {@link FaultProxy}. */
    default InetSocketAddress brokerAddress() {
        throw new UnsupportedOperationException(faultsUnsupportedReason());
    }

    /** The URL to reach the broker through {@code proxy} instead of directly. */
    default String url(InetSocketAddress proxy) {
        throw new UnsupportedOperationException(faultsUnsupportedReason());
    }
}
