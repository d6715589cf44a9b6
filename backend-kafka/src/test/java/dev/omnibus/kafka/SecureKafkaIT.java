package dev.omnibus.kafka;

import dev.omnibus.Config;
import dev.omnibus.ConfigException;
import dev.omnibus.DeliveryHandler;
import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.StartPosition;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Kafka with security on, against one {@link SecureKafkaServer} per class: SASL_SSL with SCRAM and PLAIN, mutual
 * TLS, the server's certificate (CA and host name) and the client's checked, ACL denials for publish, topic and
 * group, a password with reserved characters, and {@code kafka.*} pass-through.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecureKafkaIT {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final SecureKafkaServer server = new SecureKafkaServer();
    private final List<AutoCloseable> opened = new ArrayList<>();
    /** Every exception a test saw, checked for secrets after each test. */
    private final List<Throwable> seen = new CopyOnWriteArrayList<>();

    /** What the test JVM's loggers (slf4j-simple: standard error) wrote while this class ran. */
    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private PrintStream standardError;

    @BeforeAll
    void startBroker() throws Exception {
        standardError = System.err;
        System.setErr(new PrintStream(new TeeOutputStream(standardError, logged), true, StandardCharsets.UTF_8));
        server.start();
    }

    @AfterAll
    void stopBroker() throws Exception {
        System.setErr(standardError);
        server.stop();
    }

    @AfterEach
    void closeWhatTheTestOpenedAndCheckNoSecretLeaked() throws Exception {
        Collections.reverse(opened);
        for (AutoCloseable c : opened) {
            if (c instanceof Omnibus) {
                ((Omnibus) c).close(Duration.ofSeconds(5));
            } else if (c instanceof Subscription) {
                ((Subscription) c).close(Duration.ofSeconds(5));
            }
        }
        opened.clear();
        for (Throwable t : seen) {
            for (Throwable c = t; c != null; c = c.getCause()) {
                for (String secret : List.of(SecureKafkaServer.ODD_PASSWORD, SecureKafkaServer.SCRAM_PASSWORD,
                        "wrong-" + SecureKafkaServer.SCRAM_PASSWORD, "p/a?s@s#w%o+r")) {
                    assertThat(String.valueOf(c.getMessage())).as("message of %s", c.getClass().getName())
                            .doesNotContain(secret);
                }
            }
        }
        seen.clear();
        String log = logOutput();
        for (String secret : List.of(SecureKafkaServer.ODD_PASSWORD, SecureKafkaServer.SCRAM_PASSWORD,
                SecureKafkaServer.PLAIN_PASSWORD, "p/a?s@s#w%o+r", "PRIVATE KEY")) {
            assertThat(log).as("log output of the test").doesNotContain(secret);
        }
    }

    private String logOutput() {
        synchronized (logged) {
            return logged.toString(StandardCharsets.UTF_8);
        }
    }

    /** Writes to two streams; the second under its own monitor, read by the after-each check. */
    private static final class TeeOutputStream extends OutputStream {
        private final OutputStream first;
        private final ByteArrayOutputStream second;

        TeeOutputStream(OutputStream first, ByteArrayOutputStream second) {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(int b) throws IOException {
            first.write(b);
            synchronized (second) {
                second.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            first.write(b, off, len);
            synchronized (second) {
                second.write(b, off, len);
            }
        }

        @Override
        public void flush() throws IOException {
            first.flush();
        }
    }

    // ------------------------------------------------------------------ what works

    @Test
    void saslSslWithScramAndTheCaFileConnectsPublishesAndConsumes() {
        // no security.protocol: credentials mean SASL_SSL
        Omnibus bus = connect(sasl(SecureKafkaServer.SCRAM_USER, SecureKafkaServer.SCRAM_PASSWORD,
                Map.of("sasl.mechanism", "SCRAM-SHA-512", "tls.ca.file", ca())));
        roundTrip(bus);
    }

    @Test
    void saslSslWithPlainConnectsPublishesAndConsumes() {
        Omnibus bus = connect(sasl(SecureKafkaServer.PLAIN_USER, SecureKafkaServer.PLAIN_PASSWORD,
                Map.of("tls.ca.file", ca())));
        roundTrip(bus);
    }

    @Test
    void mutualTlsConnectsPublishesAndConsumes() {
        Omnibus bus = connect(ssl(Map.of("tls.ca.file", ca(), "tls.cert.file",
                server.pki().clientCertFile().toString(), "tls.key.file", server.pki().clientKeyFile().toString())));
        roundTrip(bus);
    }

    @Test
    void aPasswordWithReservedCharactersWorksRawInTheUrl() {
        String url = "kafka://" + SecureKafkaServer.ODD_USER + ":" + SecureKafkaServer.ODD_PASSWORD + "@127.0.0.1:"
                + server.saslSslPort() + "?" + SecureKafkaServer.query(Map.of("sasl.mechanism", "SCRAM-SHA-512",
                "tls.ca.file", ca()));
        Omnibus bus = connect(url);
        assertThat(bus.toString()).doesNotContain("p/a?s@s#w%o+r");
        roundTrip(bus);
    }

    @Test
    void aJaasConfigPassedThroughReplacesTheUserinfo() {
        String jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + SecureKafkaServer.SCRAM_USER + "\" password=\"" + SecureKafkaServer.SCRAM_PASSWORD + "\";";
        Omnibus bus = connect("kafka://127.0.0.1:" + server.saslSslPort() + "?" + SecureKafkaServer.query(
                Map.of("sasl.mechanism", "SCRAM-SHA-512", "tls.ca.file", ca(), "kafka.sasl.jaas.config", jaas,
                        "kafka.client.rack", "rack-1")));
        roundTrip(bus);
    }

    @Test
    void aPassThroughOfAManagedPropertyIsRefusedNamingIt() {
        Throwable error = catchThrowable(() -> connect(sasl(SecureKafkaServer.SCRAM_USER,
                SecureKafkaServer.SCRAM_PASSWORD, Map.of("sasl.mechanism", "SCRAM-SHA-512", "tls.ca.file", ca(),
                        "kafka.enable.auto.commit", "true"))));
        seen.add(error);
        assertThat(error).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.enable.auto.commit' sets a property Omnibus manages");
    }

    // ------------------------------------------------------------------ authentication

    @Test
    void aWrongPasswordIsUnauthenticatedAtConnectAtOnce() {
        long start = System.nanoTime();
        OmnibusException error = connectFails(sasl(SecureKafkaServer.SCRAM_USER,
                "wrong-" + SecureKafkaServer.SCRAM_PASSWORD, Map.of("sasl.mechanism", "SCRAM-SHA-512",
                        "tls.ca.file", ca())));
        assertThat(error.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(error.isRetryable()).isFalse();
        assertThat(error).hasMessageContaining("refused the credentials");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("a refused password fails connect at once, "
                + "not after publish.timeout (30 s)").isLessThan(Duration.ofSeconds(10));
        // the log capture the after-each check reads does see the clients' log lines
        assertThat(logOutput()).contains("failed authentication");
    }

    @Test
    void aWrongPasswordWithReservedCharactersNeverAppearsInTheError() {
        String url = "kafka://" + SecureKafkaServer.SCRAM_USER + ":" + SecureKafkaServer.ODD_PASSWORD
                + "@127.0.0.1:" + server.saslSslPort() + "?" + SecureKafkaServer.query(
                Map.of("sasl.mechanism", "SCRAM-SHA-512", "tls.ca.file", ca()));
        OmnibusException error = connectFails(url);
        assertThat(error.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        // the after-each check walks the causes of every error for the password and its prefix
    }

    @Test
    void aServerCertificateFromAnotherCaIsUnauthenticated() {
        OmnibusException error = connectFails(sasl(SecureKafkaServer.SCRAM_USER, SecureKafkaServer.SCRAM_PASSWORD,
                Map.of("sasl.mechanism", "SCRAM-SHA-512", "tls.ca.file", server.pki().otherCaFile().toString())));
        assertThat(error.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(error.isRetryable()).isFalse();
        assertThat(error).hasMessageContaining("the server's certificate is not trusted");
    }

    @Test
    void aServerCertificateFromTheJvmTrustStoreIsNotEnough() {
        // TLS on, no tls.ca.file: the JVM's trust store does not know the test CA
        OmnibusException error = connectFails(ssl(Map.of("tls", "true")));
        assertThat(error.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(error).hasMessageContaining("not trusted");
    }

    @Test
    void aServerCertificateForAnotherHostIsUnauthenticated() {
        OmnibusException error = connectFails("kafka://127.0.0.1:" + server.wrongHostPort() + "?"
                + SecureKafkaServer.query(Map.of("tls.ca.file", ca())));
        assertThat(error.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(error).hasMessageContaining("the server's certificate is not trusted")
                .hasMessageContaining("127.0.0.1");
    }

    @Test
    void noClientCertificateOnAListenerThatRequiresOneIsUnauthenticated() {
        OmnibusException error = connectFails(ssl(Map.of("tls.ca.file", ca())));
        assertThat(error.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(error.isRetryable()).isFalse();
        assertThat(error).hasMessageContaining("tls.cert.file");
    }

    // ------------------------------------------------------------------ authorization

    @Test
    void aPublishToADeniedTopicFailsItsOwnStageWithPermissionDenied() {
        Omnibus bus = connect(alice());
        CompletableFuture<PublishReceipt> denied = bus.publisher().publish("denied-" + suffix(), event("d"))
                .toCompletableFuture();
        Throwable error = catchThrowable(() -> denied.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        seen.add(error);
        assertThat(error).hasCauseInstanceOf(OmnibusException.class);
        OmnibusException cause = (OmnibusException) error.getCause();
        assertThat(cause.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
        assertThat(cause.isRetryable()).isFalse();
        // the connection is fine: an allowed topic still takes events
        assertThat(bus.publisher().publish(SecureKafkaServer.ALLOWED + suffix(), event("ok")).toCompletableFuture()
                .join().topic()).startsWith(SecureKafkaServer.ALLOWED);
    }

    @Test
    void aSubscriptionToADeniedTopicEndsWithPermissionDenied() throws Exception {
        String topic = "denied-" + suffix();
        server.createTopic(topic);
        Omnibus bus = connect(alice());
        Subscription s = subscribe(bus, SubscribeOptions.topic(topic).group(SecureKafkaServer.ALLOWED + suffix()),
                e -> { });
        assertEndsWithPermissionDenied(s, topic);
    }

    @Test
    void aSubscriptionWithADeniedGroupEndsWithPermissionDenied() {
        String topic = SecureKafkaServer.ALLOWED + suffix();
        Omnibus bus = connect(alice());
        Subscription s = subscribe(bus, SubscribeOptions.topic(topic).group("denied-" + suffix()), e -> { });
        assertEndsWithPermissionDenied(s, topic);
    }

    // ------------------------------------------------------------------ helpers

    private void assertEndsWithPermissionDenied(Subscription s, String topic) {
        Awaitility.await("subscription to " + topic + " ends").atMost(WAIT).pollInterval(Duration.ofMillis(20))
                .until(() -> s.failure().isPresent());
        OmnibusException failure = s.failure().orElseThrow();
        seen.add(failure);
        assertThat(failure.code()).as("failure of the subscription to %s: %s", topic, failure.getMessage())
                .isEqualTo(ErrorCode.PERMISSION_DENIED);
        assertThat(s.isActive()).isFalse();
    }

    private void roundTrip(Omnibus bus) {
        String topic = SecureKafkaServer.ALLOWED + suffix();
        List<String> got = new CopyOnWriteArrayList<>();
        Subscription s = subscribe(bus, SubscribeOptions.topic(topic).group(SecureKafkaServer.ALLOWED + suffix())
                .startAt(StartPosition.earliest()), d -> got.add(d.event().getId()));
        PublishReceipt receipt = bus.publisher().publish(topic, event("e1")).toCompletableFuture().join();
        assertThat(receipt.topic()).isEqualTo(topic);
        Awaitility.await("the event comes back on " + topic).atMost(WAIT).pollInterval(Duration.ofMillis(20))
                .until(() -> got.contains("e1") || s.failure().isPresent());
        assertThat(s.failure()).isEmpty();
    }

    private String alice() {
        return sasl(SecureKafkaServer.SCRAM_USER, SecureKafkaServer.SCRAM_PASSWORD,
                Map.of("sasl.mechanism", "SCRAM-SHA-512", "tls.ca.file", ca()));
    }

    private String sasl(String user, String password, Map<String, String> options) {
        return "kafka://" + user + ":" + password + "@127.0.0.1:" + server.saslSslPort() + "?"
                + SecureKafkaServer.query(new LinkedHashMap<>(options));
    }

    private String ssl(Map<String, String> options) {
        return "kafka://127.0.0.1:" + server.sslPort() + "?" + SecureKafkaServer.query(new LinkedHashMap<>(options));
    }

    private String ca() {
        return server.pki().caFile().toString();
    }

    private Omnibus connect(String url) {
        Omnibus o = Omnibus.connect(Config.builder().url(url).useEnvironment(false).build());
        opened.add(o);
        return o;
    }

    private OmnibusException connectFails(String url) {
        Throwable error = catchThrowable(() -> connect(url));
        seen.add(error);
        assertThat(error).as("connect").isInstanceOf(OmnibusException.class);
        return (OmnibusException) error;
    }

    private Subscription subscribe(Omnibus on, SubscribeOptions options, DeliveryHandler handler) {
        Subscription s = on.subscriber().subscribe(options, handler);
        opened.add(s);
        return s;
    }

    private static String suffix() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/secure-it")).withType("dev.omnibus.it")
                .withData("text/plain", id.getBytes(StandardCharsets.UTF_8)).build();
    }
}
