package dev.omnibus.tck;

import dev.omnibus.Capability;
import dev.omnibus.OverflowPolicy;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R22: nothing ends a subscription silently. A handler throwing an {@link Error}, a raw message on the oddest
 * topic the broker allows, a dead-letter publish that fails: the subscription keeps delivering, or reports its
 * end through {@code failure()} and {@code isActive() == false}.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R22")
interface R22NoSilentDeath {
    @Test
    default void R22_aHandlerErrorFailsOnlyItsDelivery(Kit kit) {
        String t = kit.topic("r22e");
        CloudEvent poison = TestEvents.text("r22e-poison-" + UUID.randomUUID(), "deep");
        AtomicInteger thrown = new AtomicInteger();
        Recorder r = new Recorder(d -> {
            if (d.event().getId().equals(poison.getId()) && thrown.getAndIncrement() == 0) {
                throw new StackOverflowError("a deep payload");
            }
        });
        Subscription s = kit.subscribe(SubscribeOptions.topic(t), r);
        kit.publish(t, poison);
        kit.await("the event whose handler threw an Error was delivered").until(() -> thrown.get() > 0);
        CloudEvent after = TestEvents.text("r22e-after-" + UUID.randomUUID(), "x");
        kit.publish(t, after);
        kit.await("an event after a handler's Error is delivered (did the Error kill the receive thread?)")
                .until(() -> r.count(after.getId()) > 0 || s.failure().isPresent());
        assertThat(s.failure()).as(kit.what("a handler's Error must fail only its delivery")).isEmpty();
        assertThat(s.isActive()).as(kit.what("active after a handler's Error")).isTrue();
        if (kit.caps().has(Capability.AT_LEAST_ONCE) && kit.caps().has(Capability.NACK)) {
            kit.await("the event whose handler threw an Error is redelivered")
                    .until(() -> r.count(poison.getId()) >= 2);
        }
    }

    @Test
    default void R22_aRawMessageOnTheOddestTopicDoesNotEndAWildcardSubscription(Kit kit) throws Exception {
        kit.requires(Capability.WILDCARDS);
        kit.requiresRaw();
        String base = kit.topic("r22w");
        Recorder r = kit.recorder();
        Subscription s = kit.subscribe(SubscribeOptions.topic(base + ".>"), r);
        String odd = base + "." + kit.harness().oddestTopicToken();
        kit.harness().injectRaw(odd, "from a foreign producer".getBytes(StandardCharsets.UTF_8), Map.of());
        CloudEvent after = TestEvents.text("r22w-after-" + UUID.randomUUID(), "x");
        kit.publish(base + ".next", after);
        kit.await("a valid event after a raw one on topic '" + odd + "' is delivered, or the end reported")
                .until(() -> r.count(after.getId()) > 0 || s.failure().isPresent());
        assertThat(s.failure()).as(kit.what("a raw message on '" + odd + "' ended the subscription")).isEmpty();
        assertThat(r.all().stream().filter(x -> x.raw).count())
                .as(kit.what("the raw message on '" + odd + "' delivered raw")).isEqualTo(1);
    }

    @Test
    default void R22_aFailingDeadLetterPublishDoesNotEndTheSubscription(Kit kit) {
        kit.requires(Capability.AT_LEAST_ONCE);
        kit.requires(Capability.OVERFLOW_POLICY); // the portable way to make a publish fail: a full BLOCK buffer
        String t = kit.topic("r22d");
        String dlq = kit.topic("r22d-dlq");
        CountDownLatch release = new CountDownLatch(1);
        try {
            kit.subscribe(SubscribeOptions.topic(dlq).maxInFlight(1).bufferCapacity(1)
                    .overflow(OverflowPolicy.block(Duration.ofMillis(50))), d -> release.await(30, TimeUnit.SECONDS));
            Publisher p = kit.bus().publisher();
            for (int i = 0; i < 3; i++) {
                p.publish(dlq, TestEvents.text("r22d-fill-" + i + "-" + UUID.randomUUID(), "x"));
            }
            Recorder r = new Recorder(d -> {
                if (d.event().getId().startsWith("r22d-poison")) {
                    throw new IllegalStateException("poison");
                }
            });
            Subscription s = kit.subscribe(SubscribeOptions.topic(t).deadLetter(dlq, 1)
                    .retryBackoff(Duration.ofMillis(200), Duration.ofMillis(400)), r);
            CloudEvent poison = TestEvents.text("r22d-poison-" + UUID.randomUUID(), "x");
            kit.publish(t, poison);
            kit.await("the event whose dead letter cannot be published comes again")
                    .until(() -> r.count(poison.getId()) >= 2 || s.failure().isPresent());
            CloudEvent after = TestEvents.text("r22d-after-" + UUID.randomUUID(), "x");
            kit.publish(t, after);
            kit.await("events keep flowing while the dead-letter topic refuses")
                    .until(() -> r.count(after.getId()) > 0 || s.failure().isPresent());
            assertThat(s.failure()).as(kit.what("a failing dead-letter publish ended the subscription"))
                    .isEmpty();
        } finally {
            release.countDown();
        }
    }
}
