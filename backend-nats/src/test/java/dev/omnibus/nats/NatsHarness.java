package dev.omnibus.nats;

import dev.omnibus.tck.TckHarness;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.impl.Headers;
import org.awaitility.Awaitility;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A {@code nats-server -js} child process on a free loopback port with a temporary store dir; never the machine's
 * own server on 4222. Serves both the {@code nats://} and the {@code jetstream://} kit (the scheme picks the URL).
 * {@link #restartBroker()} kills it with SIGKILL and starts it again on the same port and store. Not thread-safe.
 * Its raw client's threads are named {@code omnibus-tck-nats-*}.
 */
public final class NatsHarness implements TckHarness {
    private static final Duration STARTUP = Duration.ofSeconds(20);
    private static final String READY = "Server is ready";

    private final String scheme;
    private final String query;
    private Path dir;
    private File log;
    private int port;
    private Process server;
    private Connection raw;
    private ExecutorService rawExecutor;
    private ScheduledExecutorService rawScheduler;

    /** A harness whose URLs use {@code scheme} ({@code nats} or {@code jetstream}) and add {@code query}. */
    public NatsHarness(String scheme, String query) {
        this.scheme = scheme;
        this.query = query == null || query.isEmpty() ? "" : "?" + query;
    }

    @Override
    public String backendName() {
        return scheme;
    }

    @Override
    public void start() throws IOException {
        dir = Files.createTempDirectory("omnibus-nats-");
        log = dir.resolve("nats-server.log").toFile();
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        launch();
    }

    private void launch() throws IOException {
        long readyBefore = readyLines();
        List<String> command = List.of("nats-server", "-a", "127.0.0.1", "-p", String.valueOf(port), "-js",
                "-sd", dir.resolve("store").toString());
        try {
            server = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start nats-server (is it installed? `apt-get install -y "
                    + "nats-server`): " + e.getMessage(), e);
        }
        Awaitility.await("nats-server on port " + port + " is ready (log: " + log + ")").atMost(STARTUP)
                .pollInterval(Duration.ofMillis(20)).pollDelay(Duration.ZERO)
                .until(() -> {
                    if (!server.isAlive()) {
                        throw new IllegalStateException("nats-server exited with " + server.exitValue() + ": "
                                + Files.readString(log.toPath()));
                    }
                    return readyLines() > readyBefore && greets();
                });
    }

    private long readyLines() throws IOException {
        if (!log.exists()) {
            return 0;
        }
        try (Stream<String> lines = Files.lines(log.toPath(), StandardCharsets.ISO_8859_1)) {
            return lines.filter(l -> l.contains(READY)).count();
        }
    }

    private boolean greets() {
        try (Socket s = new Socket()) {
            s.connect(brokerAddress(), 200);
            s.setSoTimeout(500);
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            return line != null && line.startsWith("INFO");
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void stop() throws Exception {
        try {
            if (raw != null) {
                raw.close();
                rawExecutor.shutdownNow();
                rawScheduler.shutdownNow();
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
        return scheme + "://127.0.0.1:" + port + query;
    }

    /**
     * Publishes {@code body} with exactly {@code headers}, as a non-Omnibus producer would: a JetStream publish
     * (waiting for the stream's ack) when the kit runs JetStream, else a core publish and a flush.
     */
    /** Here {@code x|%"y}: NATS subjects take any printable byte but whitespace, '.', '*' and '>'. */
    @Override
    public String oddestTopicToken() {
        return "x|%\"y";
    }

    @Override
    public void injectRaw(String topic, byte[] body, Map<String, String> headers) throws Exception {
        Headers h = new Headers();
        headers.forEach(h::add);
        publishRaw(topic, h, body);
    }

    /** As {@link #injectRaw}, with jnats headers (several values, any case). */
    public void publishRaw(String topic, Headers headers, byte[] body) throws Exception {
        if (scheme.equals("jetstream")) {
            try {
                rawConnection().jetStream().publish(topic, headers.isEmpty() ? null : headers, body);
            } catch (JetStreamApiException e) {
                throw new IllegalStateException("raw JetStream publish to " + topic + " failed", e);
            }
        } else {
            rawConnection().publish(topic, headers.isEmpty() ? null : headers, body);
            rawConnection().flush(Duration.ofSeconds(5));
        }
    }

    /** A plain jnats connection to the server, for what the tests do behind the library's back. */
    public Connection rawConnection() throws IOException, InterruptedException {
        if (raw == null) {
            AtomicInteger n = new AtomicInteger();
            ThreadFactory threads = r -> {
                Thread t = new Thread(r, "omnibus-tck-nats-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            rawExecutor = Executors.newCachedThreadPool(threads);
            rawScheduler = Executors.newScheduledThreadPool(2, threads);
            raw = Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + port).maxReconnects(-1)
                    .reconnectWait(Duration.ofMillis(100)).executor(rawExecutor).scheduledExecutor(rawScheduler)
                    .connectThreadFactory(threads).callbackThreadFactory(threads).build());
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
        return scheme + "://127.0.0.1:" + proxy.getPort() + query;
    }
}
