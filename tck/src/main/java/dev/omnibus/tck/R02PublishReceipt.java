package dev.omnibus.tck;

import dev.omnibus.Capability;
import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.OverflowPolicy;
import dev.omnibus.PublishReceipt;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R02: the receipt carries the broker-assigned position; publishing on a closed publisher fails typed; a
 * broker refusal fails the stage typed.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R02")
interface R02PublishReceipt {
    @Test
    default void R02_receiptCarriesTheBrokerPosition(Kit kit) {
        String t = kit.topic("r02");
        CloudEvent a = TestEvents.text("r02-a-" + UUID.randomUUID(), "a");
        CloudEvent b = TestEvents.text("r02-b-" + UUID.randomUUID(), "b");
        PublishReceipt ra = kit.publish(t, a);
        PublishReceipt rb = kit.publish(t, b);
        assertThat(ra.position()).as(kit.what("receipt position")).isNotBlank();
        assertThat(ra.topic()).as(kit.what("receipt topic")).isEqualTo(t);
        assertThat(ra.eventId()).as(kit.what("receipt event id")).isEqualTo(a.getId());
        assertThat(rb.position()).as(kit.what("positions of two different events")).isNotEqualTo(ra.position());
        assertThat(ra.duplicate() || rb.duplicate()).as(kit.what("fresh events reported as duplicates")).isFalse();
    }

    @Test
    default void R02_publishOnClosedPublisherFailsTyped(Kit kit) {
        Publisher p = kit.bus().publisher();
        p.close();
        Throwable thrown = catchPublish(kit, p, kit.topic("r02"), TestEvents.text("r02-closed", "x"));
        assertThat(thrown).as(kit.what("publish on a closed publisher")).isInstanceOf(OmnibusException.class);
        assertThat(((OmnibusException) thrown).code()).as(kit.what("error code")).isEqualTo(ErrorCode.CLOSED);
    }

    @Test
    default void R02_publishOnClosedConnectionFailsTyped(Kit kit) {
        Omnibus other = kit.connect(Map.of());
        Publisher p = other.publisher();
        other.close(Duration.ofSeconds(5));
        Throwable thrown = catchPublish(kit, p, kit.topic("r02"), TestEvents.text("r02-closed-bus", "x"));
        assertThat(thrown).as(kit.what("publish after the connection closed")).isInstanceOf(OmnibusException.class);
        assertThat(((OmnibusException) thrown).code()).as(kit.what("error code")).isEqualTo(ErrorCode.CLOSED);
    }

    @Test
    default void R02_aRefusedPublishFailsTheStageTyped(Kit kit) throws Exception {
        kit.requires(Capability.OVERFLOW_POLICY);
        String t = kit.topic("r02-full");
        CountDownLatch release = new CountDownLatch(1);
        kit.subscribe(SubscribeOptions.topic(t).maxInFlight(1).bufferCapacity(1)
                .overflow(OverflowPolicy.block(Duration.ofMillis(200))), d -> release.await(30, TimeUnit.SECONDS));
        Publisher p = kit.bus().publisher();
        Throwable failure = null;
        try {
            for (int i = 0; i < 6 && failure == null; i++) {
                try {
                    p.publish(t, TestEvents.text("r02-full-" + i, "x")).toCompletableFuture()
                            .get(kit.harness().timeout().toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    failure = Kit.unwrap(e);
                }
            }
        } finally {
            release.countDown();
        }
        assertThat(failure).as(kit.what("publishing into a full BLOCK buffer must fail the stage; it succeeded "
                + "(are publish errors swallowed?)")).isNotNull();
        assertThat(failure).as(kit.what("failure type")).isInstanceOf(OmnibusException.class);
        assertThat(((OmnibusException) failure).code()).as(kit.what("error code"))
                .isEqualTo(ErrorCode.RESOURCE_EXHAUSTED);
        assertThat(((OmnibusException) failure).isRetryable()).as(kit.what("retryable")).isTrue();
    }

    private Throwable catchPublish(Kit kit, Publisher p, String t, CloudEvent e) {
        try {
            p.publish(t, e).toCompletableFuture().get(kit.harness().timeout().toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (Exception ex) {
            return Kit.unwrap(ex);
        }
    }
}
