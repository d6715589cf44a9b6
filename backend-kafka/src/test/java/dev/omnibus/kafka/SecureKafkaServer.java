package dev.omnibus.kafka;

import dev.omnibus.tck.BrokerProcess;
import dev.omnibus.tck.TestPki;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.awaitility.Awaitility;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A single-node KRaft broker with security on, from the {@code kafka_2.13} Maven artifact in a child JVM like
 * {@link KafkaHarness}; certificates from a {@link TestPki} made at start in the broker's temp dir. Not thread-safe;
 * one start per test class.
 *
 * <p>Listeners, all on loopback:
 * <ul>
 *   <li>{@code SASL_SSL} ({@link #saslSslPort()}): SCRAM-SHA-512 and PLAIN, no client certificate;</li>
 *   <li>{@code SSL} ({@link #sslPort()}): {@code ssl.client.auth=required}, the principal is the certificate's
 *       subject ({@code User:CN=omnibus-client});</li>
 *   <li>{@code WRONG_HOST} ({@link #wrongHostPort()}): SSL with a certificate from the right CA for another host;</li>
 *   <li>{@code INTERNAL} (plaintext, inter-broker) and {@code CONTROLLER}: their anonymous principal is the super
 *       user that the broker itself, and {@link #admin()} for setting users and ACLs, run as. Tests never point the
 *       library at them.</li>
 * </ul>
 * The {@code StandardAuthorizer} denies what no ACL allows. Users: {@link #SCRAM_USER} and {@link #ODD_USER}
 * (SCRAM-SHA-512, made with {@code Admin.alterUserScramCredentials}), {@link #PLAIN_USER} (PLAIN, in the listener's
 * JAAS configuration) and the client certificate's subject; each may do anything on topics and groups whose names
 * start with {@link #ALLOWED}, and nothing else.
 */
final class SecureKafkaServer {
    /** Prefix of the topics and groups every user may use; anything else is denied. */
    static final String ALLOWED = "ok-";
    static final String SCRAM_USER = "alice";
    static final String SCRAM_PASSWORD = "alice-secret";
    static final String PLAIN_USER = "bob";
    static final String PLAIN_PASSWORD = "bob-secret";
    /** A user whose password holds every character that ends or escapes something in a URL or a JAAS line. */
    static final String ODD_USER = "carol";
    static final String ODD_PASSWORD = "p/a?s@s#w%o+r:d\"\\&=x";

    private static final Duration STARTUP = Duration.ofSeconds(90);
    private static final List<String> JVM_OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx512m",
            "-Xss1m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    private static final int SASL_SSL = 0;
    private static final int SSL = 1;
    private static final int INTERNAL = 2;
    private static final int CONTROLLER = 3;
    private static final int WRONG_HOST = 4;

    private BrokerProcess broker;
    private TestPki pki;
    private Admin admin;

    /** Formats the storage, starts the broker, creates the SCRAM users and the ACLs, and waits until they apply. */
    void start() throws Exception {
        broker = BrokerProcess.builder("kafka-secure").ports(5)
                .command(p -> BrokerProcess.javaMain(JVM_OPTIONS, "kafka.Kafka",
                        p.dir().resolve("server.properties").toString()))
                .probe("the admin client describes its node", p -> !admin().describeCluster(
                        new DescribeClusterOptions().timeoutMs(1000)).nodes().get(2, TimeUnit.SECONDS).isEmpty())
                .startupTimeout(STARTUP).pollInterval(Duration.ofMillis(100)).build();
        pki = TestPki.create(broker.dir().resolve("pki"));
        // Kafka's PEM key store file holds the private key and the certificate chain together
        Path keyStore = broker.dir().resolve("pki").resolve("server-keystore.pem");
        Files.writeString(keyStore, Files.readString(pki.serverKeyFile()) + "\n"
                + Files.readString(pki.serverCertFile()));
        TestPki.Leaf otherHost = pki.issue("other-host", "other.example", false);
        Path otherHostKeyStore = broker.dir().resolve("pki").resolve("other-host-keystore.pem");
        Files.writeString(otherHostKeyStore, Files.readString(otherHost.keyFile()) + "\n"
                + Files.readString(otherHost.certFile()));
        Path config = broker.dir().resolve("server.properties");
        Files.writeString(config, serverProperties(keyStore, otherHostKeyStore));
        broker.run("format", BrokerProcess.javaMain(JVM_OPTIONS, "kafka.tools.StorageTool", "format", "-t",
                Uuid.randomUuid().toString(), "-c", config.toString(), "--ignore-formatted"), Duration.ofSeconds(60));
        broker.start();
        addUsersAndAcls();
    }

    private String serverProperties(Path keyStore, Path otherHostKeyStore) {
        String host = "127.0.0.1";
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@" + host + ":" + broker.port(CONTROLLER));
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "INTERNAL");
        p.put("listeners", "SASL_SSL://" + host + ":" + broker.port(SASL_SSL) + ",SSL://" + host + ":"
                + broker.port(SSL) + ",INTERNAL://" + host + ":" + broker.port(INTERNAL) + ",CONTROLLER://" + host
                + ":" + broker.port(CONTROLLER) + ",WRONG_HOST://" + host + ":" + broker.port(WRONG_HOST));
        p.put("advertised.listeners", "SASL_SSL://" + host + ":" + broker.port(SASL_SSL) + ",SSL://" + host + ":"
                + broker.port(SSL) + ",INTERNAL://" + host + ":" + broker.port(INTERNAL) + ",WRONG_HOST://" + host
                + ":" + broker.port(WRONG_HOST));
        p.put("listener.security.protocol.map", "SASL_SSL:SASL_SSL,SSL:SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,"
                + "WRONG_HOST:SSL");
        // a listener whose certificate (from the right CA) names another host: the client's host name check fails
        p.put("listener.name.wrong_host.ssl.keystore.type", "PEM");
        p.put("listener.name.wrong_host.ssl.keystore.location", otherHostKeyStore.toString());
        p.put("listener.name.wrong_host.ssl.client.auth", "none");
        p.put("ssl.keystore.type", "PEM");
        p.put("ssl.keystore.location", keyStore.toString());
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", pki.caFile().toString());
        p.put("listener.name.ssl.ssl.client.auth", "required");
        p.put("listener.name.sasl_ssl.ssl.client.auth", "none");
        p.put("listener.name.sasl_ssl.sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN");
        p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        p.put("listener.name.sasl_ssl.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required user_" + PLAIN_USER + "=\""
                        + PLAIN_PASSWORD + "\";");
        p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        p.put("super.users", "User:ANONYMOUS");
        p.put("log.dirs", broker.dir().resolve("data").toString());
        p.put("num.partitions", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("broker.session.timeout.ms", "3000");
        p.put("broker.heartbeat.interval.ms", "500");
        StringBuilder out = new StringBuilder();
        // Properties.store would escape the ':' of every address; the values above need no escaping
        p.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
        return out.toString();
    }

    private void addUsersAndAcls() throws Exception {
        ScramCredentialInfo sha512 = new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096);
        admin().alterUserScramCredentials(List.of(
                new UserScramCredentialUpsertion(SCRAM_USER, sha512, SCRAM_PASSWORD),
                new UserScramCredentialUpsertion(ODD_USER, sha512, ODD_PASSWORD))).all().get(30, TimeUnit.SECONDS);
        List<AclBinding> acls = new ArrayList<>();
        for (String principal : List.of("User:" + SCRAM_USER, "User:" + ODD_USER, "User:" + PLAIN_USER,
                "User:" + TestPki.CLIENT_SUBJECT)) {
            for (ResourceType type : List.of(ResourceType.TOPIC, ResourceType.GROUP)) {
                acls.add(new AclBinding(new ResourcePattern(type, ALLOWED, PatternType.PREFIXED),
                        new AccessControlEntry(principal, "*", AclOperation.ALL, AclPermissionType.ALLOW)));
            }
        }
        admin().createAcls(acls).all().get(30, TimeUnit.SECONDS);
        // The controller has them once the calls return; the broker applies its metadata shortly after, and both
        // describe calls below are answered from the broker's view: the users and ACLs are in force once they show.
        Awaitility.await("kafka-secure: users and ACLs in force (broker log " + broker.log() + ")")
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                .until(() -> admin().describeAcls(AclBindingFilter.ANY).values().get(5, TimeUnit.SECONDS).size()
                        >= acls.size() && admin().describeUserScramCredentials(List.of(SCRAM_USER, ODD_USER)).all()
                        .get(5, TimeUnit.SECONDS).size() == 2);
    }

    /** A super-user Admin client on the plaintext INTERNAL listener, for setting up what tests need. */
    Admin admin() {
        if (admin == null) {
            Properties p = new Properties();
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + broker.port(INTERNAL));
            p.put(AdminClientConfig.CLIENT_ID_CONFIG, "omnibus-secure-admin");
            p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
            admin = Admin.create(p);
        }
        return admin;
    }

    /** Creates {@code topic} as the super user (one partition). */
    void createTopic(String topic) throws Exception {
        admin().createTopics(List.of(new NewTopic(topic, Optional.of(1), Optional.empty())))
                .all().get(30, TimeUnit.SECONDS);
    }

    int saslSslPort() {
        return broker.port(SASL_SSL);
    }

    int sslPort() {
        return broker.port(SSL);
    }

    /** An SSL listener (no client certificate) whose certificate names {@code other.example}, not 127.0.0.1. */
    int wrongHostPort() {
        return broker.port(WRONG_HOST);
    }

    TestPki pki() {
        return pki;
    }

    /** The broker's log, for failure messages. */
    Path log() {
        return broker.log();
    }

    void stop() throws Exception {
        try {
            if (admin != null) {
                admin.close(Duration.ofSeconds(2));
            }
        } finally {
            if (broker != null) {
                broker.stop();
            }
        }
    }

    /** A {@code key=value} query for the URL, with the value percent-encoded. */
    static String query(Map<String, String> options) {
        StringBuilder q = new StringBuilder();
        options.forEach((k, v) -> q.append(q.length() == 0 ? "" : "&").append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return q.toString();
    }
}
