package dev.omnibus.memory;

import dev.omnibus.memory.internal.Broker;

import java.util.Map;
import java.util.Optional;

/**
 * A handle on a named in-process broker, for tests and tools; thread-safe. Obtained while a {@code mem://name}
 * connection is open.
 */
public final class MemoryBroker {
    private final Broker broker;

    private MemoryBroker(Broker broker) {
        this.broker = broker;
    }

    /**
     * The live broker called {@code name} ({@code ""} or {@code default} for {@code mem://}), if any connection holds
     * it.
     */
    public static Optional<MemoryBroker> named(String name) {
        return Broker.lookup(name).map(MemoryBroker::new);
    }

    /**
     * Puts a message that is not a CloudEvent on {@code topic}, as a foreign producer on a network broker would;
     * subscriptions receive it raw or dead-letter it, per their {@link dev.omnibus.InvalidMessagePolicy}.
     */
    public void injectRaw(String topic, byte[] body, Map<String, String> headers) {
        broker.injectRaw(topic, body, headers);
    }

    /**
     * Simulates a broker that restarted and kept its data: every event in flight (handed out, not yet settled) is
     * handed back to be delivered again, as a durable broker does with what its consumers held when it died; acks
     * and extensions of those deliveries are ignored from then on. Stored and buffered events stay. For tests of
     * what a crash does to a driver (the kit's self-test); the in-process broker itself never restarts.
     */
    public void simulateRestart() {
        broker.simulateRestart();
    }

    /** Events currently buffered, in flight or delayed across all subscriptions of this broker. */
    public long bufferedEvents() {
        return broker.bufferedEvents();
    }
}
