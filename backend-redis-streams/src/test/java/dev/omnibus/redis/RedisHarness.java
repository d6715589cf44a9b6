package dev.omnibus.redis;

import dev.omnibus.tck.TckHarness;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.awaitility.Awaitility;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A {@code redis-server} child process on a free loopback port with a temporary dir and the append-only file
 * fsynced on every write (so a confirmed XADD survives {@code kill -9}); never the machine's own Redis. Not
 * thread-safe. Its raw client's threads are named {@code omnibus-tck-redis-*}. Public, in the module's test jar, for
 * other modules' tests that need a real Redis (the observability modules).
 */
public final class RedisHarness implements TckHarness {
    private static final Duration STARTUP = Duration.ofSeconds(20);

    private Path dir;
    private int port;
    private Process server;
    private ClientResources rawResources;
    private RedisClient rawClient;
    private StatefulRedisConnection<byte[], byte[]> raw;

    @Override
    public String backendName() {
        return "redis";
    }

    @Override
    public void start() throws IOException {
        dir = Files.createTempDirectory("omnibus-redis-");
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        launch();
    }

    private void launch() throws IOException {
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", String.valueOf(port),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                "--dir", dir.toString(), "--daemonize", "no"));
        File log = dir.resolve("redis.log").toFile();
        try {
            server = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server (is it installed? `apt-get install -y "
                    + "redis-server`): " + e.getMessage(), e);
        }
        Awaitility.await("redis-server on port " + port + " answers PING (log: " + log + ")").atMost(STARTUP)
                .pollInterval(Duration.ofMillis(20)).pollDelay(Duration.ZERO)
                .until(() -> {
                    if (!server.isAlive()) {
                        throw new IllegalStateException("redis-server exited with " + server.exitValue() + ": "
                                + Files.readString(log.toPath()));
                    }
                    return pongs();
                });
    }

    private boolean pongs() {
        try (Socket s = new Socket()) {
            s.connect(brokerAddress(), 200);
            s.setSoTimeout(500);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] reply = new byte[7];
            int n = in.readNBytes(reply, 0, 7);
            return new String(reply, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
        } catch (IOException e) {
            return false;
        }
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
            kill();
            if (dir != null) {
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private void kill() throws InterruptedException {
        if (server != null) {
            server.destroyForcibly();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    /** Here {@code x|%"y}: stream keys are binary-safe; no glob character, which the subscription's key scan treats specially. */
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
        kill();
        launch();
    }

    @Override
    public InetSocketAddress brokerAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    @Override
    public String url(InetSocketAddress proxy) {
        return "redis://127.0.0.1:" + proxy.getPort();
    }
}
