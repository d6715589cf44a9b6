package dev.omnibus.nats;

import dev.omnibus.Delivery;
import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.tck.TestPki;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.nats.client.NKey;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.omnibus.nats.SecureNatsServer.connect;
import static dev.omnibus.nats.SecureNatsServer.connectFails;
import static dev.omnibus.nats.SecureNatsServer.everything;
import static dev.omnibus.nats.SecureNatsServer.param;
import static dev.omnibus.nats.SecureNatsServer.quote;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * NATS core over TLS (server certificate only) with password users limited by subject permissions and an NKey
 * user, against one real nats-server: connect, publish and consume over TLS; a server whose CA is not trusted, a
 * wrong password; a password with every reserved URL character, raw in the URL; an NKey seed file; a denied publish
 * fails its own future, a denied subscription ends.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NatsTlsUsersIT {
    /** Every character a URL reserves, raw: the userinfo ends at the last '@'. */
    static final String PASSWORD = "pa/ss?w#rd@x:y%zz+1";
    private static final String USER = "alice";

    private Path dir;
    private TestPki pki;
    private SecureNatsServer server;
    private Path nkeyFile;
    private Omnibus alice;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("omnibus-nats-tls-users");
        pki = TestPki.create(dir.resolve("pki"));
        NKey bob = NKey.createUser(new SecureRandom());
        nkeyFile = dir.resolve("bob.nk");
        Files.writeString(nkeyFile, new String(bob.getSeed()) + "\n");
        String bobKey = new String(bob.getPublicKey());
        server = SecureNatsServer.start(d -> "tls {\n"
                + "  cert_file: " + quote(pki.serverCertFile()) + "\n"
                + "  key_file: " + quote(pki.serverKeyFile()) + "\n"
                + "  ca_file: " + quote(pki.caFile()) + "\n"
                + "}\n"
                + "authorization {\n"
                + "  users = [\n"
                + "    { user: " + quote(USER) + ", password: " + quote(PASSWORD) + ", permissions: {\n"
                + "        publish: { allow: \">\", deny: [\"denied.>\"] }\n"
                + "        subscribe: { allow: \">\", deny: [\"denied.>\"] } } }\n"
                + "    { nkey: " + quote(bobKey) + " }\n"
                + "  ]\n"
                + "}\n");
        alice = connect(aliceUrl("nats", ""));
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (alice != null) {
                alice.close(Duration.ofSeconds(5));
            }
        } finally {
            if (server != null) {
                server.close();
            }
            SecureNatsServer.deleteTree(dir);
        }
    }

    private String aliceUrl(String scheme, String more) {
        return server.url(scheme, USER + ":" + PASSWORD, param("tls.ca.file", pki.caFile()) + more);
    }

    static String topic(String prefix) {
        return prefix + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/it/security")).withType("t")
                .withData("text/plain", id.getBytes(StandardCharsets.UTF_8)).build();
    }

    /** Publishes one event on {@code bus} and checks a subscription of the same bus receives it. */
    static void roundTrip(Omnibus bus, String topic) {
        List<Delivery> seen = new CopyOnWriteArrayList<>();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(topic), seen::add);
        try {
            PublishReceipt r = bus.publisher().publish(topic, event("e1")).toCompletableFuture().join();
            assertThat(r.topic()).isEqualTo(topic);
            Awaitility.await("the event comes back").atMost(Duration.ofSeconds(15)).until(() -> seen.size() == 1);
            assertThat(seen.get(0).event().getId()).isEqualTo("e1");
        } finally {
            s.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void aPasswordWithEveryReservedCharacterWorksRawInTheUrlOverTls() {
        roundTrip(alice, topic("ok"));
    }

    @Test
    void aServerSignedByAnotherCaIsNotTrusted() {
        OmnibusException e = connectFails(server.url("nats", USER + ":" + PASSWORD,
                param("tls.ca.file", pki.otherCaFile())), ErrorCode.UNAUTHENTICATED, "tls.ca.file");
        assertThat(everything(e)).doesNotContain(PASSWORD);
    }

    @Test
    void withoutTlsTheServerSaysItRequiresIt() {
        connectFails(server.url("nats", USER + ":" + PASSWORD, ""), ErrorCode.INVALID_CONFIG, "requires TLS");
    }

    @Test
    void aWrongPasswordIsUnauthenticatedAndNeverShown() {
        String wrong = "wr/ong?pa#ss@w:rd%+";
        OmnibusException e = connectFails(server.url("nats", USER + ":" + wrong, param("tls.ca.file", pki.caFile())),
                ErrorCode.UNAUTHENTICATED, "refused the credentials");
        assertThat(everything(e)).doesNotContain(wrong).doesNotContain("ong?pa");
        OmnibusException unknown = connectFails(server.url("nats", "mallory:" + PASSWORD,
                param("tls.ca.file", pki.caFile())), ErrorCode.UNAUTHENTICATED, "refused the credentials");
        assertThat(everything(unknown)).doesNotContain(PASSWORD);
    }

    @Test
    void anNkeySeedFileAuthenticates() throws Exception {
        try (Omnibus bob = connect(server.url("nats", null, param("tls.ca.file", pki.caFile()) + "&"
                + param("nkey.file", nkeyFile)))) {
            roundTrip(bob, topic("nkey"));
        }
        Path other = dir.resolve("stranger.nk");
        Files.writeString(other, new String(NKey.createUser(new SecureRandom()).getSeed()));
        connectFails(server.url("nats", null, param("tls.ca.file", pki.caFile()) + "&" + param("nkey.file", other)),
                ErrorCode.UNAUTHENTICATED, "refused the credentials");
    }

    @Test
    void aFileThatHoldsNoSeedIsAConfigErrorThatNeverQuotesIt() throws Exception {
        Path junk = dir.resolve("junk.nk");
        Files.writeString(junk, "not-a-seed-SECRETVALUE\n");
        OmnibusException e = connectFails(server.url("nats", null, param("tls.ca.file", pki.caFile()) + "&"
                + param("nkey.file", junk)), ErrorCode.INVALID_CONFIG, "nkey.file");
        assertThat(everything(e)).doesNotContain("SECRETVALUE");
        connectFails(server.url("nats", null, param("creds.file", dir.resolve("missing.creds"))),
                ErrorCode.INVALID_CONFIG, "creds.file");
    }

    @Test
    void aDeniedPublishFailsItsOwnFutureAndTheOthersAreConfirmed() {
        String denied = topic("denied");
        String allowed = topic("ok");
        CompletableFuture<PublishReceipt> before = alice.publisher().publish(allowed, event("a"))
                .toCompletableFuture();
        CompletableFuture<PublishReceipt> bad = alice.publisher().publish(denied, event("d")).toCompletableFuture();
        CompletableFuture<PublishReceipt> after = alice.publisher().publish(allowed, event("b"))
                .toCompletableFuture();
        assertThatThrownBy(bad::join).hasCauseInstanceOf(OmnibusException.class).satisfies(t -> {
            OmnibusException e = (OmnibusException) t.getCause();
            assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
            assertThat(e.isRetryable()).isFalse();
            assertThat(e.getMessage()).contains(denied);
            assertThat(everything(e)).doesNotContain(PASSWORD);
        });
        assertThat(before.join().topic()).isEqualTo(allowed);
        assertThat(after.join().topic()).isEqualTo(allowed);
        // the connection goes on: a later publish is confirmed
        roundTrip(alice, topic("ok"));
    }

    @Test
    void aDeniedSubscriptionEndsWithPermissionDenied() {
        Subscription s = alice.subscriber().subscribe(SubscribeOptions.topic(topic("denied")), d -> { });
        Awaitility.await("the subscription ends").atMost(Duration.ofSeconds(15)).until(() -> !s.isActive());
        assertThat(s.failure()).get().satisfies(e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
            assertThat(e.getMessage()).contains("denied.");
        });
        // others on the same connection go on
        roundTrip(alice, topic("ok"));
    }
}
