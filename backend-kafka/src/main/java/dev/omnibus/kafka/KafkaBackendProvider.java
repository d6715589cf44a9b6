package dev.omnibus.kafka;

import dev.omnibus.ConfigOption;
import dev.omnibus.kafka.internal.KafkaBackend;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;
import dev.omnibus.spi.TlsOptions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The Apache Kafka backend on kafka-clients, scheme {@value #SCHEME}; stateless and thread-safe, cheap to
 * construct (found by {@link java.util.ServiceLoader}).
 *
 * <h2>URLs</h2>
 * {@code kafka://[user:password@]host[:port][,host[:port]...][?option=value...]}: the bootstrap servers (port 9092
 * when omitted). The userinfo ends at the last {@code @}, so a password may hold {@code / ? @ : % +} raw.
 *
 * <h2>Security</h2>
 * A user and password switch SASL on ({@value #SASL_MECHANISM_NAME}: {@code PLAIN}, the default,
 * {@code SCRAM-SHA-256} or {@code SCRAM-SHA-512}) over {@code SASL_SSL} unless {@value #SECURITY_PROTOCOL_NAME} says
 * {@code SASL_PLAINTEXT}; the password never appears in messages, logs or {@code toString}. The TLS options of
 * {@link dev.omnibus.spi.TlsOptions} ({@code tls}, {@code tls.ca.file}, {@code tls.cert.file}, {@code tls.key.file})
 * become Kafka's PEM {@code ssl.*} settings (any of them means {@code SSL}, or {@code SASL_SSL} with credentials);
 * the server's host name is always verified. Any other client property is passed through as
 * {@code kafka.<property>} (e.g. {@code kafka.sasl.jaas.config} for OAUTHBEARER), except those Omnibus manages,
 * which are refused with a {@link dev.omnibus.ConfigException} naming the option to use. A broker refusing the
 * credentials or the client certificate, or a server certificate not trusted, fail with
 * {@link dev.omnibus.ErrorCode#UNAUTHENTICATED}; an ACL denial with {@link dev.omnibus.ErrorCode#PERMISSION_DENIED}
 * (the publish's own stage, or the subscription's end); neither is retried.
 *
 * <h2>Mapping</h2>
 * A topic is a Kafka topic, created on demand through the Admin client with {@value #PARTITIONS_NAME} partitions
 * and {@value #REPLICATION_NAME} replicas (an existing topic is never altered). Events use the official CloudEvents
 * Kafka binding ({@code cloudevents-kafka}): binary mode with {@code ce_<name>} headers and {@code content-type}, or
 * structured mode with {@value #STRUCTURED_NAME}{@code =true}. Publish is an idempotent {@code acks=all} send;
 * the CloudEvents {@code partitionkey} becomes the record key; the receipt position is {@code partition:offset}. A
 * group is a consumer group ({@code group.id}); a subscription without one gets a unique group that never commits.
 * Ack commits, per partition, only the contiguous prefix of acked offsets; nack seeks back to the nacked offset
 * when its delay is over, holding back later events of the same record key meanwhile; the attempt count is kept in
 * memory per offset (it starts again at 1 when the consumer restarts). Wildcards are translated to a regex
 * subscription.
 *
 * <h2>Options</h2>
 * {@value #PARTITIONS_NAME}, {@value #REPLICATION_NAME}, {@value #MAX_PAYLOAD_NAME}, {@value #LINGER_NAME},
 * {@value #BATCH_SIZE_NAME}, {@value #STRUCTURED_NAME}, {@value #CLIENT_ID_NAME}, {@value #SECURITY_PROTOCOL_NAME},
 * {@value #SASL_MECHANISM_NAME}, {@value #MAX_POLL_INTERVAL_NAME}, the TLS options and {@code kafka.<property>};
 * plus the common {@code publish.timeout} and {@code reconnect.*}.
 *
 * <h2>Threads</h2>
 * Each connection ({@link dev.omnibus.Omnibus}) owns the producer's I/O thread and the Admin client's thread
 * ({@code kafka-producer-network-thread | <client.id>}, {@code kafka-admin-client-thread | <client.id>}); each
 * subscription adds one consumer thread ({@code omnibus-kafka-poll-<topic>}) that owns its KafkaConsumer. All stop
 * when their owner closes.
 */
public final class KafkaBackendProvider implements BackendProvider {
    /** The URL scheme. */
    public static final String SCHEME = "kafka";

    static final String PARTITIONS_NAME = "partitions";
    static final String REPLICATION_NAME = "replication.factor";
    static final String MAX_PAYLOAD_NAME = "max.payload.bytes";
    static final String LINGER_NAME = "linger";
    static final String BATCH_SIZE_NAME = "batch.size";
    static final String STRUCTURED_NAME = "structured";
    static final String CLIENT_ID_NAME = "client.id";
    static final String SECURITY_PROTOCOL_NAME = "security.protocol";
    static final String SASL_MECHANISM_NAME = "sasl.mechanism";
    static final String MAX_POLL_INTERVAL_NAME = "max.poll.interval";

    /** Default largest event data: 1,000,000 bytes (Kafka's default record limit less room for headers). */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1_000_000;
    /** Default producer linger: 5 ms. */
    public static final Duration DEFAULT_LINGER = Duration.ofMillis(5);
    /** Default producer batch size per partition: 64 KiB. */
    public static final int DEFAULT_BATCH_SIZE = 64 * 1024;

    /** Partitions of topics created on demand (default 1). */
    public static final ConfigOption<Integer> PARTITIONS = ConfigOption.integer(PARTITIONS_NAME, 1, 1, 100_000,
            "partitions of a topic the library creates (an existing topic is never altered)");
    /** Replicas of topics created on demand (0, the default: the broker's default.replication.factor). */
    public static final ConfigOption<Integer> REPLICATION = ConfigOption.integer(REPLICATION_NAME, 0, 0,
            Short.MAX_VALUE, "replicas of a topic the library creates (0 = the broker's default.replication.factor)");
    /** Largest event data accepted, in bytes (1 to 64 MiB; default 1,000,000). */
    public static final ConfigOption<Integer> MAX_PAYLOAD = ConfigOption.integer(MAX_PAYLOAD_NAME,
            DEFAULT_MAX_PAYLOAD_BYTES, 1, 64 * 1024 * 1024, "largest event data accepted, in bytes; topics the "
                    + "library creates get max.message.bytes = this + 64 KiB for headers");
    /** Producer {@code linger.ms} (default 5 ms). */
    public static final ConfigOption<Duration> LINGER = ConfigOption.duration(LINGER_NAME, DEFAULT_LINGER,
            Duration.ZERO, Duration.ofSeconds(1), "how long the producer waits to fill a batch (linger.ms)");
    /** Producer {@code batch.size} in bytes (default 64 KiB). */
    public static final ConfigOption<Integer> BATCH_SIZE = ConfigOption.integer(BATCH_SIZE_NAME, DEFAULT_BATCH_SIZE,
            0, 64 * 1024 * 1024, "producer batch size per partition in bytes (batch.size)");
    /** Publish structured events ({@code application/cloudevents+json} value) instead of binary ones. */
    public static final ConfigOption<Boolean> STRUCTURED = ConfigOption.bool(STRUCTURED_NAME, false,
            "publish structured events (the JSON event as the record value) instead of binary ones (ce_ headers)");
    /** The clients' {@code client.id} prefix (default {@code omnibus}). */
    public static final ConfigOption<String> CLIENT_ID = ConfigOption.string(CLIENT_ID_NAME, "omnibus",
            "client.id prefix of the producer, admin and consumers (the broker's quotas and logs see it)");
    /**
     * {@code security.protocol}: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (default: SASL_SSL with credentials,
     * else SSL with a TLS option, else PLAINTEXT). Credentials travel unencrypted only with SASL_PLAINTEXT given here.
     */
    public static final ConfigOption<String> SECURITY_PROTOCOL = ConfigOption.string(SECURITY_PROTOCOL_NAME, null,
            "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (default SASL_SSL with user:password or "
                    + "kafka.sasl.jaas.config, else SSL with a tls option, else PLAINTEXT)");
    /**
     * {@code sasl.mechanism}: with the URL's user:password PLAIN (default), SCRAM-SHA-256 or SCRAM-SHA-512; with
     * {@code kafka.sasl.jaas.config} the mechanism that configuration is for (OAUTHBEARER, GSSAPI...).
     */
    public static final ConfigOption<String> SASL_MECHANISM = ConfigOption.string(SASL_MECHANISM_NAME, "PLAIN",
            "SASL mechanism: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 for the URL's user:password; with "
                    + "kafka.sasl.jaas.config the mechanism it is for");

    /**
     * Prefix of pass-through options: {@code kafka.<property>=value} sets the Kafka client property
     * {@code <property>} on the producer, consumers and Admin client (on those that know it; on all when none
     * does). Properties Omnibus manages are refused.
     */
    public static final String PASS_THROUGH_PREFIX = "kafka.";

    /**
     * Consumer {@code max.poll.interval.ms} (default 5 min, Kafka's): also the rebalance timeout. Each subscription
     * polls on a thread of its own whatever its handlers do, so handlers may run longer than this.
     */
    public static final ConfigOption<Duration> MAX_POLL_INTERVAL = ConfigOption.duration(MAX_POLL_INTERVAL_NAME,
            Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofHours(24), "consumer max.poll.interval.ms, also "
                    + "the rebalance timeout; handlers may run longer (the poll thread never waits for them)");

    static final List<ConfigOption<?>> OPTIONS = allOptions();

    private static List<ConfigOption<?>> allOptions() {
        List<ConfigOption<?>> all = new ArrayList<>(List.of(PARTITIONS, REPLICATION, MAX_PAYLOAD, LINGER, BATCH_SIZE,
                STRUCTURED, CLIENT_ID, SECURITY_PROTOCOL, SASL_MECHANISM, MAX_POLL_INTERVAL));
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

    /** {@value #PASS_THROUGH_PREFIX}: see {@link #PASS_THROUGH_PREFIX}. */
    @Override
    public String passThroughPrefix() {
        return PASS_THROUGH_PREFIX;
    }

    @Override
    public Backend open(BackendContext context) {
        return KafkaBackend.open(context);
    }
}
