package dev.omnibus.jetstream;

import dev.omnibus.ConfigOption;
import dev.omnibus.jetstream.internal.JetStreamBackend;
import dev.omnibus.nats.NatsBackendProvider;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;

import java.time.Duration;
import java.util.List;

/**
 * The NATS JetStream backend on jnats, scheme {@value #SCHEME}; stateless and thread-safe, cheap to construct (found
 * by {@link java.util.ServiceLoader}).
 *
 * <h2>URLs</h2>
 * {@code jetstream://[user:password@|token@]host[:port][,host[:port]...][?option=value...]} (port 4222 by default);
 * the server must run JetStream ({@code nats-server -js}). The credentials never appear in messages or logs. A
 * publish, stream or consumer request the server's permissions deny fails with
 * {@link dev.omnibus.ErrorCode#PERMISSION_DENIED}.
 *
 * <h2>Mapping</h2>
 * At least once. A topic is a subject of a stream. The stream is the one that already captures the subject, if any
 * (its configuration is never changed); else one is created on demand per subject prefix: the first
 * {@value #STREAM_PREFIX_TOKENS_NAME} tokens of the topic (default 1, so {@code orders.created} goes to stream
 * {@code orders} with subjects {@code orders, orders.>}; 0 = one stream per topic), with {@value #STREAM_STORAGE_NAME}
 * and {@value #STREAM_MAX_AGE_NAME}. Publish is a JetStream publish in the {@link dev.omnibus.nats.NatsBinding}'s mode
 * with {@code Nats-Msg-Id} = the event id (de-duplicated within the stream's duplicate window, 2 minutes by default);
 * it completes with the PubAck and the receipt position is the stream sequence. A group is a durable pull consumer
 * ({@code <group>_<topic>}) shared by the group's members; a subscription without a group gets a durable consumer of
 * its own, deleted when it closes (and by the server after an hour without a client). The consumer is created with
 * explicit acks, {@code AckWait} = the ack deadline, the start position as deliver policy (new, all, by start time)
 * and, for a subscription of its own, {@code MaxAckPending} = maxInFlight; an existing group consumer is used as it
 * is. Ack is {@code ack}, nack {@code nak} or {@code nakWithDelay}, a long handler sends {@code inProgress}, a dead
 * letter (published by the library after maxAttempts) is {@code term}ed, the attempt is {@code numDelivered}.
 * Unsettled messages are {@code nak}ed when a subscription closes, so the group gets them at once.
 *
 * <h2>Options</h2>
 * {@value #STREAM_PREFIX_TOKENS_NAME}, {@value #STREAM_STORAGE_NAME}, {@value #STREAM_MAX_AGE_NAME},
 * {@value #MAX_OUTSTANDING_NAME}, and as for {@code nats://}: {@code max.payload.bytes}, {@code structured},
 * {@code ping.interval}, and the security options {@code creds.file}, {@code nkey.file}, {@code tls},
 * {@code tls.ca.file}, {@code tls.cert.file}, {@code tls.key.file} (see {@link NatsBackendProvider}); plus the common
 * {@code publish.timeout} and {@code reconnect.*}.
 *
 * <h2>Threads</h2>
 * Each connection ({@link dev.omnibus.Omnibus}) owns jnats' threads, stopped when it closes; subscriptions use the
 * library's threads.
 */
public final class JetStreamBackendProvider implements BackendProvider {
    /** The URL scheme. */
    public static final String SCHEME = "jetstream";

    static final String STREAM_PREFIX_TOKENS_NAME = "stream.prefix.tokens";
    static final String STREAM_STORAGE_NAME = "stream.storage";
    static final String STREAM_MAX_AGE_NAME = "stream.max.age";
    static final String MAX_OUTSTANDING_NAME = "publish.max.outstanding";

    /** Where streams Omnibus creates keep their messages. */
    public enum Storage {
        /** On disk: messages survive a server restart. */
        FILE,
        /** In memory: lost on a server restart. */
        MEMORY
    }

    /** Default bound of publishes awaiting their PubAck. */
    public static final int DEFAULT_MAX_OUTSTANDING = 65_536;

    /** Tokens of a topic naming the stream created for it (0 = the whole topic, one stream per topic; default 1). */
    public static final ConfigOption<Integer> STREAM_PREFIX_TOKENS = ConfigOption.integer(STREAM_PREFIX_TOKENS_NAME,
            1, 0, 16, "leading topic tokens naming the stream created on demand (subjects <prefix>, <prefix>.>); 0 = "
                    + "one stream per topic (no wildcard subscriptions)");
    /** Storage of streams Omnibus creates (default file). */
    public static final ConfigOption<Storage> STREAM_STORAGE = ConfigOption.enumeration(STREAM_STORAGE_NAME,
            Storage.class, Storage.FILE, "storage of streams created on demand (memory ones lose messages on a "
                    + "server restart)");
    /** Age beyond which streams Omnibus creates drop messages (0 = keep, the default). */
    public static final ConfigOption<Duration> STREAM_MAX_AGE = ConfigOption.duration(STREAM_MAX_AGE_NAME,
            Duration.ZERO, Duration.ZERO, Duration.ofDays(3650), "max age of messages in streams created on demand, "
                    + "acked or not (0 = no limit)");
    /** Publishes awaiting their PubAck beyond which publish fails with RESOURCE_EXHAUSTED (default 65,536). */
    public static final ConfigOption<Integer> MAX_OUTSTANDING = ConfigOption.integer(MAX_OUTSTANDING_NAME,
            DEFAULT_MAX_OUTSTANDING, 1, 10_000_000, "publishes awaiting their PubAck beyond which publish fails "
                    + "with RESOURCE_EXHAUSTED");

    static final List<ConfigOption<?>> OPTIONS = NatsBackendProvider.options(List.of(STREAM_PREFIX_TOKENS,
            STREAM_STORAGE, STREAM_MAX_AGE, MAX_OUTSTANDING, NatsBackendProvider.MAX_PAYLOAD,
            NatsBackendProvider.STRUCTURED, NatsBackendProvider.PING_INTERVAL));

    @Override
    public String scheme() {
        return SCHEME;
    }

    @Override
    public List<ConfigOption<?>> options() {
        return OPTIONS;
    }

    @Override
    public Backend open(BackendContext context) {
        return JetStreamBackend.open(context);
    }
}
