package dev.omnibus.bench;

import java.util.function.Consumer;

/**
 * One side of a latency comparison on one broker: the raw client or Omnibus, sending messages to one topic and
 * receiving them from it. Implementations are driven by {@link LatencyRun}: {@link #subscribe} once, then
 * {@link #send} from one thread only (not thread-safe for concurrent senders); the sink is called on the client's own
 * receiving thread(s).
 */
interface LatencyClient extends AutoCloseable {
    /** Label in the report, such as {@code raw} or {@code omnibus}. */
    String name();

    /**
     * Starts receiving: every message this client sends from now on (once the broker has the subscription in place)
     * reaches {@code sink} with the payload it was sent with, acknowledged the way the client's throughput benchmark
     * acknowledges.
     */
    void subscribe(Consumer<byte[]> sink) throws Exception;

    /**
     * Sends one message carrying {@code payload} (which the caller never touches again) without waiting for the
     * broker's confirmation; a confirmation that fails later is counted in {@link #sendFailures()}.
     */
    void send(byte[] payload) throws Exception;

    /** Sends whose confirmation failed so far. */
    long sendFailures();
}
