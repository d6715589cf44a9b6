package dev.omnibus.tck;

import dev.omnibus.AckMode;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R11: never more than maxInFlight unsettled deliveries; a slow subscription slows only itself.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R11")
interface R11FlowControl {
    @Test
    default void R11_unsettledDeliveriesNeverExceedMaxInFlight(Kit kit) {
        String t = kit.topic("r11");
        int max = 5;
        AtomicInteger unsettled = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        ScheduledExecutorService acker = Kit.kitExecutor(2);
        try {
            Recorder r = new Recorder(d -> {
                peak.accumulateAndGet(unsettled.incrementAndGet(), Math::max);
                acker.schedule(() -> {
                    unsettled.decrementAndGet();
                    d.ack();
                }, 20, TimeUnit.MILLISECONDS);
            });
            kit.subscribe(SubscribeOptions.topic(t).ackMode(AckMode.MANUAL).maxInFlight(max), r);
            List<CloudEvent> events = TestEvents.many("r11", 40);
            kit.publishAll(t, events);
            kit.awaitAll(r, TestEvents.ids(events), "all events delivered under flow control");
            assertThat(peak.get()).as(kit.what("peak of unsettled deliveries with maxInFlight " + max))
                    .isLessThanOrEqualTo(max);
        } finally {
            acker.shutdownNow();
        }
    }

    @Test
    default void R11_concurrentHandlersNeverExceedMaxInFlight(Kit kit) {
        String t = kit.topic("r11c");
        int max = 3;
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        Recorder r = new Recorder(d -> {
            peak.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Kit.work(Duration.ofMillis(10));
            } finally {
                running.decrementAndGet();
            }
        });
        kit.subscribe(SubscribeOptions.topic(t).concurrency(8).maxInFlight(max), r);
        List<CloudEvent> events = TestEvents.many("r11c", 40);
        kit.publishAll(t, events);
        kit.awaitAll(r, TestEvents.ids(events), "all events delivered with 8 handler threads");
        assertThat(peak.get()).as(kit.what("peak of running handlers with maxInFlight " + max))
                .isLessThanOrEqualTo(max);
    }

    @Test
    default void R11_aStuckSubscriptionDoesNotSlowOthers(Kit kit) {
        String t = kit.topic("r11s");
        CountDownLatch release = new CountDownLatch(1);
        try {
            kit.subscribe(SubscribeOptions.topic(t).maxInFlight(1), d -> release.await(30, TimeUnit.SECONDS));
            Recorder healthy = kit.recorder();
            kit.subscribe(SubscribeOptions.topic(t), healthy);
            List<CloudEvent> events = TestEvents.many("r11s", 20);
            kit.publishAll(t, events);
            kit.awaitAll(healthy, TestEvents.ids(events), "a healthy subscription next to a stuck one gets everything");
        } finally {
            release.countDown();
        }
    }
}
