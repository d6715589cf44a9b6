package dev.omnibus.rabbitmq;

import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.tck.TestPki;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.omnibus.rabbitmq.RabbitTlsIT.PASSWORD;
import static dev.omnibus.rabbitmq.RabbitTlsIT.USER;
import static dev.omnibus.rabbitmq.RabbitTlsIT.connect;
import static dev.omnibus.rabbitmq.RabbitTlsIT.connectFails;
import static dev.omnibus.rabbitmq.RabbitTlsIT.everything;
import static dev.omnibus.rabbitmq.RabbitTlsIT.roundTrip;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutual TLS against one real RabbitMQ node that requires a client certificate ({@code ssl_options.verify =
 * verify_peer}, {@code ssl_options.fail_if_no_peer_cert = true}): with {@code tls.cert.file}/{@code tls.key.file}
 * events round-trip and the connection recovers over TLS after a {@code kill -9} of the node; without them (or with
 * a certificate from a CA the node does not trust) the node refuses the handshake and connect fails
 * {@code UNAUTHENTICATED} at once, naming the options to check. The client still logs in with its user and password (RabbitMQ's default PLAIN
 * mechanism; the certificate only admits the connection).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RabbitMutualTlsIT {
    private Path dir;
    private TestPki pki;
    private RabbitHarness node;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("omnibus-rabbit-mtls");
        pki = TestPki.create(dir.resolve("pki"));
        node = new RabbitHarness("", RabbitHarness.tlsConfig(pki, true), RabbitTlsIT.defaultUser(USER, PASSWORD));
        node.start();
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (node != null) {
                node.stop();
            }
        } finally {
            RabbitTlsIT.deleteTree(dir);
        }
    }

    private String tls(boolean clientCertificate) {
        return "?tls.ca.file=" + pki.caFile() + (clientCertificate ? "&tls.cert.file=" + pki.clientCertFile()
                + "&tls.key.file=" + pki.clientKeyFile() : "");
    }

    @Test
    void with_the_client_certificate_it_connects_publishes_consumes_and_recovers_after_a_restart() throws Exception {
        try (Omnibus bus = connect(node.tlsUrl("127.0.0.1", USER + ":" + PASSWORD, tls(true)
                + "&reconnect.max=500ms"))) {
            roundTrip(bus);
            String t = "omnibus.mtls." + UUID.randomUUID().toString().substring(0, 8);
            List<String> got = new CopyOnWriteArrayList<>();
            bus.subscriber().subscribe(SubscribeOptions.topic(t).group("g"), d -> got.add(d.event().getId()));
            publish(bus, t, "before");
            Awaitility.await("the first event").atMost(Duration.ofSeconds(15)).until(() -> got.contains("before"));

            node.restartBroker(); // kill -9 and start: the client recovers over TLS with its certificate
            // publishes fail UNAVAILABLE until the connection is back; then one goes through
            Awaitility.await("a publish after the restart").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200)).ignoreException(OmnibusException.class)
                    .until(() -> {
                        publish(bus, t, "after");
                        return true;
                    });
            Awaitility.await("the event published after the restart").atMost(Duration.ofSeconds(30))
                    .until(() -> got.contains("after"));
        }
    }

    private static void publish(Omnibus bus, String topic, String id) {
        CloudEvent event = CloudEventBuilder.v1().withId(id).withSource(URI.create("/mtls"))
                .withType("dev.omnibus.mtls").withData("text/plain", id.getBytes(StandardCharsets.UTF_8)).build();
        try {
            bus.publisher().publish(topic, event).toCompletableFuture().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof OmnibusException ? (OmnibusException) e.getCause() : e;
        }
    }

    @Test
    void without_a_client_certificate_the_node_refuses_the_handshake() {
        long start = System.nanoTime();
        OmnibusException e = connectFails(node.tlsUrl("127.0.0.1", USER + ":" + PASSWORD, tls(false)));
        assertThat(e.code()).as(e.toString()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("client certificate").contains("tls.cert.file");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(everything(e)).doesNotContain(PASSWORD).doesNotContain("pa/ss");
    }

    @Test
    void a_client_certificate_the_node_does_not_trust_is_refused() {
        // a client certificate (and key) issued by another, fresh PKI's CA, which the node does not trust (the JDK
        // does not even offer it, as its issuer is not among the CAs the node asks for: refused all the same)
        TestPki other = TestPki.create(dir.resolve("other-pki"));
        String query = "?tls.ca.file=" + pki.caFile() + "&tls.cert.file=" + other.clientCertFile()
                + "&tls.key.file=" + other.clientKeyFile();
        OmnibusException e = connectFails(node.tlsUrl("127.0.0.1", USER + ":" + PASSWORD, query));
        assertThat(e.code()).as(e.toString()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("tls.cert.file");
    }
}
