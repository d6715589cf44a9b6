package dev.omnibus.kafka;

import dev.omnibus.tck.BrokerProcess;
import dev.omnibus.tck.TckHarness;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A single-node KRaft Kafka broker (combined broker and controller) from the {@code kafka_2.13} Maven artifact, run
 * as a child JVM on the test classpath ({@code kafka.Kafka server.properties}) with its storage formatted by
 * {@code kafka.tools.StorageTool} first; never a broker already running on the machine. Not thread-safe. Public, in
 * the module's test jar, for the benchmark.
 *
 * <p>Listeners: {@code PLAINTEXT} on a free loopback port for direct clients, and {@code PROXIED}, which advertises
 * a relay port: Kafka clients connect to advertised addresses after bootstrap, so a fault proxy only sees every
 * connection when it is what the broker advertises. The relay forwards to whatever {@link #url(InetSocketAddress)}
 * last named (the kit's fault proxy), which forwards to the {@code PROXIED} listener ({@link #brokerAddress()}).
 */
public final class KafkaHarness implements TckHarness {
    private static final Duration STARTUP = Duration.ofSeconds(90);
    /**
     * The broker JVM's options for tests: quick to start (client compiler only, serial GC, small heap); a benchmark
     * passes its own to {@link #KafkaHarness(String, List)}.
     */
    public static final List<String> TEST_JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-Xmx512m", "-Xss1m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    /** The indexes of the broker's ports: the direct listener, the proxied one and the controller's. */
    private static final int PLAINTEXT = 0;
    private static final int PROXIED = 1;
    private static final int CONTROLLER = 2;

    private final String urlOptions;
    private final List<String> jvmOptions;
    private BrokerProcess broker;
    private Relay relay;
    private Admin admin;
    private KafkaProducer<byte[], byte[]> rawProducer;

    /** A harness whose URLs carry {@code urlOptions} (a query string without {@code ?}, or empty). */
    public KafkaHarness(String urlOptions) {
        this(urlOptions, TEST_JVM_OPTIONS);
    }

    /**
     * A harness whose URLs carry {@code urlOptions} and whose broker JVM runs with {@code jvmOptions} (before the
     * class path, as {@link BrokerProcess#javaMain} takes them).
     */
    public KafkaHarness(String urlOptions, List<String> jvmOptions) {
        this.urlOptions = urlOptions;
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    /** A harness whose URLs create topics with two partitions. */
    public KafkaHarness() {
        this("partitions=2");
    }

    @Override
    public String backendName() {
        return "kafka";
    }

    @Override
    public String brokerVersion() {
        // the broker runs from the same Kafka artifacts as the client, whose jar names its version
        Properties version = new Properties();
        try (java.io.InputStream in = Admin.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            if (in != null) {
                version.load(in);
            }
        } catch (java.io.IOException e) {
            // information only
        }
        return "Apache Kafka " + version.getProperty("version", "unknown") + " (KRaft, one node)";
    }

    @Override
    public Map<String, String> brokerSettings() {
        return Map.of("group.initial.rebalance.delay.ms", "0", "broker.session.timeout.ms", "3000",
                "broker.heartbeat.interval.ms", "500", "auto.create.topics.enable", "false",
                "URL options", urlOptions.isEmpty() ? "(none)" : urlOptions);
    }

    @Override
    public void start() throws Exception {
        relay = new Relay();
        broker = BrokerProcess.builder("kafka").ports(3)
                .command(p -> BrokerProcess.javaMain(jvmOptions, "kafka.Kafka",
                        p.dir().resolve("server.properties").toString()))
                .probe("the admin client describes its node", p -> !admin().describeCluster(
                        new DescribeClusterOptions().timeoutMs(1000)).nodes().get(2, TimeUnit.SECONDS).isEmpty())
                .startupTimeout(STARTUP).pollInterval(Duration.ofMillis(100)).build();
        Path config = broker.dir().resolve("server.properties");
        Files.writeString(config, serverProperties());
        // the storage tool runs once and exits: the quick-starting options whatever the broker itself gets (a
        // pre-touched heap would add seconds to every start and speed up nothing)
        broker.run("format", BrokerProcess.javaMain(TEST_JVM_OPTIONS, "kafka.tools.StorageTool", "format", "-t",
                clusterId(), "-c", config.toString(), "--ignore-formatted"), Duration.ofSeconds(60));
        broker.start();
    }

    /**
     * Kafka's own cluster id form; {@code Uuid.randomUuid()} never starts with '-', which the tool would take for an
     * option.
     */
    private static String clusterId() {
        return Uuid.randomUuid().toString();
    }

    private String serverProperties() {
        String host = "127.0.0.1";
        int port = broker.port(PLAINTEXT);
        int proxiedPort = broker.port(PROXIED);
        int controllerPort = broker.port(CONTROLLER);
        return String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@" + host + ":" + controllerPort,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listeners=PLAINTEXT://" + host + ":" + port + ",PROXIED://" + host + ":" + proxiedPort
                        + ",CONTROLLER://" + host + ":" + controllerPort,
                "advertised.listeners=PLAINTEXT://" + host + ":" + port + ",PROXIED://" + host + ":"
                        + relay.port(),
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,PROXIED:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + broker.dir().resolve("data"),
                "num.partitions=1",
                "auto.create.topics.enable=false",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "broker.session.timeout.ms=3000",
                "broker.heartbeat.interval.ms=500",
                "log.retention.check.interval.ms=600000",
                "") + "\n";
    }

    /** An Admin client on the direct listener, for what tests check behind the library's back. */
    public Admin admin() {
        if (admin == null) {
            Properties p = new Properties();
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
            p.put(AdminClientConfig.CLIENT_ID_CONFIG, "omnibus-tck-admin");
            p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
            admin = Admin.create(p);
        }
        return admin;
    }

    /** {@code host:port} of the direct listener. */
    public String bootstrap() {
        return "127.0.0.1:" + broker.port(PLAINTEXT);
    }

    @Override
    public void stop() throws Exception {
        try {
            if (rawProducer != null) {
                rawProducer.close(Duration.ofSeconds(2));
            }
            if (admin != null) {
                admin.close(Duration.ofSeconds(2));
            }
            if (relay != null) {
                relay.close();
            }
        } finally {
            if (broker != null) {
                broker.stop();
            }
        }
    }

    @Override
    public String url() {
        return "kafka://" + bootstrap() + (urlOptions.isEmpty() ? "" : "?" + urlOptions);
    }

    @Override
    public void injectRaw(String topic, byte[] body, Map<String, String> headers) throws Exception {
        if (rawProducer == null) {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
            p.put(ProducerConfig.CLIENT_ID_CONFIG, "omnibus-tck-raw");
            rawProducer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        }
        // a foreign producer writes to topics that exist; the broker does not auto-create them
        try {
            admin().createTopics(List.of(new NewTopic(topic, Optional.empty(),
                    Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, body);
        headers.forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
        rawProducer.send(record).get(30, TimeUnit.SECONDS);
    }

    @Override
    public Duration timeout() {
        return Duration.ofSeconds(30);
    }

    @Override
    public String faultsUnsupportedReason() {
        return null;
    }

    @Override
    public void restartBroker() throws Exception {
        broker.restart();
    }

    /** Kills the broker (SIGKILL) and leaves it down until {@link #startBroker()}. */
    public void killBroker() throws Exception {
        broker.kill();
    }

    /** Starts the killed broker again on the same ports and data. */
    public void startBroker() throws Exception {
        broker.start();
    }

    /** The {@code PROXIED} listener, which advertises the relay: the fault proxy's target. */
    @Override
    public InetSocketAddress brokerAddress() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), broker.port(PROXIED));
    }

    /** Points the relay at {@code proxy} and returns a URL bootstrapping through the relay. */
    @Override
    public String url(InetSocketAddress proxy) {
        relay.target(proxy);
        return "kafka://127.0.0.1:" + relay.port() + (urlOptions.isEmpty() ? "" : "?" + urlOptions);
    }

    /**
     * A plain TCP relay on a fixed loopback port to a settable target; threads {@code omnibus-tck-relay-*} (daemon).
     */
    private static final class Relay implements AutoCloseable {
        private final ServerSocket server;
        private volatile InetSocketAddress target;

        Relay() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread accept = new Thread(this::accept, "omnibus-tck-relay-accept");
            accept.setDaemon(true);
            accept.start();
        }

        int port() {
            return server.getLocalPort();
        }

        void target(InetSocketAddress to) {
            target = to;
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    InetSocketAddress to = target;
                    if (to == null) {
                        client.close();
                        continue;
                    }
                    Socket upstream = new Socket();
                    try {
                        upstream.connect(to, 2000);
                    } catch (IOException e) {
                        client.close();
                        upstream.close();
                        continue;
                    }
                    pump(client, upstream);
                    pump(upstream, client);
                } catch (IOException e) {
                    // closed
                }
            }
        }

        private static void pump(Socket from, Socket to) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[16384];
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        out.write(buf, 0, n);
                    }
                } catch (IOException e) {
                    // one side closed
                } finally {
                    closeQuietly(from);
                    closeQuietly(to);
                }
            }, "omnibus-tck-relay-pump");
            t.setDaemon(true);
            t.start();
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException e) {
                // already closed
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
