package dev.omnibus.gcp;

import dev.omnibus.ConfigOption;
import dev.omnibus.gcp.internal.PubSubBackend;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;

import java.time.Duration;
import java.util.List;

/**
 * The Google Cloud Pub/Sub backend on google-cloud-pubsub, scheme {@value #SCHEME}; stateless and thread-safe, cheap
 * to construct (found by {@link java.util.ServiceLoader}).
 *
 * <h2>URLs</h2>
 * {@code gcppubsub://[host:port][?project=<id>&option=value...]}. Without an address the endpoint is
 * {@code PUBSUB_EMULATOR_HOST} when that variable is set (then as an emulator: plaintext, no credentials), else
 * {@value #DEFAULT_ENDPOINT}. {@value #PROJECT_NAME} is required. Credentials: {@value #EMULATOR_NAME}{@code =true}
 * for none (a plaintext channel, the Pub/Sub emulator), else the key file named by {@value #CREDENTIALS_FILE_NAME},
 * else application default credentials. Credentials never appear in messages or logs.
 *
 * <h2>Mapping</h2>
 * At least once. A topic is a Pub/Sub topic of the same id, created on demand. Publish goes through the client's
 * batching {@code Publisher} (one per topic, message ordering on: the CloudEvents {@code partitionkey} is the ordering
 * key, and a key whose publish failed is resumed with {@code resumePublish}); the receipt position is the server's
 * message id. A group is the subscription {@code <topic>-<group>} ({@value #SUBSCRIPTION_TEMPLATE_NAME}), created on
 * demand with message ordering and the ack deadline; no group gets a subscription of its own, deleted on close. Each
 * subscription member reads one streaming pull whose server-side flow control is {@code maxInFlight}. Ack is
 * {@code acknowledge}, nack {@code modifyAckDeadline 0}, {@code nack(delay)} {@code modifyAckDeadline(delay)}, a
 * running handler's deadline is pushed out with {@code modifyAckDeadline(ackDeadline)}; the attempt is the message's
 * {@code deliveryAttempt} where the subscription has a dead-letter policy, else the library's count. The library
 * dead-letters (Pub/Sub's own policy needs 5 attempts or more and adds no reason).
 *
 * <h2>Options</h2>
 * {@value #PROJECT_NAME}, {@value #EMULATOR_NAME}, {@value #CREDENTIALS_FILE_NAME}, {@value #STRUCTURED_NAME},
 * {@value #MAX_PAYLOAD_NAME}, {@value #TOPIC_RETENTION_NAME}, {@value #SUBSCRIPTION_TEMPLATE_NAME},
 * {@value #BATCH_MESSAGES_NAME}, {@value #BATCH_BYTES_NAME}, {@value #BATCH_DELAY_NAME},
 * {@value #MAX_OUTSTANDING_NAME}; plus the common {@code publish.timeout} and {@code reconnect.*}.
 *
 * <h2>Threads</h2>
 * Each connection ({@link dev.omnibus.Omnibus}) owns a small pool ({@code omnibus-gcp-*}) for the client's batching,
 * retries and stream callbacks, a thread {@code omnibus-gcp-admin} for the topic checks publishes wait on (only
 * while there are some to make), plus gRPC's transport threads, all stopped when it closes; subscriptions use the
 * library's threads.
 */
public final class PubSubBackendProvider implements BackendProvider {
    /** The URL scheme. */
    public static final String SCHEME = "gcppubsub";
    /** The endpoint used when the URL names none and {@code PUBSUB_EMULATOR_HOST} is unset. */
    public static final String DEFAULT_ENDPOINT = "pubsub.googleapis.com:443";
    /** The environment variable (or system property) naming an emulator's {@code host:port}. */
    public static final String EMULATOR_HOST_VARIABLE = "PUBSUB_EMULATOR_HOST";

    static final String PROJECT_NAME = "project";
    static final String EMULATOR_NAME = "emulator";
    static final String CREDENTIALS_FILE_NAME = "credentials.file";
    static final String STRUCTURED_NAME = "structured";
    static final String MAX_PAYLOAD_NAME = "max.payload.bytes";
    static final String TOPIC_RETENTION_NAME = "topic.retention";
    static final String SUBSCRIPTION_TEMPLATE_NAME = "subscription.template";
    static final String BATCH_MESSAGES_NAME = "publish.batch.messages";
    static final String BATCH_BYTES_NAME = "publish.batch.bytes";
    static final String BATCH_DELAY_NAME = "publish.batch.delay";
    static final String MAX_OUTSTANDING_NAME = "publish.max.outstanding";
    static final String PUBLISH_BUFFER_BYTES_NAME = "publish.buffer.bytes";
    static final String RECEIVE_BUFFER_BYTES_NAME = "receive.buffer.bytes";
    static final String PUBLISHER_IDLE_NAME = "publisher.idle";

    /** Default largest event data: 7,000,000 bytes, so that even a structured-mode fallback stays under 10 MB. */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 7_000_000;
    /** Default subscription name of a group. */
    public static final String DEFAULT_SUBSCRIPTION_TEMPLATE = "{topic}-{group}";

