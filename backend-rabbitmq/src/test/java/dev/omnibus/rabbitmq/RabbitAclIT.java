package dev.omnibus.rabbitmq;

import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static dev.omnibus.rabbitmq.RabbitTlsIT.connect;
import static dev.omnibus.rabbitmq.RabbitTlsIT.connectFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * A node with users whose permissions (RabbitMQ's configure/write/read regular expressions per vhost, set with
 * {@code rabbitmqctl} on the harness's own node) deny part of what Omnibus does: every denial is a typed, not
 * retried {@code PERMISSION_DENIED} that names what to check and never shows the password, and what the user may
 * do still works on the same connection.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RabbitAclIT {
    private static final String PASSWORD = "s3cret-" + UUID.randomUUID();
    private static final List<String> CTL = List.of("/usr/lib/rabbitmq/bin/rabbitmqctl", "/usr/sbin/rabbitmqctl");
    private static final Duration WAIT = Duration.ofSeconds(30);

    private RabbitHarness node;

    @BeforeAll
    void start() throws Exception {
        node = new RabbitHarness();
        node.start();
        // a user the node knows but who may not use the vhost at all
        ctl("add_user", "nobody", PASSWORD);
        // may declare and publish, may not read: no binding (it reads the exchange), no consuming
        ctl("add_user", "writer", PASSWORD);
        ctl("set_permissions", "-p", "/", "writer", ".*", ".*", "^$");
        // may declare, bind and consume, may not publish to the exchange
        ctl("add_user", "reader", PASSWORD);
        ctl("set_permissions", "-p", "/", "reader", ".*", "^omnibus:.*|^amq\\.default$", ".*");
    }

    @AfterAll
    void stop() throws Exception {
        if (node != null) {
            node.stop();
        }
    }

    private String url(String user) {
        return node.url().replace("amqp://", "amqp://" + user + ":" + PASSWORD + "@");
    }

    private static CloudEvent event() {
        return CloudEventBuilder.v1().withId(UUID.randomUUID().toString()).withSource(URI.create("/acl"))
                .withType("acl").withData("text/plain", "x".getBytes(StandardCharsets.UTF_8)).build();
    }

    @Test
    void a_user_without_access_to_the_vhost_is_refused_typed_at_connect() {
        OmnibusException e = connectFails(url("nobody"));
        assertThat(e.code()).as(e.toString()).isEqualTo(ErrorCode.PERMISSION_DENIED);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("vhost");
        assertThat(RabbitTlsIT.everything(e)).doesNotContain(PASSWORD);
    }

    @Test
    void a_user_who_may_not_read_publishes_and_is_refused_typed_at_subscribe() throws Exception {
        try (Omnibus bus = connect(url("writer"))) {
            bus.publisher().publish("acl.write", event()).toCompletableFuture().get(30, TimeUnit.SECONDS);
            OmnibusException e = subscribeFails(bus, SubscribeOptions.topic("acl.write").group("g"));
            assertThat(e.code()).as(e.toString()).isEqualTo(ErrorCode.PERMISSION_DENIED);
            assertThat(e.isRetryable()).isFalse();
            assertThat(RabbitTlsIT.everything(e)).doesNotContain(PASSWORD);
            // the refusal closed a channel, not the connection: publishing goes on
            bus.publisher().publish("acl.write", event()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void a_user_who_may_not_write_the_exchange_consumes_and_fails_typed_at_publish() throws Exception {
        try (Omnibus reader = connect(url("reader")); Omnibus admin = connect(node.url())) {
            Set<String> got = ConcurrentHashMap.newKeySet();
            Subscription s = reader.subscriber().subscribe(SubscribeOptions.topic("acl.read").group("g"),
                    d -> got.add(d.event().getId()));
            CompletionException e = catchThrowableOfType(CompletionException.class,
                    () -> reader.publisher().publish("acl.read", event()).toCompletableFuture().join());
            assertThat(e).as("publishing must fail").isNotNull();
            assertThat(e.getCause()).isInstanceOf(OmnibusException.class);
            OmnibusException denied = (OmnibusException) e.getCause();
            assertThat(denied.code()).as(denied.toString()).isEqualTo(ErrorCode.PERMISSION_DENIED);
            assertThat(denied.isRetryable()).isFalse();
            assertThat(RabbitTlsIT.everything(denied)).doesNotContain(PASSWORD);
            // the subscription lives on: what another user publishes arrives
            CloudEvent other = event();
            admin.publisher().publish("acl.read", other).toCompletableFuture().get(30, TimeUnit.SECONDS);
            await().atMost(WAIT).until(() -> got.contains(other.getId()));
            assertThat(s.isActive()).isTrue();
        }
    }

    /** The typed failure of a subscribe: thrown by subscribe, or the subscription's visible failure. */
    private static OmnibusException subscribeFails(Omnibus bus, SubscribeOptions options) {
        OmnibusException thrown = catchThrowableOfType(OmnibusException.class,
                () -> bus.subscriber().subscribe(options, d -> { }));
        if (thrown != null) {
            return thrown;
        }
        throw new AssertionError("subscribe returned for a user who may not read: the refusal must be typed");
    }

    /** Runs rabbitmqctl against the harness's node (its cookie lies in the node's HOME, the harness dir). */
    private void ctl(String... args) throws Exception {
        String ctl = CTL.stream().filter(c -> Files.isExecutable(Path.of(c))).findFirst().orElse("rabbitmqctl");
        String port = node.url().replaceAll(".*:(\\d+).*", "$1");
        List<String> line = new ArrayList<>(List.of("env", "-i", "PATH=/usr/bin:/bin:/usr/sbin:/sbin",
                "HOME=" + node.dir(), "LANG=C.UTF-8", "ERL_EPMD_ADDRESS=127.0.0.1", ctl, "-q", "-n",
                "omnibus-" + port + "@localhost"));
        line.addAll(List.of(args));
        Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("rabbitmqctl %s ends", args[0]).isTrue();
        assertThat(p.exitValue()).as("rabbitmqctl %s: %s", args[0], out.replace(PASSWORD, "****")).isZero();
    }
}
