package dev.omnibus.spring.boot;

import dev.omnibus.Omnibus;
import dev.omnibus.OverflowPolicy;
import dev.omnibus.Publisher;
import dev.omnibus.spring.listener.ListenerOptionsCustomizer;
import dev.omnibus.spring.listener.OmnibusListener;
import dev.omnibus.spring.listener.OmnibusListenerContainer;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.actuate.health.CompositeHealth;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthComponent;
import org.springframework.boot.actuate.health.HealthEndpoint;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code omnibus} health contributor in a real context with Actuator: UP with the connection and listeners in
 * its details (and no URL), DOWN when a listener's subscription dies, and in the readiness group as documented.
 */
@SpringBootTest(classes = HealthTest.App.class, properties = {
        "omnibus.url=mem://health-test?retention=5",
        "management.endpoint.health.show-details=always",
        "management.endpoint.health.show-components=always",
        "management.endpoint.health.probes.enabled=true",
        "management.endpoint.health.group.readiness.include=readinessState,omnibus"})
class HealthTest {
    static final CountDownLatch release = new CountDownLatch(1);

    static final class Listeners {
        @OmnibusListener(topic = "fine", group = "g")
        void fine(CloudEvent event) {
        }

        @OmnibusListener(topic = "doomed", maxInFlight = "1")
        void doomed(CloudEvent event) throws InterruptedException {
            release.await(30, TimeUnit.SECONDS);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        Listeners listeners() {
            return new Listeners();
        }

        /**
         * The doomed listener's subscription ends at its first dropped event (a full buffer of 1 while its handler is
         * held): a subscription that dies.
         */
        @Bean
        ListenerOptionsCustomizer tinyBuffer() {
            return (id, options) -> id.equals("listeners.doomed")
                    ? options.bufferCapacity(1).overflow(OverflowPolicy.disconnectAfter(1)) : options;
        }
    }

    @Autowired
    HealthEndpoint health;
    @Autowired
    Publisher publisher;
    @Autowired
    OmnibusListenerContainer container;
    @Autowired
    Omnibus omnibus;

    @AfterEach
    void release() {
        release.countDown();
    }

    @Test
    void upWithDetailsThenDownWhenASubscriptionDies() {
        HealthComponent up = health.healthForPath("omnibus");
        assertThat(up.getStatus()).isEqualTo(Status.UP);
        Map<String, Object> details = ((Health) up).getDetails();
        assertThat(details.get("primary")).isEqualTo(Map.of("backend", "memory", "state", "CONNECTED"));
        assertThat(details.get("listeners").toString()).contains("listeners.fine").contains("topic=fine")
                .contains("group=g").contains("state=ACTIVE").doesNotContain("mem://").doesNotContain("retention");
        assertThat(health.healthForPath("readiness").getStatus()).isEqualTo(Status.UP);

        for (int i = 0; i < 4; i++) {
            publisher.publish("doomed", Events.json("d-" + i, "{}")).toCompletableFuture().join();
        }
        // the buffer overflowed while the handler held the receive thread; the subscription learns it at its next poll
        release.countDown();
        await("the doomed subscription ended").atMost(Duration.ofSeconds(10))
                .until(() -> container.subscription("listeners.doomed").map(s -> !s.isActive()).orElse(false));

        HealthComponent down = health.healthForPath("omnibus");
        assertThat(down.getStatus()).isEqualTo(Status.DOWN);
        assertThat(((Health) down).getDetails().get("listeners").toString()).contains("listeners.doomed")
                .contains("state=FAILED").contains("error=");
        assertThat(health.healthForPath("readiness").getStatus()).as("the readiness group").isEqualTo(Status.DOWN);
        assertThat(health.healthForPath("liveness").getStatus()).as("liveness leaves the broker out")
                .isEqualTo(Status.UP);
        assertThat(((CompositeHealth) health.health()).getComponents()).containsKey("omnibus");
    }
}
