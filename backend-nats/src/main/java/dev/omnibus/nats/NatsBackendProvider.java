package dev.omnibus.nats;

import dev.omnibus.ConfigOption;
import dev.omnibus.nats.internal.NatsCoreBackend;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;
import dev.omnibus.spi.TlsOptions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The NATS core backend on jnats, scheme {@value #SCHEME}; stateless and thread-safe, cheap to construct (found by
 * {@link java.util.ServiceLoader}).
 *
 * <h2>URLs</h2>
 * {@code nats://[user:password@|token@]host[:port][,host[:port]...][?option=value...]} (port 4222 by default). The
 * userinfo ends at the last {@code @}, so a password may hold {@code / ? # @ : % +} raw; the credentials never appear
 * in messages or logs.
 *
 * <h2>Security</h2>
 * TLS with {@code tls=true} or any {@code tls.*.file} (host names always verified; {@code tls.ca.file} trusts a PEM
 * bundle, {@code tls.cert.file} + {@code tls.key.file} give a client certificate for mutual TLS); user and password or
 * a token in the URL, {@value #CREDS_FILE_NAME} (JWT + NKey) or {@value #NKEY_FILE_NAME} (an NKey seed). Refused
 * credentials or an untrusted server fail with {@link dev.omnibus.ErrorCode#UNAUTHENTICATED}; a publish or
 * subscription the server's permissions deny fails with {@link dev.omnibus.ErrorCode#PERMISSION_DENIED}.
 *
 * <h2>Mapping</h2>
 * At most once, and declared so. A topic is a subject; publish sends the event with the {@link NatsBinding} (binary
 * mode, or structured with {@value #STRUCTURED_NAME}{@code =true}) and completes once a flush confirms the server has
 * it; the receipt position is the connection's publish count (NATS core assigns none). A group is a queue group;
 * wildcard subscriptions are NATS' own {@code *} and {@code >}. Ack is a no-op; nack, replay, dead letters and
 * de-duplication are refused with {@link dev.omnibus.UnsupportedCapabilityException}. Per-subject order holds for one
 * publishing connection and one subscriber. Messages published while a subscriber is disconnected (a server restart,
 * a cut connection) are lost to it: that is NATS core's contract.
 *
 * <h2>Options</h2>
 * {@value #MAX_PAYLOAD_NAME}, {@value #STRUCTURED_NAME}, {@value #PING_INTERVAL_NAME}, {@value #CREDS_FILE_NAME},
 * {@value #NKEY_FILE_NAME}, {@code tls}, {@code tls.ca.file}, {@code tls.cert.file}, {@code tls.key.file}; plus the common
 * {@code publish.timeout} and {@code reconnect.*} (jnats reconnects forever, waiting as that policy says).
 *
 * <h2>Threads</h2>
 * Each connection ({@link dev.omnibus.Omnibus}) owns jnats' threads and one flusher thread
 * ({@code omnibus-nats-flush}), stopped when it closes; subscriptions use the library's threads.
 */
public final class NatsBackendProvider implements BackendProvider {
    /** The URL scheme. */
    public static final String SCHEME = "nats";

    static final String MAX_PAYLOAD_NAME = "max.payload.bytes";
    static final String STRUCTURED_NAME = "structured";
    static final String PING_INTERVAL_NAME = "ping.interval";
    static final String CREDS_FILE_NAME = "creds.file";
    static final String NKEY_FILE_NAME = "nkey.file";

    /** Default interval of the client's pings, which detect a dead connection after two unanswered. */
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(10);

    /**
     * Largest event data accepted, in bytes (0, the default: the server's max_payload less 8 KiB for the headers,
     * three quarters of that in structured mode; a larger value is lowered to that).
     */
    public static final ConfigOption<Integer> MAX_PAYLOAD = ConfigOption.integer(MAX_PAYLOAD_NAME, 0, 0,
            64 * 1024 * 1024, "largest event data accepted, in bytes (0 = the server's max_payload less 8 KiB for "
                    + "headers)");
    /** Publish in structured mode ({@code application/cloudevents+json} payload) instead of binary mode. */
    public static final ConfigOption<Boolean> STRUCTURED = ConfigOption.bool(STRUCTURED_NAME, false,
            "publish structured events (application/cloudevents+json payload) instead of binary ones (ce- headers)");
    /** How often the client pings the server; two unanswered pings close the connection and start a reconnect. */
    public static final ConfigOption<Duration> PING_INTERVAL = ConfigOption.duration(PING_INTERVAL_NAME,
            DEFAULT_PING_INTERVAL, Duration.ofMillis(100), Duration.ofHours(1), "interval of the client's pings; two "
                    + "unanswered ones mark the connection dead and start a reconnect");

    /**
     * A NATS credentials file (a user JWT and its NKey seed, as {@code nsc} writes it) for servers run in operator
     * mode; read at each connect and reconnect, so a rotated file is picked up.
     */
    public static final ConfigOption<String> CREDS_FILE = ConfigOption.string(CREDS_FILE_NAME, null,
            "NATS credentials file (user JWT + NKey seed) for servers in operator/JWT mode");
    /** A file holding a user NKey seed ({@code SU...}) for servers that list {@code nkey} users. */
    public static final ConfigOption<String> NKEY_FILE = ConfigOption.string(NKEY_FILE_NAME, null,
            "file holding a user NKey seed (SU...), for servers with nkey users");

    static final List<ConfigOption<?>> OPTIONS = options(List.of(MAX_PAYLOAD, STRUCTURED, PING_INTERVAL));

    /**
     * {@code own} followed by the security options both NATS schemes share: {@link #CREDS_FILE}, {@link #NKEY_FILE}
     * and {@link TlsOptions#ALL}.
     */
    public static List<ConfigOption<?>> options(List<ConfigOption<?>> own) {
        List<ConfigOption<?>> all = new ArrayList<>(own);
        all.add(CREDS_FILE);
        all.add(NKEY_FILE);
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
        return NatsCoreBackend.open(context);
    }
}
