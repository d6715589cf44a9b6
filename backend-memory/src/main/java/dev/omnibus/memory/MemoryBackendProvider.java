package dev.omnibus.memory;

import dev.omnibus.ConfigOption;
import dev.omnibus.memory.internal.MemoryBackend;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;

import java.util.List;

/**
 * The in-process reference backend, scheme {@value #SCHEME}; stateless and thread-safe (found by
 * {@link java.util.ServiceLoader}).
 *
 * <h2>URLs</h2>
 * {@code mem://[name][?option=value...]}: connections with the same {@code name} (empty = {@code default}) in
 * one JVM share one {@link MemoryBroker}, which lives while at least one of them is open: events, groups and
 * retained history vanish with the last connection (nothing is durable).
 *
 * <h2>Options</h2>
 * {@value #RETENTION_NAME} (events kept per topic for replay), {@value #DEDUP_NAME} (drop a second publish of an
 * event id), {@value #DEDUP_WINDOW_NAME} (ids remembered per topic), {@value #MAX_PAYLOAD_NAME}; plus the common
 * {@code publish.timeout} and {@code reconnect.*}. Options of the first connection to a broker name fix that
 * broker's retention and dedup settings.
 *
 * <h2>Semantics</h2>
 * At-least-once within the process; groups share a queue; nack and delayed nack requeue; the ack deadline
 * redelivers; per-key (and per-topic) publish order is kept for each subscription; wildcards {@code *} and
 * {@code >} are matched by the broker; each subscription (or group) has a bounded buffer with the overflow policy
 * BLOCK (default), DROP or DISCONNECT. Creates no threads.
 */
public final class MemoryBackendProvider implements BackendProvider {
    /** The URL scheme. */
    public static final String SCHEME = "mem";

    static final String RETENTION_NAME = "retention";
    static final String DEDUP_NAME = "dedup";
    static final String DEDUP_WINDOW_NAME = "dedup.window";
    static final String MAX_PAYLOAD_NAME = "max.payload.bytes";

    /** Events retained per topic for EARLIEST / time replay (0 to 10,000,000; default 10,000). */
    public static final ConfigOption<Integer> RETENTION = ConfigOption.integer(RETENTION_NAME, 10_000, 0, 10_000_000,
            "events retained per topic for EARLIEST / point-in-time replay; the oldest are evicted first");
    /** Whether a second publish of the same event id to a topic is dropped (default false). */
    public static final ConfigOption<Boolean> DEDUP = ConfigOption.bool(DEDUP_NAME, false,
            "drop a publish whose event id was already published to the topic (within dedup.window ids)");
    /** How many recent event ids per topic dedup remembers (1 to 10,000,000; default 100,000). */
    public static final ConfigOption<Integer> DEDUP_WINDOW = ConfigOption.integer(DEDUP_WINDOW_NAME, 100_000, 1,
            10_000_000, "recent event ids remembered per topic for dedup");
    /** Largest event data accepted, in bytes (default 1 MiB). */
    public static final ConfigOption<Integer> MAX_PAYLOAD = ConfigOption.integer(MAX_PAYLOAD_NAME, 1024 * 1024, 1,
            256 * 1024 * 1024, "largest event data accepted, in bytes");

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public List<ConfigOption<?>> options() {
        return List.of(RETENTION, DEDUP, DEDUP_WINDOW, MAX_PAYLOAD);
    }

    @Override
    public Backend open(BackendContext context) {
        return MemoryBackend.open(context);
    }
}
