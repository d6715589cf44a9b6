package dev.omnibus.rabbitmq;

import dev.omnibus.ConfigOption;
import dev.omnibus.rabbitmq.internal.RabbitBackend;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;
import dev.omnibus.spi.TlsOptions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The RabbitMQ backend on the official {@code amqp-client} (AMQP 0-9-1), scheme {@value #SCHEME}
 * ({@link RabbitTlsBackendProvider} serves {@value #TLS_SCHEME}); stateless and thread-safe, cheap to construct
 * (found by {@link java.util.ServiceLoader}).
 *
 * <h2>URLs</h2>
 * {@code amqp://[user:password@]host[:port][/vhost][?option=value...]} (port 5672, or 5671 for {@code amqps://};
 * vhost {@code /} when the path is empty, {@code %2F} spells a {@code /} inside it), and {@code amqps://...} for TLS.
 * The userinfo ends at the last {@code @}, so a password may hold {@code / ? # @ :} as they are ({@code %XX} is
 * decoded); it goes to the client as credentials only and never appears in messages or logs. Without a userinfo
 * the client logs in as {@code guest}, which RabbitMQ accepts only from loopback by default.
 *
 * <h2>Mapping</h2>
 * At least once. Topics are routing keys on one durable topic exchange ({@value #EXCHANGE_NAME}, default
 * {@value #DEFAULT_EXCHANGE}), declared on connect; a wildcard {@code *} is the binding key's {@code *}, a final
 * {@code >} is {@code *.#} (one or more words). A group is a durable queue ({@value #QUEUE_TYPE_NAME}: classic by
 * default, or quorum) {@code <exchange>:<group>:<topic>} bound to the topic (or pattern), shared by the group's
 * members; a subscription without a group gets a durable queue of its own, {@code <exchange>::<topic>::<uuid>}, deleted when it closes and, should the client vanish, by the broker
 * once it has gone {@value #PRIVATE_EXPIRES_NAME} without a consumer (events in it are then lost). Publish is a
 * persistent {@code basic.publish} with publisher confirms, pipelined: the receipt completes on the broker's ack
 * and fails on its nack, on a return ({@value #MANDATORY_NAME}), on a lost connection (UNAVAILABLE: the outcome is
 * unknown) or on {@code publish.timeout}. Consuming is {@code basic.consume} with {@code basic.qos} prefetch =
 * maxInFlight; ack is {@code basic.ack} ({@code multiple} when a batch covers every earlier unsettled delivery);
 * nack is {@code basic.nack} with requeue; a delayed nack republishes the message (confirmed) to a per-delay retry
 * queue whose message TTL dead-letters it back to the source queue, then acks it; the attempt is counted by the
 * library on classic queues, and is a quorum queue's {@code x-delivery-count} plus the deliveries before a delayed
 * nack on quorum queues. Dead letters are published by the
 * library, then acked on the source.
 *
 * <h2>Options</h2>
 * {@value #EXCHANGE_NAME}, {@value #QUEUE_TYPE_NAME}, {@value #MAX_PAYLOAD_NAME}, {@value #STRUCTURED_NAME},
 * {@value #MAX_OUTSTANDING_NAME}, {@value #MANDATORY_NAME}, {@value #ORDERED_GROUPS_NAME}, {@value #PRIVATE_EXPIRES_NAME},
 * {@value #HEARTBEAT_NAME},
 * the TLS options {@code tls}, {@code tls.ca.file}, {@code tls.cert.file}, {@code tls.key.file}; plus the common
 * {@code publish.timeout} and {@code reconnect.*} (the client's automatic recovery waits between attempts as the
 * reconnect policy says).
 *
 * <h2>Threads</h2>
 * Each connection ({@link dev.omnibus.Omnibus}) owns the client's threads ({@code omnibus-rabbitmq-*}: its I/O
 * loop, heartbeats, consumer dispatch and recovery), stopped when it closes; each subscription adds a channel, no
 * thread, and uses the library's threads.
 */
public final class RabbitBackendProvider implements BackendProvider {
    /** The URL scheme for plain TCP. */
    public static final String SCHEME = "amqp";
    /** The URL scheme for TLS. */
    public static final String TLS_SCHEME = "amqps";

    static final String EXCHANGE_NAME = "exchange";
    static final String MAX_PAYLOAD_NAME = "max.payload.bytes";
    static final String STRUCTURED_NAME = "structured";
    static final String MAX_OUTSTANDING_NAME = "publish.max.outstanding";
    static final String MANDATORY_NAME = "publish.mandatory";
    static final String ORDERED_GROUPS_NAME = "ordered.groups";
    static final String PRIVATE_EXPIRES_NAME = "private.queue.expires";
    static final String HEARTBEAT_NAME = "heartbeat";
    static final String QUEUE_TYPE_NAME = "queue.type";

    /** The type of the queues Omnibus declares. */
    public enum QueueType {
        /**
         * Classic durable queues: persistent messages survive a restart and a {@code kill -9}; the broker counts no
         * deliveries, so the library counts attempts (in memory, lost when the subscriber restarts).
         */
        CLASSIC,
        /**
         * Quorum queues: the attempt is the broker's {@code x-delivery-count}, retry queues dead-letter at least
         * once. On RabbitMQ 3.10 a single-node quorum queue younger than a few minutes may not come back after the
         * node is killed ({@code kill -9}): its Raft member was not registered on disk yet, and no leader is elected.
         */
        QUORUM
    }

    /** Default topic exchange. */
    public static final String DEFAULT_EXCHANGE = "omnibus";
    /** Default largest event data: 1 MiB. */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
    /** Default bound of publishes awaiting their confirm. */
    public static final int DEFAULT_MAX_OUTSTANDING = 65_536;
    /** Default time a subscription's own queue outlives its last consumer. */
    public static final Duration DEFAULT_PRIVATE_EXPIRES = Duration.ofHours(1);
    /** Default AMQP heartbeat. */
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);

    /** The durable topic exchange every topic is a routing key of (default {@value #DEFAULT_EXCHANGE}). */
    public static final ConfigOption<String> EXCHANGE = ConfigOption.string(EXCHANGE_NAME, DEFAULT_EXCHANGE,
            "the durable topic exchange topics are routing keys of (declared on connect; also the prefix of the "
                    + "queues Omnibus declares)");
    /** Largest event data accepted, in bytes (1 to 128 MiB minus room for headers; default 1 MiB). */
    public static final ConfigOption<Integer> MAX_PAYLOAD = ConfigOption.integer(MAX_PAYLOAD_NAME,
            DEFAULT_MAX_PAYLOAD_BYTES, 1, 128 * 1024 * 1024 - 64 * 1024, "largest event data accepted, in bytes "
                    + "(the broker's max_message_size must allow it with the headers)");
    /** Publish in structured mode (the JSON event as the body) instead of binary mode (default false). */
    public static final ConfigOption<Boolean> STRUCTURED = ConfigOption.bool(STRUCTURED_NAME, false,
            "publish structured events (application/cloudevents+json body) instead of binary ones");
    /** Publishes awaiting their confirm beyond which publish fails with RESOURCE_EXHAUSTED (default 65,536). */
    public static final ConfigOption<Integer> MAX_OUTSTANDING = ConfigOption.integer(MAX_OUTSTANDING_NAME,
            DEFAULT_MAX_OUTSTANDING, 1, 10_000_000, "publishes awaiting their confirm beyond which publish fails "
                    + "with RESOURCE_EXHAUSTED");
    /** Fail a publish no queue is bound for (NOT_FOUND) instead of confirming it (default false). */
    public static final ConfigOption<Boolean> MANDATORY = ConfigOption.bool(MANDATORY_NAME, false,
            "publish mandatory: an event no queue is bound for (no subscription or group on its topic yet) is "
                    + "returned and its publish fails with NOT_FOUND instead of being confirmed and dropped");
    /** Give each group's queue a single active consumer, so per-key order holds across members (default false). */
    public static final ConfigOption<Boolean> ORDERED_GROUPS = ConfigOption.bool(ORDERED_GROUPS_NAME, false,
            "declare group queues with x-single-active-consumer: one member of a group consumes at a time (the "
                    + "others take over when it leaves), so events arrive in publish order; declares ORDERING");
    /** How long a subscription's own queue outlives its last consumer (x-expires; default 1 h). */
    public static final ConfigOption<Duration> PRIVATE_EXPIRES = ConfigOption.duration(PRIVATE_EXPIRES_NAME,
            DEFAULT_PRIVATE_EXPIRES, Duration.ofSeconds(10), Duration.ofDays(365), "how long the queue of a "
                    + "subscription without a group survives without a consumer (client gone, outage) before the "
                    + "broker deletes it with its events (x-expires)");
    /** The AMQP heartbeat the client asks for: a silent connection is declared dead after about twice this. */
    public static final ConfigOption<Duration> HEARTBEAT = ConfigOption.duration(HEARTBEAT_NAME, DEFAULT_HEARTBEAT,
            Duration.ofSeconds(1), Duration.ofMinutes(10), "AMQP heartbeat asked for; a connection silent for about "
                    + "twice this is declared dead and recovered");

    /** The type of the queues Omnibus declares (default classic). */
    public static final ConfigOption<QueueType> QUEUE_TYPE = ConfigOption.enumeration(QUEUE_TYPE_NAME,
            QueueType.class, QueueType.CLASSIC, "type of the queues declared for groups, subscriptions and retries: "
                    + "classic (attempts counted by the library) or quorum (attempts from x-delivery-count; see "
                    + "docs/backends/rabbitmq.md for its kill -9 caveat on young single-node queues)");

    static final List<ConfigOption<?>> OPTIONS = allOptions();

    private static List<ConfigOption<?>> allOptions() {
        List<ConfigOption<?>> all = new ArrayList<>(List.of(EXCHANGE, MAX_PAYLOAD, STRUCTURED, MAX_OUTSTANDING,
                MANDATORY, ORDERED_GROUPS, PRIVATE_EXPIRES, HEARTBEAT, QUEUE_TYPE));
        all.addAll(TlsOptions.ALL);
        return List.copyOf(all);
    }

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
        return RabbitBackend.open(context);
    }
}
