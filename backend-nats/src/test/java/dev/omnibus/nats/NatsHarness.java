package dev.omnibus.nats;

import dev.omnibus.tck.BrokerProcess;
import dev.omnibus.tck.TckHarness;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.impl.Headers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

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
    private BrokerProcess server;
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
    public void start() throws Exception {
        server = BrokerProcess.builder("nats-server")
                .command(p -> List.of("nats-server", "-a", "127.0.0.1", "-p", String.valueOf(p.port()), "-js",
                        "-sd", p.dir().resolve("store").toString()))
                .probe("logs '" + READY + "' and greets with INFO",
                        BrokerProcess.Probe.logShows(READY).and(BrokerProcess.Probe.replies("", "INFO")))
                .startupTimeout(STARTUP).installHint("apt-get install -y nats-server").build();
        server.start();
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
            if (server != null) {
                server.stop();
            }
        }
    }

    @Override
    public String url() {
        return scheme + "://127.0.0.1:" + server.port() + query;
    }

    @Override
    public String brokerVersion() {
        return BrokerProcess.versionOf("nats-server", "--version");
    }

    @Override
    public Map<String, String> brokerSettings() {
        return Map.of("jetstream", "enabled (-js), file store in a temporary dir");
    }

    /** Here {@code x|%"y}: NATS subjects take any printable byte but whitespace, '.', '*' and '>'. */
    @Override
    public String oddestTopicToken() {
        return "x|%\"y";
    }

    /**
     * Publishes {@code body} with exactly {@code headers}, as a non-Omnibus producer would: a JetStream publish
     * (waiting for the stream's ack) when the kit runs JetStream, else a core publish and a flush.
     */
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
            raw = Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + server.port()).maxReconnects(-1)
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
        server.restart();
    }

    /** Kills the server (SIGKILL) and leaves it down until {@link #startBroker()}. */
    public void killBroker() throws Exception {
        server.kill();
    }

    /** Starts the killed server again on the same port and store. */
    public void startBroker() throws Exception {
        server.start();
    }

    @Override
    public InetSocketAddress brokerAddress() {
        return server.address();
    }

    @Override
    public String url(InetSocketAddress proxy) {
        return scheme + "://127.0.0.1:" + proxy.getPort() + query;
    }
}
