package dev.omnibus.micrometer;

import dev.omnibus.AckMode;
import dev.omnibus.Config;
import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.OverflowPolicy;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.redis.RedisHarness;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

/**
 * The meters, with a real {@link SimpleMeterRegistry}, on the memory backend and on a real {@code redis-server}
 * (started for this class): same names, same tags, same counts.
 */
class OmnibusMetricsTest {
    private static final RedisHarness redis = new RedisHarness();
    private final List<Omnibus> opened = new CopyOnWriteArrayList<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final String topic = "orders-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void startRedis() throws Exception {
        redis.start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.stop();
    }

    @AfterEach
    void closeAll() {
        release.countDown();
        opened.forEach(o -> o.close(Duration.ofSeconds(5)));
    }

    static Stream<String> backends() {
        return Stream.of("memory", "redis");
    }

    private Omnibus connect(String backend, MeterRegistry registry) {
        String url = backend.equals("memory") ? "mem://metrics-" + UUID.randomUUID() : redis.url();
        Omnibus bus = Omnibus.connect(Config.builder().url(url).useEnvironment(false)
                .instrumentation(OmnibusMetrics.builder(registry).handlerPercentiles(0.5, 0.99).build()).build());
        opened.add(bus);
        return bus;
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/metrics")).withType("metrics")
                .withData("text/plain", id.getBytes(StandardCharsets.UTF_8)).build();
    }

    private static double count(MeterRegistry registry, String name, String... tags) {
        RequiredSearch search = registry.get(name).tags(tags);
        var counter = search.meter();
        return counter.measure().iterator().next().getValue();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void publishDeliverySettleAndDeadLetterAreCounted(String backend) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Omnibus bus = connect(backend, registry);
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(topic).group("billing")
                .ackMode(AckMode.MANUAL).deadLetter(topic + "-dead", 2), d -> {
                    String id = d.event().getId();
                    if (id.equals("e-7")) {
                        throw new IllegalStateException("e-7 never works");
                    }
                    if (id.equals("e-3") && d.attempt() == 1) {
                        d.nack();
                    } else {
                        d.ack();
                    }
                });
        for (int i = 0; i < 10; i++) {
            bus.publisher().publish(topic, event("e-" + i)).toCompletableFuture().join();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> s.stats().deadLettered() == 1 && s.stats().acked() == 9);

        String[] tags = {"backend", bus.backend(), "topic", topic, "group", "billing"};
        assertThat(count(registry, "omnibus.published", "backend", bus.backend(), "topic", topic))
                .as("confirmed publishes of the user's events; the dead letter is not one").isEqualTo(10);
        assertThat(count(registry, "omnibus.delivered", tags)).isEqualTo(12);
        assertThat(count(registry, "omnibus.acked", tags)).isEqualTo(9);
        assertThat(count(registry, "omnibus.nacked", tags)).isEqualTo(3);
        assertThat(count(registry, "omnibus.redelivered", tags)).isEqualTo(2);
        assertThat(count(registry, "omnibus.dead.lettered", tags)).isEqualTo(1);
        Timer ok = registry.get("omnibus.handler.duration").tags(tags).tag("outcome", "success").timer();
        Timer failed = registry.get("omnibus.handler.duration").tags(tags).tag("outcome", "error").timer();
        assertThat(ok.count()).isEqualTo(10);
        assertThat(failed.count()).isEqualTo(2);
        assertThat(ok.takeSnapshot().percentileValues()).hasSize(2);
        await().atMost(Duration.ofSeconds(5)).until(() -> count(registry, "omnibus.in.flight", tags) == 0);
        assertThat(count(registry, "omnibus.connection.state", "backend", bus.backend(), "state", "CONNECTED"))
                .isEqualTo(1);

        s.close();
        assertThat(count(registry, "omnibus.delivered", tags)).as("counts survive the subscription's close")
                .isEqualTo(12);
        bus.close();
        assertThat(count(registry, "omnibus.connection.state", "backend", bus.backend(), "state", "CONNECTED"))
                .isEqualTo(0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void consumerLagAndInFlightFollowAStuckHandler(String backend) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Omnibus bus = connect(backend, registry);
        bus.subscriber().subscribe(SubscribeOptions.topic(topic).group("slow").maxInFlight(1),
                d -> release.await(30, TimeUnit.SECONDS));
        for (int i = 0; i < 5; i++) {
            bus.publisher().publish(topic, event("l-" + i)).toCompletableFuture().join();
        }
        String[] tags = {"backend", bus.backend(), "topic", topic, "group", "slow"};
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(count(registry, "omnibus.in.flight", tags)).isEqualTo(1);
            assertThat(count(registry, "omnibus.consumer.lag", tags)).isEqualTo(4);
        });
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> count(registry, "omnibus.consumer.lag", tags) == 0
                && count(registry, "omnibus.acked", tags) == 5);
    }

    @Test
    void publishFailuresAreCountedByErrorCodeAndDropsByReason() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Omnibus bus = connect("memory", registry);
        bus.subscriber().subscribe(SubscribeOptions.topic(topic).maxInFlight(1).bufferCapacity(1)
                .overflow(OverflowPolicy.block(Duration.ofMillis(50))), d -> release.await(30, TimeUnit.SECONDS));
        Throwable failure = null;
        for (int i = 0; i < 5 && failure == null; i++) {
            CloudEvent e = event("b-" + i);
            failure = catchThrowable(() -> bus.publisher().publish(topic, e).toCompletableFuture().join());
        }
        assertThat(failure).isInstanceOf(CompletionException.class).hasCauseInstanceOf(OmnibusException.class);
        assertThat(((OmnibusException) failure.getCause()).code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        assertThat(count(registry, "omnibus.publish.failures", "backend", "memory", "topic", topic, "error",
                "resource_exhausted")).isEqualTo(1);

        String dropTopic = topic + "-drop";
        Subscription dropping = bus.subscriber().subscribe(SubscribeOptions.topic(dropTopic).maxInFlight(1)
                .bufferCapacity(1).overflow(OverflowPolicy.drop()), d -> release.await(30, TimeUnit.SECONDS));
        for (int i = 0; i < 10; i++) {
            bus.publisher().publish(dropTopic, event("d-" + i)).toCompletableFuture().join();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> dropping.stats().dropped() > 0 && registry
                .find("omnibus.dropped").tags("topic", dropTopic, "reason", "overflow").counter() != null
                && registry.get("omnibus.dropped").tags("topic", dropTopic, "reason", "overflow").counter().count()
                == dropping.stats().dropped());
    }

    @Test
    void prometheusShowsTheConventionalNames() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Omnibus bus = connect("memory", registry);
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(topic), d -> { });
        bus.publisher().publish(topic, event("p-1")).toCompletableFuture().join();
        await().atMost(Duration.ofSeconds(5)).until(() -> s.stats().acked() == 1);
        String scrape = registry.scrape();
        assertThat(scrape)
                .contains("omnibus_published_total{backend=\"memory\",topic=\"" + topic + "\"} 1.0")
                .contains("omnibus_delivered_total{backend=\"memory\",group=\"(none)\",topic=\"" + topic + "\"} 1.0")
                .contains("omnibus_acked_total{")
                .contains("omnibus_handler_duration_seconds_count{backend=\"memory\",group=\"(none)\",outcome=\"success\",topic=\"" + topic + "\"} 1")
                .contains("omnibus_handler_duration_seconds_sum{backend=\"memory\",group=\"(none)\",outcome=\"success\"")
                .contains("omnibus_in_flight{")
                .contains("omnibus_connection_state{backend=\"memory\",state=\"CONNECTED\"} 1.0");
    }

    @Test
    void onTheClasspathItReportsToTheGlobalRegistryByDefault() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Metrics.addRegistry(registry);
        try (Omnibus bus = Omnibus.connect(Config.builder().url("mem://global-" + UUID.randomUUID())
                .useEnvironment(false).build())) {
            bus.publisher().publish(topic, event("g-1")).toCompletableFuture().join();
            assertThat(count(registry, "omnibus.published", "topic", topic)).isEqualTo(1);
        } finally {
            Metrics.removeRegistry(registry);
        }
        try (Omnibus bus = Omnibus.connect(Config.builder().url("mem://off-" + UUID.randomUUID() + "?instrumentation=none")
                .useEnvironment(false).build())) {
            Metrics.addRegistry(registry);
            bus.publisher().publish(topic + "-off", event("g-2")).toCompletableFuture().join();
            assertThat(registry.find("omnibus.published").tags("topic", topic + "-off").counter()).isNull();
        } finally {
            Metrics.removeRegistry(registry);
        }
    }
}
