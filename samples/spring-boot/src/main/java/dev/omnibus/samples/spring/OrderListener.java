package dev.omnibus.samples.spring;

import dev.omnibus.spring.listener.OmnibusListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Handles the orders: one annotated method, the event's JSON data read into the {@link Order} record. */
@Component
public class OrderListener {
    private static final Logger log = LoggerFactory.getLogger(OrderListener.class);

    @OmnibusListener(topic = "${sample.topic}", group = "billing", deadLetter = "${sample.topic}.dlq",
            maxAttempts = "5")
    void onOrder(Order order) {
        log.info("billing order {}: {} x {}", order.id(), order.quantity(), order.product());
    }
}
