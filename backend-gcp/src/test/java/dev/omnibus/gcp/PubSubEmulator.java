package dev.omnibus.gcp;

import com.google.api.gax.core.FixedExecutorProvider;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.TransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import dev.omnibus.tck.BrokerProcess;
import dev.omnibus.tck.TckHarness;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Google's Pub/Sub emulator (the Cloud SDK component {@code pubsub-emulator}) as a child JVM on a free loopback port,
 * and a plain google-cloud-pubsub client to it for what a non-Omnibus producer does; not thread-safe. Public, in the
 * module's test jar, for the bench module. The raw client's threads are named {@code omnibus-tck-gcp-*}.
 *
 * <p>The jar is {@code PUBSUB_EMULATOR_JAR} (environment or system property) if set, else found under the Cloud SDK
 * ({@code gcloud info}'s installation root, or the usual install paths) in {@code platform/pubsub-emulator/lib/}.
 */
public final class PubSubEmulator implements TckHarness {
    /** The project the harness uses. */
    public static final String PROJECT = "omnibus-tck";
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final String JAR_VARIABLE = "PUBSUB_EMULATOR_JAR";
    private static final List<String> SDK_ROOTS = List.of("/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk",
            "/opt/google-cloud-sdk", System.getProperty("user.home") + "/google-cloud-sdk");

    private BrokerProcess server;
    private NioEventLoopGroup rawLoop;
    private ScheduledExecutorService rawExecutor;
    private ManagedChannel raw;

    @Override
    public String backendName() {
        return "gcppubsub";
    }

    @Override
    public String brokerVersion() {
        // the emulator names its version only in its jar's name (cloud-pubsub-emulator-0.8.20-all.jar)
        String jar = emulatorJar().getFileName().toString();
        return "Google Cloud Pub/Sub emulator " + jar.replaceFirst("^cloud-pubsub-emulator-", "")
                .replaceFirst("(-all)?\\.jar$", "");
    }

    @Override
    public void start() throws Exception {
        Path jar = emulatorJar();
        server = BrokerProcess.builder("pubsub-emulator")
                .command(p -> BrokerProcess.java("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m", "-jar",
                        jar.toString(), "--host=127.0.0.1", "--port=" + p.port()))
                .probe("listens", BrokerProcess.Probe.listens())
                .startupTimeout(STARTUP).pollInterval(Duration.ofMillis(100))
                .keepDir(System.getProperty("keepEmulatorLog") != null).build();
        server.start();
    }

    /** The emulator jar, or a failure saying how to install it. */
    static Path emulatorJar() {
        String configured = System.getProperty(JAR_VARIABLE, System.getenv(JAR_VARIABLE));
        if (configured != null && !configured.isBlank()) {
            Path jar = Path.of(configured);
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException(JAR_VARIABLE + "=" + configured + " is not a file");
            }
            return jar;
        }
        List<String> roots = new ArrayList<>();
        String fromGcloud = gcloudRoot();
        if (fromGcloud != null) {
            roots.add(fromGcloud);
        }
        roots.addAll(SDK_ROOTS);
        for (String root : roots) {
            Path lib = Path.of(root, "platform", "pubsub-emulator", "lib");
            if (Files.isDirectory(lib)) {
                try (Stream<Path> files = Files.list(lib)) {
                    Path jar = files.filter(p -> p.getFileName().toString().startsWith("cloud-pubsub-emulator-")
                            && p.getFileName().toString().endsWith(".jar")).sorted().reduce((a, b) -> b).orElse(null);
                    if (jar != null) {
                        return jar;
                    }
                } catch (IOException e) {
                    // try the next root
                }
            }
        }
        throw new IllegalStateException("Google's Pub/Sub emulator is not installed (looked in " + roots
                + "): install it with `gcloud components install pubsub-emulator` or `apt-get install -y "
                + "google-cloud-cli-pubsub-emulator`, or point " + JAR_VARIABLE + " at cloud-pubsub-emulator-*.jar");
    }

    private static String gcloudRoot() {
        try {
            Process p = new ProcessBuilder("gcloud", "info", "--format=value(installation.sdk_root)")
                    .redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0 && !out.isEmpty() ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public void stop() throws Exception {
        try {
            if (raw != null) {
                raw.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
                rawExecutor.shutdownNow();
                rawLoop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).await(5000);
            }
        } finally {
            if (server != null) {
                server.stop();
            }
        }
    }

    /** The emulator's {@code host:port}. */
    public String hostPort() {
        return "127.0.0.1:" + server.port();
    }

    @Override
    public String url() {
        return "gcppubsub://" + hostPort() + "?project=" + PROJECT + "&emulator=true";
    }

    @Override
    public Duration ackDeadline() {
        return Duration.ofSeconds(2);
    }

    /**
     * 30 s, as Kafka's harness: the emulator is a JVM of its own sharing two cores with the test, and after a
     * connection cut a subscription may wait out its receive backoff (up to {@code reconnect.max}, 10 s) before it
     * replaces the subscription whose stream died, which the connection's RECONNECTED waits for (see
     * docs/backends/gcppubsub.md, Faults). With 15 s the kit's R18 failed in 2 of the last 3 full runs of 2026-12-03.
     */
    @Override
    public Duration timeout() {
        return Duration.ofSeconds(30);
    }

    @Override
    public void injectRaw(String topic, byte[] body, Map<String, String> headers) throws Exception {
        publishRaw(topic, body, headers, null);
    }

    /**
     * Publishes one message with the plain google-cloud-pubsub {@link Publisher}, as a non-Omnibus producer would;
     * returns its message id. The topic must exist.
     */
    public String publishRaw(String topic, byte[] body, Map<String, String> attributes, String orderingKey)
            throws Exception {
        Publisher p = rawPublisher(topic, orderingKey != null);
        try {
            PubsubMessage.Builder m = PubsubMessage.newBuilder().setData(ByteString.copyFrom(body))
                    .putAllAttributes(attributes);
            if (orderingKey != null) {
                m.setOrderingKey(orderingKey);
            }
            return p.publish(m.build()).get(30, TimeUnit.SECONDS);
        } finally {
            p.shutdown();
            p.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    /** A plain client {@link Publisher} to the emulator (shut it down after use). */
    public Publisher rawPublisher(String topic, boolean ordering) throws IOException {
        return Publisher.newBuilder(TopicName.of(PROJECT, topic)).setChannelProvider(rawChannel())
                .setCredentialsProvider(NoCredentialsProvider.create())
                .setExecutorProvider(FixedExecutorProvider.create(rawExecutor))
                .setEnableMessageOrdering(ordering).build();
    }

    /** A plaintext channel to the emulator, as {@code PUBSUB_EMULATOR_HOST} means it, shared by raw clients. */
    public TransportChannelProvider rawChannel() {
        if (raw == null) {
            AtomicInteger n = new AtomicInteger();
            rawExecutor = new ScheduledThreadPoolExecutor(2, r -> {
                Thread t = new Thread(r, "omnibus-tck-gcp-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            rawLoop = new NioEventLoopGroup(1, new DefaultThreadFactory("omnibus-tck-gcp-io", true));
            raw = NettyChannelBuilder.forTarget(hostPort()).usePlaintext().eventLoopGroup(rawLoop)
                    .channelType(NioSocketChannel.class).executor(rawExecutor).offloadExecutor(rawExecutor)
                    .maxInboundMessageSize(32 * 1024 * 1024).build();
        }
        return FixedTransportChannelProvider.create(GrpcTransportChannel.create(raw));
    }

    /** The executor raw clients use. */
    public ScheduledExecutorService rawExecutor() {
        rawChannel();
        return rawExecutor;
    }

    @Override
    public String faultsUnsupportedReason() {
        return null;
    }

    /** Kills the emulator and starts it again on the same port: it comes back empty (it keeps nothing). */
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
        return "gcppubsub://127.0.0.1:" + proxy.getPort() + "?project=" + PROJECT + "&emulator=true";
    }
}
