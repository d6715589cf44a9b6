package dev.omnibus.redis;

import dev.omnibus.ConfigOption;
import dev.omnibus.redis.internal.RedisBackend;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;
import dev.omnibus.spi.TlsOptions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The Redis Streams backend on Lettuce, scheme {@value #SCHEME} ({@link RedissBackendProvider} serves
 * {@value #TLS_SCHEME}); stateless and thread-safe, cheap to construct (found by {@link java.util.ServiceLoader}).
 *
 * <h2>URLs</h2>
 * {@code redis://[[user]:password@]host[:port][/database][?option=value...]}, and {@code rediss://...} for TLS. The
 * userinfo ends at the last {@code @}, so a password may hold {@code / ? # @ : % +} as they are ({@code %XX} is
 * decoded); {@code user:password} authenticates an ACL user, {@code :password} (or a userinfo without {@code :}, as
 * redis-cli reads it) the {@code default} user ({@code requirepass}). The password goes to Lettuce as credentials
 * only and never appears in messages or logs.
 *
 * <h2>Security</h2>
 * TLS with {@code rediss://} or {@code tls=true}, trusting {@code tls.ca.file} (default: the JVM's trust store), the
 * server's certificate and host name verified; mutual TLS with {@code tls.cert.file} and {@code tls.key.file}
 * ({@link dev.omnibus.spi.TlsOptions}). A refused password or certificate, at connect or at a reconnect, is
 * {@link dev.omnibus.ErrorCode#UNAUTHENTICATED}; an ACL denial ({@code NOPERM}) fails that publish, or the
 * subscription, with {@link dev.omnibus.ErrorCode#PERMISSION_DENIED}.
 *
 * <h2>Mapping</h2>
 * A topic is a stream key. Publish is {@code XADD} with one field {@code ce-<name>} per attribute and extension,
 * {@code content-type} for {@code datacontenttype} and the bytes in {@code data} (binary mode; with
 * {@value #STRUCTURED_NAME}{@code =true} the JSON event goes in {@code data} with content type
 * {@code application/cloudevents+json}); the receipt position is the entry id. A group is a consumer group
 * ({@code XGROUP CREATE ... MKSTREAM} on demand, {@code XREADGROUP} with one consumer name per subscription
 * member); a subscription without a group gets a private consumer group, destroyed when it closes. Ack is
 * {@code XACK} (batched); nack leaves the entry pending and {@code XCLAIM}s it back when its delay is due; entries
 * idle longer than the ack deadline (a crashed or forgetful member's) are taken over with {@code XAUTOCLAIM}; a
 * running handler's entry is kept with {@code XCLAIM ... JUSTID}; the attempt is the entry's delivery count.
 *
 * <h2>Options</h2>
 * {@value #MAX_PAYLOAD_NAME}, {@value #TRIM_MAXLEN_NAME}, {@value #TRIM_MAX_AGE_NAME}, {@value #STRUCTURED_NAME},
 * {@value #REQUEST_QUEUE_NAME}, the TLS options {@code tls}, {@code tls.ca.file}, {@code tls.cert.file},
 * {@code tls.key.file}; plus the common {@code publish.timeout} and {@code reconnect.*}.
 *
 * <h2>Threads</h2>
 * Each connection ({@link dev.omnibus.Omnibus}) owns Lettuce's I/O and event threads ({@code omnibus-redis-*}),
 * stopped when it closes; subscriptions use the library's threads and one extra Redis connection each.
 */
public final class RedisBackendProvider implements BackendProvider {
    /** The URL scheme for plain TCP. */
    public static final String SCHEME = "redis";
    /** The URL scheme for TLS. */
    public static final String TLS_SCHEME = "rediss";

    static final String MAX_PAYLOAD_NAME = "max.payload.bytes";
    static final String TRIM_MAXLEN_NAME = "trim.maxlen";
    static final String TRIM_MAX_AGE_NAME = "trim.max.age";
    static final String STRUCTURED_NAME = "structured";
    static final String REQUEST_QUEUE_NAME = "request.queue.size";

    /** Default largest event data: 1 MiB. */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
    /** Default bound of commands Lettuce buffers per connection while disconnected or busy. */
    public static final int DEFAULT_REQUEST_QUEUE_SIZE = 65_536;

    /** Largest event data accepted, in bytes (1 to 256 MiB; default 1 MiB). */
    public static final ConfigOption<Integer> MAX_PAYLOAD = ConfigOption.integer(MAX_PAYLOAD_NAME,
            DEFAULT_MAX_PAYLOAD_BYTES, 1, 256 * 1024 * 1024, "largest event data accepted, in bytes");
    /** {@code XADD MAXLEN ~ n}: keep about this many entries per stream (0 = no trimming, the default). */
    public static final ConfigOption<Integer> TRIM_MAXLEN = ConfigOption.integer(TRIM_MAXLEN_NAME, 0, 0,
            Integer.MAX_VALUE, "XADD MAXLEN ~ n: keep about n entries per stream, dropping the oldest even if "
                    + "unconsumed (0 = off)");
    /** {@code XADD MINID ~ <now - age>}: drop entries older than this (0 = no trimming, the default). */
    public static final ConfigOption<Duration> TRIM_MAX_AGE = ConfigOption.duration(TRIM_MAX_AGE_NAME, Duration.ZERO,
            Duration.ZERO, Duration.ofDays(3650), "XADD MINID ~ now-age: drop entries older than this, even if "
                    + "unconsumed (0 = off; not together with trim.maxlen)");
    /** Publish in structured mode (the JSON event in {@code data}) instead of binary mode (default false). */
    public static final ConfigOption<Boolean> STRUCTURED = ConfigOption.bool(STRUCTURED_NAME, false,
            "publish structured events (application/cloudevents+json in the data field) instead of binary ones");
    /** Commands buffered per connection before publishing fails with RESOURCE_EXHAUSTED (default 65,536). */
    public static final ConfigOption<Integer> REQUEST_QUEUE = ConfigOption.integer(REQUEST_QUEUE_NAME,
            DEFAULT_REQUEST_QUEUE_SIZE, 16, 10_000_000, "publishes awaiting the server's reply (while "
                    + "disconnected, too) beyond which publish fails with RESOURCE_EXHAUSTED; also Lettuce's command "
                    + "queue per connection");

    static final List<ConfigOption<?>> OPTIONS = allOptions();

    private static List<ConfigOption<?>> allOptions() {
        List<ConfigOption<?>> all = new ArrayList<>(List.of(MAX_PAYLOAD, TRIM_MAXLEN, TRIM_MAX_AGE, STRUCTURED,
                REQUEST_QUEUE));
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
        return RedisBackend.open(context);
    }
}
