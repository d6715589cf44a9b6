package dev.omnibus.spring.boot;

import dev.omnibus.Delivery;
import dev.omnibus.Extensions;
import dev.omnibus.Publisher;
import dev.omnibus.spring.listener.OmnibusListener;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real application context on mem://: listeners receive the CloudEvent, the Delivery and data converted to a
 * record; placeholders resolve; failing deliveries (a throwing handler, data that is not JSON) go to the dead-letter
 * topic after maxAttempts.
 */
@SpringBootTest(classes = ListenerInvocationTest.App.class, properties = {
        "omnibus.url=mem://listener-invocation",
        "omnibus.options.publish.timeout=5s",
        "app.topic=orders.created",
        "app.group=billing",
        "app.attempts=3"})
class ListenerInvocationTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    record Order(String id, int quantity) {
    }

    static final class Listeners {
        final List<Order> orders = new CopyOnWriteArrayList<>();
        final List<CloudEvent> events = new CopyOnWriteArrayList<>();
        final List<String> deliveries = new CopyOnWriteArrayList<>();
        final Map<String, AtomicInteger> failedAttempts = new ConcurrentHashMap<>();
        final List<CloudEvent> deadLetters = new CopyOnWriteArrayList<>();

        @OmnibusListener(topic = "${app.topic}", group = "${app.group}", concurrency = "2")
        void onOrder(Order order) {
            orders.add(order);
        }

        @OmnibusListener(topic = "${app.topic}")
        void onEvent(CloudEvent event) {
            events.add(event);
        }

        @OmnibusListener(topic = "${app.topic}", ackMode = dev.omnibus.AckMode.MANUAL)
        void onDelivery(Order order, Delivery delivery) {
            deliveries.add(order.id() + "@" + delivery.topic() + "#" + delivery.attempt());
            delivery.ack();
        }

        @OmnibusListener(topic = "payments", group = "pay", deadLetter = "payments.dlq", maxAttempts = "${app.attempts}")
        void onPayment(Order order) {
            failedAttempts.computeIfAbsent(order.id(), k -> new AtomicInteger()).incrementAndGet();
            throw new IllegalStateException("payment service down");
        }

        @OmnibusListener(topic = "texts", group = "t", deadLetter = "payments.dlq", maxAttempts = "2")
        void onText(Order order) {
            throw new AssertionError("a text/plain event never reaches a listener of a record");
        }

        @OmnibusListener(topic = "payments.dlq")
        void onDeadLetter(CloudEvent event) {
            deadLetters.add(event);
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

    @Autowired
    Publisher publisher;
    @Autowired
    Listeners listeners;

    @Test
    void listenersGetTheRecordTheEventAndTheDelivery() {
        publisher.publish("orders.created", Events.json("o-1", "{\"id\":\"o-1\",\"quantity\":3}"))
                .toCompletableFuture().join();

        await("each listener got the event").atMost(WAIT).until(() -> listeners.orders.size() == 1
                && listeners.events.size() == 1 && listeners.deliveries.size() == 1);
        assertThat(listeners.orders).containsExactly(new Order("o-1", 3));
        assertThat(listeners.events.get(0).getId()).isEqualTo("o-1");
        assertThat(listeners.deliveries).containsExactly("o-1@orders.created#1");
    }

    @Test
    void aFailingHandlerIsRetriedThenDeadLettered() {
        publisher.publish("payments", Events.json("p-1", "{\"id\":\"p-1\",\"quantity\":1}")).toCompletableFuture()
                .join();

        await("the payment dead-lettered").atMost(WAIT).until(() -> listeners.deadLetters.stream()
                .anyMatch(e -> e.getId().equals("p-1")));
        assertThat(listeners.failedAttempts.get("p-1")).hasValue(3);
        CloudEvent dead = listeners.deadLetters.stream().filter(e -> e.getId().equals("p-1")).findFirst().orElseThrow();
        assertThat(String.valueOf(dead.getExtension(Extensions.DEAD_LETTER_REASON))).contains("payment service down");
    }

    @Test
    void dataThatIsNotJsonFailsTheDeliveryAndIsDeadLettered() {
        publisher.publish("texts", Events.text("t-1", "not json")).toCompletableFuture().join();

        await("the text dead-lettered").atMost(WAIT).until(() -> listeners.deadLetters.stream()
                .anyMatch(e -> e.getId().equals("t-1")));
        CloudEvent dead = listeners.deadLetters.stream().filter(e -> e.getId().equals("t-1")).findFirst().orElseThrow();
        assertThat(String.valueOf(dead.getExtension(Extensions.DEAD_LETTER_REASON)))
                .contains("datacontenttype 'text/plain'").contains(Order.class.getName());
    }
}
