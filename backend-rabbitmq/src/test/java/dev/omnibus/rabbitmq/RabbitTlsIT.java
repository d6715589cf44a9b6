package dev.omnibus.rabbitmq;

import dev.omnibus.Config;
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

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@code amqps://} against one real RabbitMQ node with a TLS listener ({@link RabbitHarness#tlsConfig}, client
 * certificates optional) and a user whose password holds every character a URL reserves: with {@code tls.ca.file}
 * events round-trip; a server certificate from another CA, or one that does not name the host, is refused as
 * {@code UNAUTHENTICATED} (not retried) with a message naming what to check; a wrong password is
 * {@code UNAUTHENTICATED} and never shown. Certificates are made at test time ({@link TestPki}); nothing is committed.
 * Mutual TLS is {@link RabbitMutualTlsIT}'s (it needs a node that requires client certificates).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RabbitTlsIT {
    static final String USER = "alice";
    /** Every character a URL reserves, raw: the userinfo ends at the last '@'. */
    static final String PASSWORD = "pa/ss?#@:%+w0rd";

    private Path dir;
    private TestPki pki;
    private RabbitHarness node;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("omnibus-rabbit-tls");
        pki = TestPki.create(dir.resolve("pki"));
        node = new RabbitHarness("", RabbitHarness.tlsConfig(pki, false), defaultUser(USER, PASSWORD));
        node.start();
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (node != null) {
                node.stop();
            }
        } finally {
            deleteTree(dir);
        }
    }

    private String trust() {
        return "?tls.ca.file=" + pki.caFile();
    }

    private String alice() {
        return USER + ":" + PASSWORD;
    }

    @Test
    void amqps_with_a_ca_file_and_a_password_holding_every_reserved_character_round_trips() {
        try (Omnibus bus = connect(node.tlsUrl("127.0.0.1", alice(), trust()))) {
            assertThat(String.valueOf(bus)).doesNotContain(PASSWORD).doesNotContain("pa/ss");
            roundTrip(bus);
        }
    }

    @Test
    void amqp_with_a_ca_file_speaks_tls_too() {
        // tls.ca.file implies tls=true; the port must be given, as amqp:// defaults to 5672
        try (Omnibus bus = connect("amqp://" + alice() + "@127.0.0.1:" + node.extraPort() + trust())) {
            roundTrip(bus);
        }
    }

    @Test
    void a_server_signed_by_another_ca_is_not_trusted() {
        long start = System.nanoTime();
        OmnibusException e = connectFails(node.tlsUrl("127.0.0.1", alice(), "?tls.ca.file=" + pki.otherCaFile()));
        assertThat(e.code()).as(e.toString()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("not trusted").contains("tls.ca.file");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(everything(e)).doesNotContain(PASSWORD).doesNotContain("pa/ss");
        // without a CA file the JVM's trust store does not know the test CA either
        OmnibusException jvm = connectFails(node.tlsUrl("127.0.0.1", alice(), ""));
        assertThat(jvm.code()).as(jvm.toString()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(jvm.getMessage()).contains("not trusted");
    }

    @Test
    void a_certificate_that_does_not_name_the_host_is_refused() {
        // 127.0.0.2 reaches the same listener, but the certificate names only localhost and 127.0.0.1
        OmnibusException e = connectFails(node.tlsUrl("127.0.0.2", alice(), trust()));
        assertThat(e.code()).as(e.toString()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("host name").contains("127.0.0.2");
    }

    @Test
    void a_wrong_password_is_unauthenticated_not_retryable_and_never_shown() {
        String wrong = "not-" + PASSWORD;
        long start = System.nanoTime();
        OmnibusException e = connectFails(node.tlsUrl("127.0.0.1", USER + ":" + wrong, trust()));
        assertThat(e.code()).as(e.toString()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("refused the login").contains("user and password");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(everything(e)).doesNotContain(wrong).doesNotContain("pa/ss");
        // an unknown user is refused the same way
        OmnibusException unknown = connectFails(node.tlsUrl("127.0.0.1", "mallory:" + wrong, trust()));
        assertThat(unknown.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(everything(unknown)).doesNotContain(wrong).doesNotContain("pa/ss");
    }

    /** An {@code advanced.config} whose default user (made on the node's first start) is {@code user}. */
    static String defaultUser(String user, String password) {
        // Erlang binaries take any character but '"' and '\'; rabbitmq.conf would read '#' as a comment
        return "[{rabbit, [{default_user, <<\"" + user + "\">>}, {default_pass, <<\"" + password + "\">>}]}].\n";
    }

    static Omnibus connect(String url) {
        return Omnibus.connect(Config.builder().url(url).useEnvironment(false).build());
    }

    /** The exception {@code Omnibus.connect(url)} fails with. */
    static OmnibusException connectFails(String url) {
        OmnibusException e = catchThrowableOfType(OmnibusException.class, () -> connect(url).close());
        assertThat(e).as("connecting must fail").isNotNull();
        return e;
    }

    /** Publishes one event and reads it back through a subscription: the connection works end to end. */
    static void roundTrip(Omnibus bus) {
        String t = "omnibus.tls." + UUID.randomUUID().toString().substring(0, 8);
        List<String> got = new CopyOnWriteArrayList<>();
        bus.subscriber().subscribe(SubscribeOptions.topic(t), d -> got.add(d.event().getId()));
        CloudEvent event = CloudEventBuilder.v1().withId("e-1").withSource(URI.create("/tls"))
                .withType("dev.omnibus.tls").withData("text/plain", "e-1".getBytes(StandardCharsets.UTF_8)).build();
        bus.publisher().publish(t, event).toCompletableFuture().join();
        Awaitility.await("the event back").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(10))
                .until(() -> got.contains("e-1"));
    }

    /** The message, toString and stack trace of {@code t}, its causes and suppressed exceptions. */
    static String everything(Throwable t) {
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
