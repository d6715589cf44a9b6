package dev.omnibus.samples.spring;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnibus.Publisher;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.net.URI;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/** Publishes an order every second with the auto-configured {@link Publisher}. */
@Component
public class OrderPublisher {
    private static final Logger log = LoggerFactory.getLogger(OrderPublisher.class);

    private final Publisher publisher;
    private final ObjectMapper json;
    private final String topic;
    private final AtomicInteger sequence = new AtomicInteger();

    OrderPublisher(Publisher publisher, ObjectMapper json, @Value("${sample.topic}") String topic) {
        this.publisher = publisher;
        this.json = json;
        this.topic = topic;
    }

    @Scheduled(fixedRate = 1000, initialDelay = 1000)
    void publish() throws JsonProcessingException {
        Order order = new Order("o-" + sequence.incrementAndGet(), "book", 1 + sequence.get() % 3);
        publisher.publish(topic, CloudEventBuilder.v1().withId(UUID.randomUUID().toString())
                        .withSource(URI.create("/samples/spring-boot")).withType("com.example.order.created")
                        .withDataContentType("application/json").withData(json.writeValueAsBytes(order)).build())
                .whenComplete((receipt, error) -> {
                    if (error != null) {
                        log.warn("order {} not published: {}", order.id(), error.getMessage());
                    }
                });
    }
}
