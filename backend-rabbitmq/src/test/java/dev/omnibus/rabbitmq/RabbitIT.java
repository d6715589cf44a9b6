package dev.omnibus.rabbitmq;

import dev.omnibus.Omnibus;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

class RabbitIT {
    private static final RabbitHarness harness = new RabbitHarness();

    @BeforeAll
    static void start() throws Exception {
        harness.start();
    }

    @AfterAll
    static void stop() throws Exception {
        harness.stop();
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/it")).withType("t")
                .withData("text/plain", id.getBytes(StandardCharsets.UTF_8)).build();
    }

    @Test
    void aGroupResumesAfterARestart() throws Exception {
        try (Omnibus bus = Omnibus.connect(harness.url())) {
            Set<String> seen = ConcurrentHashMap.newKeySet();
            bus.subscriber().subscribe(SubscribeOptions.topic("it.restart").group("g"),
                    d -> seen.add(d.event().getId()));
            bus.publisher().publish("it.restart", event("before")).toCompletableFuture().get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("before"));
            long t0 = System.nanoTime();
            harness.restartBroker();
            System.err.println("restarted in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            String id = "after-" + UUID.randomUUID();
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .until(() -> {
                        bus.publisher().publish("it.restart", event(id)).toCompletableFuture().get(5, TimeUnit.SECONDS);
                        return true;
                    });
            System.err.println("published after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
            await().atMost(Duration.ofSeconds(30)).until(() -> seen.contains(id));
        }
    }
}
