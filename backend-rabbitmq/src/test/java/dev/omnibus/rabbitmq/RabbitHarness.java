package dev.omnibus.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.omnibus.tck.BrokerProcess;
import dev.omnibus.tck.TckHarness;
import dev.omnibus.tck.TestPki;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * A RabbitMQ node of its own ({@code rabbitmq-server} from the Debian package) as a child process: free loopback
 * ports for AMQP and Erlang distribution, its own node name ({@code omnibus-<port>@localhost}), data, log, config
 * and empty enabled-plugins file in a temporary dir, and {@code HOME} there too (so its Erlang cookie is its own).
 * The machine's own RabbitMQ service (port 5672, node {@code rabbit@localhost}) is never touched; the node registers
 * with the machine's {@code epmd} on 127.0.0.1 like any Erlang node (starting it if none runs). Restartable:
 * {@link #restartBroker()} is {@code kill -9} and a start on the same ports and data dir. Not thread-safe. Public, in
 * the module's test jar, for other modules' tests that need a real node.
 */
public final class RabbitHarness implements TckHarness {
    private static final Duration STARTUP = Duration.ofSeconds(60);
    private static final List<String> SERVERS = List.of("/usr/lib/rabbitmq/bin/rabbitmq-server",
            "/usr/sbin/rabbitmq-server");

    private final String options;
    private final String extraConfig;
    private final String advancedConfig;
    private BrokerProcess node;
    private Connection raw;

    /** A plain node, URLs without options. */
    public RabbitHarness() {
        this("", "");
    }

    /**
     * A node with {@code extraConfig} appended to its {@code rabbitmq.conf} (a TLS listener, say), URLs with
     * {@code options} ({@code ?a=b&c=d} or empty).
     */
    public RabbitHarness(String options, String extraConfig) {
        this(options, extraConfig, "");
    }

    /**
     * As {@link #RabbitHarness(String, String)}, with {@code advancedConfig} as the node's {@code advanced.config}
     * (Erlang terms, for what {@code rabbitmq.conf} cannot spell: a default user whose password holds any
     * character, say); empty for none.
     */
    public RabbitHarness(String options, String extraConfig, String advancedConfig) {
        this.options = options;
        this.extraConfig = extraConfig;
        this.advancedConfig = advancedConfig;
    }

    /**
     * {@code rabbitmq.conf} lines for a TLS listener on the {@linkplain #extraPort() extra port} of both
     * {@code 127.0.0.1} and {@code 127.0.0.2} (the second for host name checks: {@code pki}'s server certificate
     * names {@code localhost} and {@code 127.0.0.1} only), with {@code pki}'s server certificate and key, client
     * certificates verified against {@code pki}'s CA when sent, and required when {@code requireClientCertificate}.
     */
    public static String tlsConfig(TestPki pki, boolean requireClientCertificate) {
        return "listeners.ssl.1 = 127.0.0.1:${port2}\n"
                + "listeners.ssl.2 = 127.0.0.2:${port2}\n"
                + "ssl_options.cacertfile = " + pki.caFile().toAbsolutePath() + "\n"
                + "ssl_options.certfile = " + pki.serverCertFile().toAbsolutePath() + "\n"
                + "ssl_options.keyfile = " + pki.serverKeyFile().toAbsolutePath() + "\n"
                + "ssl_options.verify = verify_peer\n"
                + "ssl_options.fail_if_no_peer_cert = " + requireClientCertificate + "\n";
    }

    @Override
    public String backendName() {
        return "rabbitmq";
    }

    @Override
    public void start() throws Exception {
        String server = SERVERS.stream().filter(s -> Files.isExecutable(Path.of(s))).findFirst()
                .orElse("rabbitmq-server");
        node = BrokerProcess.builder("rabbitmq-server").ports(3)
                .command(p -> command(p, server))
                .probe("logs 'Server startup complete' and listens",
                        BrokerProcess.Probe.logShows("Server startup complete").and(BrokerProcess.Probe.listens()))
                .startupTimeout(STARTUP).pollInterval(Duration.ofMillis(50))
                .keepDir(Boolean.getBoolean("omnibus.rabbitmq.keepDir"))
                .installHint("apt-get install -y rabbitmq-server").build();
        try {
            Path dir = node.dir();
            Files.writeString(dir.resolve("rabbitmq.conf"), "listeners.tcp.1 = 127.0.0.1:" + node.port() + "\n"
                    + "loopback_users = none\n"
                    + "log.console = true\nlog.console.level = info\nlog.file = false\n"
                    + extraConfig.replace("${dir}", dir.toString()).replace("${port2}",
                    String.valueOf(node.port(2))));
            Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
            if (!advancedConfig.isEmpty()) {
                Files.writeString(dir.resolve("advanced.config"), advancedConfig);
            }
            Files.writeString(dir.resolve("rabbitmq-env.conf"), "");
            node.start();
        } catch (Exception | Error e) {
            node.stop();
            throw e;
        }
    }

    private static List<String> command(BrokerProcess p, String server) {
        Path dir = p.dir();
        List<String> line = new ArrayList<>(List.of("env", "-i", "PATH=/usr/bin:/bin:/usr/sbin:/sbin",
                "HOME=" + dir, "LANG=C.UTF-8",
                "RABBITMQ_CONF_ENV_FILE=" + dir.resolve("rabbitmq-env.conf"),
                "RABBITMQ_NODENAME=omnibus-" + p.port() + "@localhost",
                "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
                "RABBITMQ_NODE_PORT=" + p.port(),
                "RABBITMQ_DIST_PORT=" + p.port(1),
                "RABBITMQ_MNESIA_BASE=" + dir.resolve("mnesia"),
                "RABBITMQ_LOG_BASE=" + dir.resolve("log"),
                "RABBITMQ_ENABLED_PLUGINS_FILE=" + dir.resolve("enabled_plugins"),
                "RABBITMQ_CONFIG_FILE=" + dir.resolve("rabbitmq.conf"),
                "RABBITMQ_ADVANCED_CONFIG_FILE=" + dir.resolve("advanced.config"),
                "ERL_EPMD_ADDRESS=127.0.0.1"));
        line.add(server);
        return line;
    }

    @Override
    public void stop() throws Exception {
        try {
            closeRaw();
        } finally {
            if (node != null) {
                node.stop();
            }
        }
    }

    /** The node's dir (its config, data and log). */
    public Path dir() {
        return node.dir();
    }

    /** The third allocated port, free for a second listener (TLS) given in the extra config as ${port2}. */
    public int extraPort() {
        return node.port(2);
    }

    /**
     * An {@code amqps://} URL of the TLS listener ({@link #tlsConfig}) on {@code host} ({@code 127.0.0.1}, or
     * {@code 127.0.0.2} which the certificate does not name), with {@code userInfo} ({@code user:password}, raw)
     * when not null, and {@code query} ({@code ?a=b...} or empty).
     */
    public String tlsUrl(String host, String userInfo, String query) {
        return "amqps://" + (userInfo == null ? "" : userInfo + "@") + host + ":" + extraPort() + query;
    }

    @Override
    public String url() {
        return "amqp://127.0.0.1:" + node.port() + options;
    }

    /**
     * Here {@code odd_-%|"~é}: routing keys are any UTF-8 up to 255 bytes; no {@code *} or {@code #}, which only
     * bindings read as wildcards.
     */
    @Override
    public String oddestTopicToken() {
        return "odd_-%|\"~\u00e9";
    }

    @Override
    public void injectRaw(String topic, byte[] body, Map<String, String> headers) throws Exception {
        Map<String, Object> h = new HashMap<>(headers);
        try (Channel ch = rawConnection().createChannel()) {
            ch.exchangeDeclare(RabbitBackendProvider.DEFAULT_EXCHANGE, "topic", true);
            ch.confirmSelect();
            ch.basicPublish(RabbitBackendProvider.DEFAULT_EXCHANGE, topic, new AMQP.BasicProperties.Builder()
                    .headers(h).deliveryMode(2).build(), body);
            ch.waitForConfirmsOrDie(10_000);
        }
    }

    @Override
    public String brokerVersion() {
        try {
            Map<String, Object> server = rawConnection().getServerProperties();
            return server.getOrDefault("product", "RabbitMQ") + " " + server.getOrDefault("version", "unknown")
                    + " (one node)";
        } catch (IOException | TimeoutException | RuntimeException e) {
            return "RabbitMQ " + BrokerProcess.versionOf("rabbitmqctl", "version") + " (one node; version of its CLI)";
        }
    }

    @Override
    public Map<String, String> brokerSettings() {
        return Map.of("plugins", "none", "loopback_users", "none");
    }

    /** A plain connection to the node, for what tests check behind the library's back. */
    public Connection rawConnection() throws IOException, TimeoutException {
        if (raw == null || !raw.isOpen()) {
            ConnectionFactory f = new ConnectionFactory();
            f.setHost("127.0.0.1");
            f.setPort(node.port());
            f.setAutomaticRecoveryEnabled(false);
            raw = f.newConnection("omnibus-test-raw");
        }
        return raw;
    }

    private void closeRaw() {
        if (raw != null) {
            try {
                raw.abort(2_000);
            } finally {
                raw = null;
            }
        }
    }

    @Override
    public String faultsUnsupportedReason() {
        return null;
    }

    @Override
    public void restartBroker() throws Exception {
        closeRaw();
        node.restart();
    }

    /** Kills the node like {@code kill -9}. */
    public void killBroker() throws InterruptedException {
        closeRaw();
        node.kill();
    }

    /** Starts the node again after {@link #killBroker()}. */
    public void startBroker() throws Exception {
        node.start();
    }

    @Override
    public InetSocketAddress brokerAddress() {
        return node.address();
    }

    @Override
    public String url(InetSocketAddress proxy) {
        return "amqp://127.0.0.1:" + proxy.getPort() + options;
    }
}
