package dev.omnibus.redis;

import dev.omnibus.tck.BrokerProcess;
import dev.omnibus.tck.TckHarness;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} child process on a free loopback port with a temporary dir and the append-only file
 * fsynced on every write (so a confirmed XADD survives {@code kill -9}); never the machine's own Redis. Not
 * thread-safe. Its raw client's threads are named {@code omnibus-tck-redis-*}. Public, in the module's test jar, for
 * other modules' tests that need a real Redis (the observability modules).
 */
public final class RedisHarness implements TckHarness {
    private static final Duration STARTUP = Duration.ofSeconds(20);

    private BrokerProcess server;
    private ClientResources rawResources;
    private RedisClient rawClient;
    private StatefulRedisConnection<byte[], byte[]> raw;

    @Override
    public String backendName() {
        return "redis";
    }

    @Override
    public void start() throws Exception {
        server = BrokerProcess.builder("redis-server")
                .command(p -> List.of("redis-server", "--port", String.valueOf(p.port()), "--bind", "127.0.0.1",
                        "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", p.dir().toString(),
                        "--daemonize", "no"))
                .probe("answers PING", BrokerProcess.Probe.replies("PING\r\n", "+PONG"))
                .startupTimeout(STARTUP).installHint("apt-get install -y redis-server").build();
        server.start();
    }

    @Override
    public void stop() throws Exception {
        try {
            if (raw != null) {
                raw.close();
                rawClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
                rawResources.shutdown(0, 2, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS);
            }
        } finally {
            if (server != null) {
                server.stop();
            }
        }
    }

    @Override
    public String url() {
        return "redis://127.0.0.1:" + server.port();
    }

    @Override
    public String brokerVersion() {
        return BrokerProcess.versionOf("redis-server", "--version");
    }

    @Override
    public Map<String, String> brokerSettings() {
        return Map.of("appendonly", "yes", "appendfsync", "always", "save", "\"\" (no snapshots)");
    }

    /**
     * Here {@code x|%"y}: stream keys are binary-safe; no glob character, which the subscription's key scan treats
     * specially.
     */
    @Override
    public String oddestTopicToken() {
        return "x|%\"y";
    }

    @Override
    public void injectRaw(String topic, byte[] body, Map<String, String> headers) {
        Map<String, byte[]> fields = new LinkedHashMap<>();
        fields.put("data", body);
        headers.forEach((k, v) -> fields.put(k, v.getBytes(StandardCharsets.UTF_8)));
        xadd(topic, fields);
    }

    /** Appends an entry with exactly {@code fields}, as a non-Omnibus producer would; returns its id. */
    String xadd(String topic, Map<String, byte[]> fields) {
        Map<byte[], byte[]> body = new LinkedHashMap<>();
        fields.forEach((k, v) -> body.put(k.getBytes(StandardCharsets.UTF_8), v));
        return rawConnection().sync().xadd(topic.getBytes(StandardCharsets.UTF_8), body);
    }

    /** A plain Lettuce connection to the server, for what the tests check behind the library's back. */
    StatefulRedisConnection<byte[], byte[]> rawConnection() {
        if (raw == null) {
            rawResources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1)
                    .threadFactoryProvider(pool -> new DefaultThreadFactory("omnibus-tck-" + pool, true)).build();
            rawClient = RedisClient.create(rawResources, RedisURI.create(url()));
            raw = rawClient.connect(ByteArrayCodec.INSTANCE);
        }
        return raw;
    }

    @Override
    public String faultsUnsupportedReason() {
        return null;
    }

    @Override
    public void restartBroker() throws Exception {
        server.restart();
    }

    @Override
    public InetSocketAddress brokerAddress() {
        return server.address();
    }

    @Override
    public String url(InetSocketAddress proxy) {
        return "redis://127.0.0.1:" + proxy.getPort();
    }
}
