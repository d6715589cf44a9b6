package dev.omnibus.tck;

import dev.omnibus.AckMode;
import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * R12: close drains running handlers; nothing is delivered after close; no thread outlives it.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R12")
interface R12Close {
    @Test
    default void R12_closeWaitsForARunningHandlerAndAcksIt(Kit kit) throws Exception {
        String t = kit.topic("r12");
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        Subscription s = kit.subscribe(SubscribeOptions.topic(t), d -> {
            started.countDown();
            release.await(30, TimeUnit.SECONDS);
            finished.incrementAndGet();
        });
        kit.publish(t, TestEvents.text("r12-" + UUID.randomUUID(), "x"));
        assertThat(started.await(kit.harness().timeout().toMillis(), TimeUnit.MILLISECONDS))
                .as(kit.what("handler started")).isTrue();
        CompletableFuture<Boolean> closing = CompletableFuture.supplyAsync(() -> s.close(Duration.ofSeconds(20)));
        kit.await("subscription reports inactive once close starts").until(() -> !s.isActive());
        assertThat(closing).as(kit.what("close returned while a handler was still running")).isNotDone();
        release.countDown();
        assertThat(closing.get(kit.harness().timeout().toMillis(), TimeUnit.MILLISECONDS))
                .as(kit.what("close reports a clean drain")).isTrue();
        assertThat(finished.get()).as(kit.what("handler finished")).isEqualTo(1);
        assertThat(s.stats().acked()).as(kit.what("the drained handler's ack went through")).isEqualTo(1);
    }

    @Test
    default void R12_nothingIsDeliveredAfterClose(Kit kit) {
        String t = kit.topic("r12n");
        Recorder r = kit.recorder();
        Subscription s = kit.subscribe(SubscribeOptions.topic(t).concurrency(2), r);
        List<CloudEvent> before = TestEvents.many("r12n", 5);
        kit.publishAll(t, before);
        kit.awaitAll(r, TestEvents.ids(before), "delivered before close");
        s.close(Duration.ofSeconds(5));
        kit.publishAll(t, TestEvents.many("r12n-after", 5));
        kit.assertStays("no delivery after close", Duration.ofMillis(500), () -> r.size() == 5);
    }

    @Test
    default void R12_noThreadOutlivesClose(Kit kit) {
        Set<Long> before = Kit.threadIds();
        Omnibus other = Omnibus.connect(Kit.config(kit.harness().url(), Map.of()));
        try {
            String t = kit.topic("r12t");
            Recorder r = kit.recorder();
            other.subscriber().subscribe(SubscribeOptions.topic(t).concurrency(4), r);
            other.subscriber().subscribe(SubscribeOptions.topic(t).ackMode(AckMode.MANUAL), d -> { });
            List<CloudEvent> events = TestEvents.many("r12t", 10);
            Publisher p = other.publisher();
            for (CloudEvent e : events) {
                p.publish(t, e).toCompletableFuture().join();
            }
            kit.awaitAll(r, TestEvents.ids(events), "delivered");
        } finally {
            other.close(Duration.ofSeconds(5));
        }
        kit.await("threads started by the backend or the library stop on close")
                .until(() -> kit.newThreadsSince(before).isEmpty());
    }

    @Test
    default void R12_aHandlerStuckPastTheDrainIsReportedAndInterrupted(Kit kit) {
        String t = kit.topic("r12s");
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger interrupted = new AtomicInteger();
        Subscription s = kit.subscribe(SubscribeOptions.topic(t), d -> {
            started.countDown();
            try {
                new CountDownLatch(1).await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
            }
        });
        kit.publish(t, TestEvents.text("r12s-" + UUID.randomUUID(), "x"));
        kit.await("handler started").until(() -> started.getCount() == 0);
        assertThat(s.close(Duration.ofMillis(200))).as(kit.what("close reports an unclean drain")).isFalse();
        assertThat(interrupted.get()).as(kit.what("the stuck handler was interrupted")).isEqualTo(1);
    }

    @Test
    default void R12_useAfterCloseFailsTyped(Kit kit) {
        Omnibus other = kit.connect(Map.of());
        other.close(Duration.ofSeconds(5));
        other.close(Duration.ofSeconds(5));
        assertThatThrownBy(() -> other.subscriber()).as(kit.what("subscriber() after close"))
                .isInstanceOf(OmnibusException.class)
                .satisfies(e -> assertThat(((OmnibusException) e).code()).isEqualTo(ErrorCode.CLOSED));
        assertThatThrownBy(() -> other.publisher()).as(kit.what("publisher() after close"))
                .isInstanceOf(OmnibusException.class);
    }
}
