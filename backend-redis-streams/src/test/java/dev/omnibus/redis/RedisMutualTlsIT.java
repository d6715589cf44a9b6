package dev.omnibus.redis;

import dev.omnibus.Config;
import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Mutual TLS against a real {@code redis-server} with {@code tls-auth-clients yes} ({@link SecureRedisServer}): the
 * client certificate from {@code tls.cert.file}/{@code tls.key.file} is required, one missing is
 * {@code UNAUTHENTICATED}, and a broker restart over TLS loses nothing that was confirmed after it (the
 * {@link dev.omnibus.redis.internal.RedisBackend}'s reconnect guard works behind Netty's TLS handler).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisMutualTlsIT {
    private static final String PASSWORD = "bob-pw";
    private SecureRedisServer redis;

    @BeforeAll
    void startServer() throws Exception {
        redis = SecureRedisServer.start("yes", false, Map.of("bob", List.of(PASSWORD, "~omnibus.* &* +@all")));
    }

    @AfterAll
    void stopServer() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    private String url(String query) {
        return redis.tlsUrl("bob:" + PASSWORD) + query;
    }

    private static Omnibus connect(String url) {
        return Omnibus.connect(Config.builder().url(url).useEnvironment(false).build());
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/sec")).withType("dev.omnibus.sec")
                .withData("text/plain", id.getBytes(StandardCharsets.UTF_8)).build();
    }

    @Test
    void with_the_client_certificate_it_connects_publishes_consumes_and_survives_a_restart() throws Exception {
        try (Omnibus bus = connect(url(redis.mutualQuery()))) {
            String t = "omnibus.mtls." + UUID.randomUUID().toString().substring(0, 8);
            List<String> got = new CopyOnWriteArrayList<>();
            bus.subscriber().subscribe(SubscribeOptions.topic(t).group("g"), d -> got.add(d.event().getId()));
            bus.publisher().publish(t, event("before")).toCompletableFuture().join();
            Awaitility.await("the first event").atMost(Duration.ofSeconds(15)).until(() -> got.contains("before"));

            redis.restart(); // no persistence: the stream and group are gone, the connections come back over TLS
            bus.publisher().publish(t, event("after")).toCompletableFuture().get();
            Awaitility.await("the event published after the restart").atMost(Duration.ofSeconds(30))
                    .until(() -> got.contains("after"));
        }
    }

    @Test
    void without_a_client_certificate_the_server_refuses_the_handshake() {
        long start = System.nanoTime();
        OmnibusException e = catchThrowableOfType(OmnibusException.class,
                () -> connect(url(redis.trustQuery())).close());
        assertThat(e).isNotNull();
        assertThat(e.code()).as(e.toString()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("tls.cert.file");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }
}
