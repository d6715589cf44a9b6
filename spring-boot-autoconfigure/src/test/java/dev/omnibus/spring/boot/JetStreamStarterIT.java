package dev.omnibus.spring.boot;

import dev.omnibus.Publisher;
import dev.omnibus.nats.NatsHarness;
import dev.omnibus.spring.listener.OmnibusListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.actuate.health.HealthEndpoint;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The starter on a real broker: a {@code nats-server -js} child process (the backend-nats harness, on a free loopback
 * port). A listener receives a record; killing the server (SIGKILL) turns the health DOWN, starting it again turns
 * it UP, and the listener receives again.
 */
class JetStreamStarterIT {
    private static final NatsHarness nats = new NatsHarness("jetstream", "");

    record Order(String id, int quantity) {
    }

    static final List<Order> received = new CopyOnWriteArrayList<>();

    static final class Listeners {
        @OmnibusListener(topic = "shop.orders", group = "billing")
        void on(Order order) {
            received.add(order);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        Listeners listeners() {
            return new Listeners();
        }
    }

    @BeforeAll
    static void startServer() throws Exception {
        nats.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        nats.stop();
    }

    @Test
    void listenerReceivesAndHealthFollowsTheBroker() throws Exception {
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(App.class).properties(
                "omnibus.url=" + nats.url(), "omnibus.options.reconnect.max=500ms",
                "spring.main.banner-mode=off").run()) {
            Publisher publisher = context.getBean(Publisher.class);
            HealthEndpoint health = context.getBean(HealthEndpoint.class);
            publisher.publish("shop.orders", Events.json("o-1", "{\"id\":\"o-1\",\"quantity\":2}"))
                    .toCompletableFuture().join();
            await("the first order").atMost(Duration.ofSeconds(15)).until(() -> received.size() == 1);
            assertThat(received).containsExactly(new Order("o-1", 2));
            assertThat(health.healthForPath("omnibus").getStatus()).isEqualTo(Status.UP);

            nats.killBroker();
            await("health DOWN with the broker killed").atMost(Duration.ofSeconds(20))
                    .until(() -> health.healthForPath("omnibus").getStatus().equals(Status.DOWN));

            nats.startBroker();
            await("health UP with the broker back").atMost(Duration.ofSeconds(30))
                    .until(() -> health.healthForPath("omnibus").getStatus().equals(Status.UP));
            await("the second order, after the restart").atMost(Duration.ofSeconds(30)).until(() -> {
                if (received.size() < 2) {
                    // published until it is accepted: the first publishes after a restart may time out
                    publisher.publish("shop.orders", Events.json("o-2", "{\"id\":\"o-2\",\"quantity\":5}"))
                            .toCompletableFuture().exceptionally(e -> null).join();
                }
                return received.contains(new Order("o-2", 5));
            });
        }
    }
}
