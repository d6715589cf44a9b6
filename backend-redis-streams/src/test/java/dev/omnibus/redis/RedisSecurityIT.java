package dev.omnibus.redis;

import dev.omnibus.Capability;
import dev.omnibus.Config;
import dev.omnibus.ConfigException;
import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.lettuce.core.AclSetuserArgs;
import io.lettuce.core.KillArgs;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Redis security against a real {@code redis-server} with a TLS port ({@code tls-auth-clients optional}), a
 * plaintext port and ACL users ({@link SecureRedisServer}): TLS with a per-connection CA, the server's certificate
 * and host name verified, ACL users and {@code requirepass}-style passwords from the URL, refusals as
 * {@code UNAUTHENTICATED}, ACL denials as {@code PERMISSION_DENIED}, and passwords that never reach a message.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisSecurityIT {
    /** Every character a URL reserves, raw: the userinfo ends at the last '@'. */
    static final String ALICE_PASSWORD = "pa/ss?#@:%+w0rd";
    private static final String DEFAULT_PASSWORD = "def-pw";
    private static final String CAROL_PASSWORD = "carol-pw";
    private static final String DAVE_PASSWORD = "dave-pw";
    private static final String ERIN_PASSWORD = "erin-pw";

    private SecureRedisServer redis;
    private final List<Omnibus> opened = new ArrayList<>();

    @BeforeAll
    void startServer() throws Exception {
        redis = SecureRedisServer.start("optional", true, Map.of(
                "default", List.of(DEFAULT_PASSWORD, "~omnibus.* &* +@all"),
                "alice", List.of(ALICE_PASSWORD, "~omnibus.* &* +@all"),
                "carol", List.of(CAROL_PASSWORD, "~omnibus.* &* +@all -xreadgroup -info"),
                "dave", List.of(DAVE_PASSWORD, "~omnibus.* &* +@all"),
                "erin", List.of(ERIN_PASSWORD, "~omnibus.* &* +@all -client")));
    }

    @AfterAll
    void stopServer() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void closeWhatTheTestOpened() {
        Collections.reverse(opened);
        for (Omnibus o : opened) {
            o.close(Duration.ofSeconds(5));
        }
        opened.clear();
    }

    private Omnibus open(String url) {
        Omnibus o = Omnibus.connect(Config.builder().url(url).useEnvironment(false).build());
        opened.add(o);
        return o;
    }

    /** The exception {@code Omnibus.connect(url)} fails with. */
    private static OmnibusException connectFails(String url) {
        OmnibusException e = catchThrowableOfType(OmnibusException.class,
                () -> Omnibus.connect(Config.builder().url(url).useEnvironment(false).build()).close());
        assertThat(e).as("connecting to %s must fail", url).isNotNull();
        return e;
    }

    private String alice() {
        return "alice:" + ALICE_PASSWORD;
    }

    private static String topic(String prefix) {
        return prefix + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/sec")).withType("dev.omnibus.sec")
                .withData("text/plain", id.getBytes(StandardCharsets.UTF_8)).build();
    }

    private static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(10));
    }

    /** Publishes one event and reads it back through a subscription: the connection works end to end. */
    private static void roundTrip(Omnibus bus) {
        String t = topic("omnibus.rt");
        List<String> got = new CopyOnWriteArrayList<>();
        bus.subscriber().subscribe(SubscribeOptions.topic(t), d -> got.add(d.event().getId()));
        bus.publisher().publish(t, event("e-1")).toCompletableFuture().join();
        await("the event back").until(() -> got.contains("e-1"));
    }

    /** The message, toString and stack trace of {@code t}, its causes and suppressed exceptions. */
    private static String everything(Throwable t) {
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    @Test
    void rediss_with_a_ca_file_and_an_acl_user_whose_password_holds_every_reserved_character_round_trips() {
        roundTrip(open(redis.tlsUrl(alice()) + redis.trustQuery()));
    }

    @Test
    void redis_with_tls_true_speaks_tls() {
        roundTrip(open("redis://" + alice() + "@127.0.0.1:" + redis.tlsPort() + redis.trustQuery() + "&tls=true"));
    }

    @Test
    void password_only_urls_authenticate_the_default_user_as_requirepass_does() {
        roundTrip(open("redis://:" + DEFAULT_PASSWORD + "@127.0.0.1:" + redis.plainPort()));
        // a userinfo without ':' is the password, as redis-cli reads it
        roundTrip(open("redis://" + DEFAULT_PASSWORD + "@127.0.0.1:" + redis.plainPort()));
    }

    @Test
    void a_server_signed_by_another_ca_is_not_trusted() {
        long start = System.nanoTime();
        OmnibusException e = connectFails(redis.tlsUrl(alice()) + "?tls.ca.file=" + redis.pki().otherCaFile());
        assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("not trusted").contains("tls.ca.file");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        // without a CA file the JVM's trust store does not know the test CA either
        assertThat(connectFails(redis.tlsUrl(alice())).code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void a_certificate_that_does_not_name_the_host_is_refused() {
        OmnibusException e = connectFails("rediss://" + alice() + "@127.0.0.2:" + redis.tlsPort()
                + redis.trustQuery());
        assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(e.getMessage()).contains("host name").contains("127.0.0.2");
    }

    @Test
    void a_wrong_password_fails_connect_at_once_with_one_attempt() {
        long before = redis.authFailures("alice");
        long start = System.nanoTime();
        OmnibusException e = connectFails(redis.tlsUrl("alice:not-" + ALICE_PASSWORD) + redis.trustQuery());
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("WRONGPASS").contains("user and password");
        assertThat(took).isLessThan(Duration.ofSeconds(3));
        assertThat(redis.authFailures("alice") - before).as("AUTH attempts the server refused").isEqualTo(1);
        assertThat(everything(e)).doesNotContain(ALICE_PASSWORD);
    }

    @Test
    void no_credentials_against_a_server_that_wants_them_is_unauthenticated() {
        OmnibusException e = connectFails("redis://127.0.0.1:" + redis.plainPort());
        assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(e.getMessage()).contains("NOAUTH");
    }

    @Test
    void the_password_is_in_no_exception_no_config_text_and_no_log_line() {
        // slf4j-simple writes to whatever System.err is at each line: catch this test's log lines
        PrintStream err = System.err;
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        System.setErr(new PrintStream(new TeeOutputStream(err, logged), true, StandardCharsets.UTF_8));
        try {
            secretsStayOut(logged);
        } finally {
            System.setErr(err);
        }
        String lines = logged.toString(StandardCharsets.UTF_8);
        assertThat(lines).as("what a failed connect and a disconnect/reconnect log")
                .contains("lost the connection").contains("reconnected")
                .doesNotContain(ALICE_PASSWORD).doesNotContain("pa/ss");
    }

    private void secretsStayOut(ByteArrayOutputStream logged) {
        String url = redis.tlsUrl(alice());
        List<Throwable> failures = new ArrayList<>();
        failures.add(connectFails(url + "?tls.ca.file=" + redis.pki().otherCaFile()));
        failures.add(connectFails("rediss://" + alice() + "@127.0.0.1:1" + redis.trustQuery()));
        failures.add(connectFails(url + redis.trustQuery() + "&trim.maxlen=5&trim.max.age=1m"));
        failures.add(connectFails(url + redis.trustQuery() + "&trim.maxlen=many"));
        failures.add(connectFails(url + "?tls.ca.file=/nonexistent/ca.pem"));
        OmnibusException noHost = connectFails("rediss://" + alice() + "@:" + redis.tlsPort());
        assertThat(noHost).isInstanceOf(ConfigException.class).hasMessageContaining("names no host");
        failures.add(noHost);
        failures.add(connectFails("redis://" + alice() + "@[::1"));
        for (Throwable f : failures) {
            assertThat(everything(f)).as("everything about %s", f.getClass().getSimpleName())
                    .doesNotContain(ALICE_PASSWORD).doesNotContain("pa/ss");
        }
        Config config = Config.builder().url(url + redis.trustQuery()).useEnvironment(false).build();
        assertThat(config.toString()).doesNotContain(ALICE_PASSWORD).doesNotContain("pa/ss");
        Omnibus bus = open(url + redis.trustQuery() + "&reconnect.max=200ms");
        assertThat(String.valueOf(bus)).doesNotContain("pa/ss");
        redis.admin().clientKill(KillArgs.Builder.user("alice"));
        await("a reconnect to be logged").until(() -> logged.toString(StandardCharsets.UTF_8).contains("reconnected"));
        roundTrip(bus);
    }

    /** Writes to two streams. */
    private static final class TeeOutputStream extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        TeeOutputStream(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] bytes, int off, int len) throws IOException {
            a.write(bytes, off, len);
            b.write(bytes, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }
    }

    @Test
    void a_publish_to_a_key_outside_the_users_patterns_fails_permission_denied_and_only_that_publish() {
        Omnibus bus = open(redis.tlsUrl(alice()) + redis.trustQuery());
        CompletionException e = catchThrowableOfType(CompletionException.class,
                () -> bus.publisher().publish(topic("other.denied"), event("d-1")).toCompletableFuture().join());
        assertThat(e).isNotNull();
        OmnibusException cause = (OmnibusException) e.getCause();
        assertThat(cause.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
        assertThat(cause.isRetryable()).isFalse();
        assertThat(cause.getMessage()).contains("NOPERM");
        roundTrip(bus);
    }

    @Test
    void a_subscription_to_a_denied_stream_is_refused_permission_denied() {
        Omnibus bus = open(redis.tlsUrl(alice()) + redis.trustQuery());
        OmnibusException e = catchThrowableOfType(OmnibusException.class, () -> bus.subscriber()
                .subscribe(SubscribeOptions.topic(topic("other.denied")), d -> { }));
        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
        roundTrip(bus);
    }

    @Test
    void a_subscription_whose_reads_are_denied_ends_with_permission_denied() {
        Omnibus bus = open(redis.tlsUrl("carol:" + CAROL_PASSWORD) + redis.trustQuery());
        // a user without INFO connects all the same
        assertThat(bus.capabilities().has(Capability.DURABLE)).isFalse();
        // XGROUP CREATE is allowed, XREADGROUP is not: the denial comes from the receive loop
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(topic("omnibus.noread")), d -> { });
        await("the subscription to end").until(() -> s.failure().isPresent());
        assertThat(s.failure().get().code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
        assertThat(s.isActive()).isFalse();
    }

    /**
     * A user without {@code CLIENT} subscribes, receives and closes all the same: the reader's {@code CLIENT ID} (asked
     * ahead of a blocking read, for close's {@code CLIENT UNBLOCK}) is refused once and then no longer asked, and a
     * close waits out the blocking read instead. If this fails, check {@code RedisReceiver.wakeup} and
     * {@code denyUnblock}.
     */
    @Test
    void a_user_without_client_commands_receives_and_closes_and_is_refused_client_id_once() {
        Omnibus bus = open(redis.tlsUrl("erin:" + ERIN_PASSWORD) + redis.trustQuery());
        String t = topic("omnibus.noclient");
        List<String> got = new CopyOnWriteArrayList<>();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t), d -> got.add(d.event().getId()));
        for (int i = 0; i < 3; i++) { // each event ends a blocking read; the next read blocks again
            String id = "nc-" + i;
            bus.publisher().publish(t, event(id)).toCompletableFuture().join();
            await("event " + id).until(() -> got.contains(id));
        }
        assertThat(s.close(Duration.ofSeconds(5))).isTrue();
        assertThat(s.failure()).isEmpty();
        assertThat(redis.commandDenials("erin", "client|id")).as("refused CLIENT IDs in the ACL log").isEqualTo(1);
    }

    @Test
    void a_password_refused_at_reconnect_ends_subscriptions_fails_publishes_fast_and_is_retried_at_the_policys_pace()
            throws Exception {
        Omnibus bus = open(redis.tlsUrl("dave:" + DAVE_PASSWORD) + redis.trustQuery() + "&reconnect.max=1s");
        String t = topic("omnibus.re");
        List<String> got = new CopyOnWriteArrayList<>();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t), d -> got.add(d.event().getId()));
        bus.publisher().publish(t, event("before")).toCompletableFuture().join();
        await("the first event").until(() -> got.contains("before"));

        String changed = "dave-new-pw";
        redis.admin().aclSetuser("dave", AclSetuserArgs.Builder.resetpass().addHashedPassword(
                SecureRedisServer.sha256(changed)));
        long before = redis.authFailures("dave");
        redis.admin().clientKill(KillArgs.Builder.user("dave"));

        await("the subscription to end").until(() -> s.failure().isPresent());
        assertThat(s.failure().get().code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        await("publishes to fail as refused").until(() -> {
            try {
                bus.publisher().publish(t, event("refused")).toCompletableFuture().join();
                return false;
            } catch (CompletionException e) {
                return e.getCause() instanceof OmnibusException o && o.code() == ErrorCode.UNAUTHENTICATED;
            }
        });
        long start = System.nanoTime();
        CompletionException fast = catchThrowableOfType(CompletionException.class,
                () -> bus.publisher().publish(t, event("fast")).toCompletableFuture().join());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(500));
        assertThat(((OmnibusException) fast.getCause()).code()).isEqualTo(ErrorCode.UNAUTHENTICATED);

        // the remaining connections keep reconnecting at the policy's pace (100 ms doubling to 1 s, jittered): a
        // few attempts each in these seconds, where a storm would be hundreds
        long window = System.nanoTime();
        await("two seconds to pass").pollDelay(Duration.ofSeconds(2)).until(() -> true);
        long attempts = redis.authFailures("dave") - before;
        assertThat(attempts).as("refused AUTHs in %s ms", (System.nanoTime() - window) / 1_000_000)
                .isBetween(1L, 24L);

        // the password back: the client reconnects at its next attempt and publishes again
        redis.admin().aclSetuser("dave", AclSetuserArgs.Builder.resetpass().addHashedPassword(
                SecureRedisServer.sha256(DAVE_PASSWORD)));
        await("publishing to work again").atMost(Duration.ofSeconds(30)).until(() -> {
            try {
                bus.publisher().publish(t, event("after")).toCompletableFuture().join();
                return true;
            } catch (CompletionException e) {
                return false;
            }
        });
    }
}
