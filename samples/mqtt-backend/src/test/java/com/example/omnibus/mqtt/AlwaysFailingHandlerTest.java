package com.example.omnibus.mqtt;

import dev.omnibus.AckMode;
import dev.omnibus.Omnibus;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the kit's R25 cannot see here: it spoils three windows of {@code maxInFlight} 2, six deliveries, while
 * Mosquitto's in-flight window for a 3.1.1 client is its own setting ({@code max_inflight_messages}, 20 by default).
 * Five of Mosquitto's windows of failed, or never settled, deliveries must not stall a subscription of this
 * backend, which has no nack: the library settles them (acks them as dropped).
 */
class AlwaysFailingHandlerTest {
    /** Five of Mosquitto's default in-flight windows (20). */
    private static final int EVENTS = 100;

    private static final MosquittoHarness HARNESS = new MosquittoHarness();

    @BeforeAll
    static void startBroker() throws Exception {
        HARNESS.start();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        HARNESS.stop();
    }

    @Test
    void aHandlerThatAlwaysThrowsKeepsGettingEvents() {
        assertEveryEventReachesTheHandler("failing", SubscribeOptions.topic("sample.failing"), AckMode.AUTO);
    }

    @Test
    void manualDeliveriesNeverSettledDoNotStallTheSubscription() {
        assertEveryEventReachesTheHandler("unsettled", SubscribeOptions.topic("sample.unsettled")
                .ackMode(AckMode.MANUAL).ackDeadline(Duration.ofMillis(200)), AckMode.MANUAL);
    }

    private void assertEveryEventReachesTheHandler(String name, SubscribeOptions options, AckMode mode) {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        try (Omnibus bus = Omnibus.connect(HARNESS.url())) {
            Subscription s = bus.subscriber().subscribe(options.maxInFlight(10), d -> {
                seen.add(d.event().getId());
                if (mode == AckMode.AUTO) {
                    throw new IllegalStateException("fails every time");
                }
                // MANUAL: returns without settling, the library expires it at its deadline
            });
            for (int i = 0; i < EVENTS; i++) {
                bus.publisher().publish(options.topic(), CloudEventBuilder.v1().withId(name + "-" + i)
                        .withSource(URI.create("/sample")).withType("sample")
                        .withData("text/plain", "x".getBytes(StandardCharsets.UTF_8)).build())
                        .toCompletableFuture().join();
            }
            await(name).atMost(Duration.ofSeconds(30)).until(() -> seen.size() == EVENTS);
            assertThat(s.isActive()).as("the subscription is still active").isTrue();
            assertThat(s.failure()).isEmpty();
        }
    }
}
