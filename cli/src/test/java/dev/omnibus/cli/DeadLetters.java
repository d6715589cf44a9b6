package dev.omnibus.cli;

import dev.omnibus.Omnibus;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.awaitility.Awaitility.await;

/**
 * Makes dead letters the way an application does: a group whose handler always fails, with dead-lettering after two
 * attempts; stateless and thread-safe.
 */
final class DeadLetters {
    private DeadLetters() {
    }

    /**
     * Publishes {@code n} events {@code e-0 .. e-(n-1)} (type {@code order}) to {@code topic} and waits until the
     * failing group {@code billing} dead-lettered each to {@code topic + ".dlq"}; the handler's message, the reason,
     * is {@code "bad order e-<i> (timeout)"} for even i, {@code "(invalid)"} for odd. Event {@code e-1} carries data
     * with an escape sequence.
     */
    static void make(Omnibus bus, String topic, int n) {
        Subscription failing = bus.subscriber().subscribe(SubscribeOptions.topic(topic).group("billing")
                .deadLetter(topic + ".dlq", 2).retryBackoff(Duration.ofMillis(10), Duration.ofMillis(10)), d -> {
                    int i = Integer.parseInt(d.event().getId().substring(2));
                    throw new IllegalStateException("bad order " + d.event().getId()
                            + (i % 2 == 0 ? " (timeout)" : " (invalid)"));
                });
        Publisher p = bus.publisher();
        for (int i = 0; i < n; i++) {
            String data = i == 1 ? "{\"note\":\"red\u001b[31m\"}" : "{\"n\":" + i + "}";
            p.publish(topic, CloudEventBuilder.v1().withId("e-" + i).withSource(URI.create("/shop")).withType("order")
                    .withData("application/json", data.getBytes(StandardCharsets.UTF_8)).build())
                    .toCompletableFuture().join();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> failing.stats().deadLettered() == n);
        failing.close();
    }
}
