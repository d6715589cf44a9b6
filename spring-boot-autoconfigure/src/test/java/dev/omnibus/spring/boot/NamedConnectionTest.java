package dev.omnibus.spring.boot;

import dev.omnibus.spring.OmnibusConnections;
import dev.omnibus.spring.boot.autoconfigure.OmnibusAutoConfiguration;
import dev.omnibus.spring.listener.OmnibusListener;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A listener on a named connection hears that broker, not the primary one. */
class NamedConnectionTest {
    static final class Listeners {
        final List<String> primary = new CopyOnWriteArrayList<>();
        final List<String> audit = new CopyOnWriteArrayList<>();

        @OmnibusListener(topic = "events")
        void onPrimary(CloudEvent event) {
            primary.add(event.getId());
        }

        @OmnibusListener(topic = "events", connection = "${app.audit-connection}")
        void onAudit(CloudEvent event) {
            audit.add(event.getId());
        }
    }

    @Test
    void eachListenerHearsItsOwnBroker() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(OmnibusAutoConfiguration.class))
                .withPropertyValues("omnibus.url=mem://named-primary", "omnibus.connections.audit.url=mem://named-audit",
                        "app.audit-connection=audit")
                .withBean(Listeners.class)
                .run(context -> {
                    OmnibusConnections connections = context.getBean(OmnibusConnections.class);
                    Listeners listeners = context.getBean(Listeners.class);
                    connections.get("audit").publisher().publish("events", Events.json("a-1", "{}"))
                            .toCompletableFuture().join();
                    connections.primary().publisher().publish("events", Events.json("p-1", "{}"))
                            .toCompletableFuture().join();
                    await("both delivered").atMost(Duration.ofSeconds(10))
                            .until(() -> listeners.audit.size() == 1 && listeners.primary.size() == 1);
                    assertThat(listeners.audit).containsExactly("a-1");
                    assertThat(listeners.primary).containsExactly("p-1");
                    assertThat(connections.names()).containsExactly("audit");
                });
    }
}
