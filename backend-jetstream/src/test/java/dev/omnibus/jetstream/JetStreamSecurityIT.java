package dev.omnibus.jetstream;

import dev.omnibus.Delivery;
import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.nats.SecureNatsServer;
import dev.omnibus.tck.TestPki;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.omnibus.nats.SecureNatsServer.connectFails;
import static dev.omnibus.nats.SecureNatsServer.everything;
import static dev.omnibus.nats.SecureNatsServer.param;
import static dev.omnibus.nats.SecureNatsServer.quote;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * JetStream over mutual TLS with a password user limited by permissions, against one real nats-server: publish and
 * consume; a wrong password; a publish to a denied subject fails its own future PERMISSION_DENIED at once (no PubAck
 * comes); a subscription whose consumer requests the server denies fails PERMISSION_DENIED.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JetStreamSecurityIT {
    private static final String USER = "carol";
    private static final String PASSWORD = "c/a?r#o@l:%zz+";

    private Path dir;
    private TestPki pki;
    private SecureNatsServer server;
    private Omnibus bus;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("omnibus-jetstream-security");
        pki = TestPki.create(dir.resolve("pki"));
        server = SecureNatsServer.start(d -> "tls {\n"
                + "  cert_file: " + quote(pki.serverCertFile()) + "\n"
                + "  key_file: " + quote(pki.serverKeyFile()) + "\n"
                + "  ca_file: " + quote(pki.caFile()) + "\n"
                + "  verify: true\n"
                + "}\n"
                + "authorization {\n"
                + "  users = [\n"
                + "    { user: " + quote(USER) + ", password: " + quote(PASSWORD) + ", permissions: {\n"
                // publishing to jsdenied.> and the consumer API of stream 'jsnocons' are denied
                + "        publish: { allow: \">\", deny: [\"jsdenied.>\", \"$JS.API.CONSUMER.*.jsnocons\", "
                + "\"$JS.API.CONSUMER.*.jsnocons.>\"] }\n"
                + "        subscribe: { allow: \">\" } } }\n"
                + "  ]\n"
                + "}\n");
        bus = SecureNatsServer.connect(url(USER + ":" + PASSWORD));
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (bus != null) {
                bus.close(Duration.ofSeconds(5));
            }
        } finally {
            if (server != null) {
                server.close();
            }
            SecureNatsServer.deleteTree(dir);
        }
    }

    private String url(String userinfo) {
        return server.url("jetstream", userinfo, param("tls.ca.file", pki.caFile()) + "&"
                + param("tls.cert.file", pki.clientCertFile()) + "&" + param("tls.key.file", pki.clientKeyFile())
                + "&publish.timeout=3s&stream.storage=memory");
    }

    private static String topic(String prefix) {
        return prefix + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/it/js")).withType("t").build();
    }

    private static OmnibusException denied(Throwable t) {
        Throwable c = t;
        while (!(c instanceof OmnibusException) && c.getCause() != null) {
            c = c.getCause();
        }
        assertThat(c).isInstanceOf(OmnibusException.class);
        return (OmnibusException) c;
    }

    @Test
    void mutualTlsAndAPasswordWithReservedCharactersPublishAndConsume() {
        String t = topic("jsok");
        List<Delivery> seen = new CopyOnWriteArrayList<>();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t), seen::add);
        try {
            PublishReceipt r = bus.publisher().publish(t, event("j1")).toCompletableFuture().join();
            assertThat(Long.parseLong(r.position())).as("a stream sequence").isPositive();
            Awaitility.await("consumed").atMost(Duration.ofSeconds(15)).until(() -> seen.size() == 1);
        } finally {
            s.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void aWrongPasswordIsUnauthenticated() {
        OmnibusException e = connectFails(url(USER + ":nope/" + "x"), ErrorCode.UNAUTHENTICATED,
                "refused the credentials");
        assertThat(everything(e)).doesNotContain("nope/x");
    }

    @Test
    void aDeniedPublishFailsItsOwnFutureAtOnce() {
        String t = topic("jsdenied");
        long start = System.nanoTime();
        CompletableFuture<PublishReceipt> f = bus.publisher().publish(t, event("d1")).toCompletableFuture();
        assertThatThrownBy(f::join).satisfies(x -> {
            OmnibusException e = denied(x);
            assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
            assertThat(e.getMessage()).contains(t);
            assertThat(everything(e)).doesNotContain(PASSWORD);
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("before the 3 s publish timeout")
                .isLessThan(Duration.ofMillis(2_500));
        assertThat(bus.publisher().publish(topic("jsok"), event("after")).toCompletableFuture().join()).isNotNull();
    }

    @Test
    void aSubscriptionWhoseConsumerIsDeniedFailsPermissionDenied() {
        String t = topic("jsnocons");
        // the stream itself may be created (its API is allowed); the consumer's requests are denied
        assertThatThrownBy(() -> bus.subscriber().subscribe(SubscribeOptions.topic(t), d -> { }))
                .satisfies(x -> {
                    OmnibusException e = denied(x);
                    assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
                    assertThat(e.isRetryable()).isFalse();
                    assertThat(e.getMessage()).contains("$JS.API.CONSUMER.").contains("jsnocons");
                });
    }
}