    /** The Google Cloud project id (required): 6 to 30 of a-z 0-9 -, starting with a letter. */
    public static final ConfigOption<String> PROJECT = ConfigOption.string(PROJECT_NAME, null,
            "the Google Cloud project id owning the topics and subscriptions (required)");
    /** Talk to an emulator: plaintext channel, no credentials (default false; true when PUBSUB_EMULATOR_HOST is used). */
    public static final ConfigOption<Boolean> EMULATOR = ConfigOption.bool(EMULATOR_NAME, false,
            "the endpoint is a Pub/Sub emulator: plaintext channel, no credentials (implied by PUBSUB_EMULATOR_HOST)");
    /** A service account key file; default: application default credentials. */
    public static final ConfigOption<String> CREDENTIALS_FILE = ConfigOption.string(CREDENTIALS_FILE_NAME, null,
            "path of a service account key file (JSON); default: application default credentials");
    /** Publish structured events (the JSON event as data) instead of binary ones (default false). */
    public static final ConfigOption<Boolean> STRUCTURED = ConfigOption.bool(STRUCTURED_NAME, false,
            "publish structured events (application/cloudevents+json as data) instead of binary ones");
    /** Largest event data accepted, in bytes. */
    public static final ConfigOption<Integer> MAX_PAYLOAD = ConfigOption.integer(MAX_PAYLOAD_NAME,
            DEFAULT_MAX_PAYLOAD_BYTES, 1024, DEFAULT_MAX_PAYLOAD_BYTES, "largest event data accepted, in bytes");
    /** Message retention of topics created on demand; above 0 it enables replay (seek) on the real service. */
    public static final ConfigOption<Duration> TOPIC_RETENTION = ConfigOption.duration(TOPIC_RETENTION_NAME,
            Duration.ZERO, Duration.ZERO, Duration.ofDays(31), "message retention of topics created on demand "
                    + "(10m to 31 days; 0 = none): needed for EARLIEST and point-in-time replay");
    /** The subscription name of a group, with {@code {topic}} and {@code {group}} placeholders. */
    public static final ConfigOption<String> SUBSCRIPTION_TEMPLATE = ConfigOption.string(SUBSCRIPTION_TEMPLATE_NAME,
            DEFAULT_SUBSCRIPTION_TEMPLATE, "the subscription id of a group; {topic} and {group} are replaced");
    /** Messages per publish batch (default 100). */
    public static final ConfigOption<Integer> BATCH_MESSAGES = ConfigOption.integer(BATCH_MESSAGES_NAME, 100, 1, 1000,
            "messages per publish request (the client's batching element count)");
    /** Bytes per publish batch (default 1,000,000). */
    public static final ConfigOption<Integer> BATCH_BYTES = ConfigOption.integer(BATCH_BYTES_NAME, 1_000_000, 1,
            9_000_000, "bytes per publish request (the client's batching request-byte threshold)");
    /** Longest a publish waits for its batch to fill (default 1ms). */
    public static final ConfigOption<Duration> BATCH_DELAY = ConfigOption.duration(BATCH_DELAY_NAME,
            Duration.ofMillis(1), Duration.ofMillis(1), Duration.ofSeconds(10), "longest a publish waits for its "
                    + "batch to fill (the client's batching delay threshold)");
    /** Publishes awaiting the server beyond which publish fails with RESOURCE_EXHAUSTED (default 10,000). */
    public static final ConfigOption<Integer> MAX_OUTSTANDING = ConfigOption.integer(MAX_OUTSTANDING_NAME, 10_000, 1,
            1_000_000, "publishes awaiting the server, per topic, beyond which publish fails with RESOURCE_EXHAUSTED");

    /** Bytes of publishes awaiting the server, all topics together, beyond which publish fails (default 64 MiB). */
    public static final ConfigOption<Integer> PUBLISH_BUFFER_BYTES = ConfigOption.integer(PUBLISH_BUFFER_BYTES_NAME,
            64 * 1024 * 1024, 16 * 1024 * 1024, Integer.MAX_VALUE, "bytes of publishes awaiting the server, all topics "
                    + "of the connection together, beyond which publish fails with RESOURCE_EXHAUSTED (bounds what an "
                    + "outage makes the client hold)");
    /** Bytes of messages a subscription's stream may hold unsettled (default 100 MiB). */
    public static final ConfigOption<Integer> RECEIVE_BUFFER_BYTES = ConfigOption.integer(RECEIVE_BUFFER_BYTES_NAME,
            100 * 1024 * 1024, 16 * 1024 * 1024, Integer.MAX_VALUE, "bytes of messages one subscription may hold "
                    + "unsettled: the server stops sending beyond it (the streaming pull's flow control, with "
                    + "maxInFlight)");
    /** How long a topic's publisher stays without publishes before it is shut down (default 5m). */
    public static final ConfigOption<Duration> PUBLISHER_IDLE = ConfigOption.duration(PUBLISHER_IDLE_NAME,
            Duration.ofMinutes(5), Duration.ofMillis(100), Duration.ofDays(1), "how long a topic's publisher (its "
                    + "batching and flow control) is kept without publishes before it is shut down; the next publish "
                    + "makes a new one");

    static final List<ConfigOption<?>> OPTIONS = List.of(PROJECT, EMULATOR, CREDENTIALS_FILE, STRUCTURED,
            MAX_PAYLOAD, TOPIC_RETENTION, SUBSCRIPTION_TEMPLATE, BATCH_MESSAGES, BATCH_BYTES, BATCH_DELAY,
            MAX_OUTSTANDING, PUBLISH_BUFFER_BYTES, RECEIVE_BUFFER_BYTES, PUBLISHER_IDLE);

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
        return PubSubBackend.open(context);
    }
}
