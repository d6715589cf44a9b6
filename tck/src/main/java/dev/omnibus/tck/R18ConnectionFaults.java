package dev.omnibus.tck;

import dev.omnibus.Capability;
import dev.omnibus.ConnectionState;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R18: a connection cut or stall (through the kit's {@link FaultProxy}) is survived like a restart; publish
 * during the outage fails typed or succeeds later, never hangs.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R18")
interface R18ConnectionFaults {
    /** How long a publish call may take while the broker is cut off: a bound with room for a loaded machine. */
    Duration PUBLISH_CALL_BOUND = Duration.ofSeconds(2);

    @Test
    default void R18_subscriptionResumesAfterAConnectionCut(Kit kit) throws Exception {
        kit.requiresFaults();
        try (FaultProxy proxy = new FaultProxy(kit.harness().brokerAddress())) {
            Omnibus viaProxy = kit.connect(kit.harness().url(proxy.address()), Map.of("publish.timeout", "3s"));
            String t = kit.topic("r18");
            Recorder r = kit.recorder();
            kit.subscribe(viaProxy, SubscribeOptions.topic(t), r);
            List<CloudEvent> before = TestEvents.many("r18-before", 5);
            kit.publishAll(t, before);
            kit.awaitAll(r, TestEvents.ids(before), "delivered through the proxy");

            proxy.mode(FaultProxy.Mode.CUT);
            kit.await("the cut connection reports DISCONNECTED")
                    .until(() -> viaProxy.connectionState() == ConnectionState.DISCONNECTED);
            List<CloudEvent> during = TestEvents.many("r18-during", 5);
            kit.publishAll(t, during);
            CloudEvent throughCut = TestEvents.text("r18-through-cut-" + UUID.randomUUID(), "x");
            long calling = System.nanoTime();
            CompletableFuture<PublishReceipt> cutPublish = viaProxy.publisher().publish(t, throughCut)
                    .toCompletableFuture();
            Duration call = Duration.ofNanos(System.nanoTime() - calling);
            assertThat(call).as(kit.what("the publish call itself returns at once during a cut (its first to this "
                    + "topic on this connection), the outcome comes through its future; check for a blocking metadata "
                    + "lookup or topic check on the caller's thread")).isLessThan(PUBLISH_CALL_BOUND);
            Throwable cutFailure = outcome(kit, cutPublish, Duration.ofSeconds(3).plus(kit.harness().timeout()));
            proxy.mode(FaultProxy.Mode.PASS);
            kit.await("the connection comes back after the cut").until(() ->
                    viaProxy.connectionState() == ConnectionState.RECONNECTED
                            || viaProxy.connectionState() == ConnectionState.CONNECTED);

            boolean keepsForAbsentSubscribers = kit.caps().has(Capability.AT_LEAST_ONCE)
                    && kit.caps().has(Capability.DURABLE);
            if (!keepsForAbsentSubscribers) {
                // the bus being back says nothing about a subscription with its own connection or one that must
                // re-subscribe; without durable at-least-once the events in between are not owed to it
                kit.awaitReceiving(kit.bus().publisher(), t, r, "the subscription receives again after the cut");
            }
            List<CloudEvent> after = TestEvents.many("r18-after", 5);
            kit.publishAll(t, after);
            kit.awaitAll(r, TestEvents.ids(after), "events published after the cut arrive");
            if (keepsForAbsentSubscribers) {
                kit.awaitAll(r, TestEvents.ids(during), "events published during the cut arrive after it");
                if (cutFailure == null) {
                    kit.await("a publish confirmed through the cut connection is delivered")
                            .until(() -> r.count(throughCut.getId()) > 0);
                }
            }
        }
    }

    /** Waits for {@code publish} to finish: null on success, its typed failure otherwise; fails if it hangs. */
    private Throwable outcome(Kit kit, CompletableFuture<PublishReceipt> publish, Duration max)
            throws InterruptedException {
        try {
            publish.get(max.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            Throwable cause = Kit.unwrap(e);
            assertThat(cause).as(kit.what("a publish during a connection fault fails typed"))
                    .isInstanceOf(OmnibusException.class);
            return cause;
        } catch (TimeoutException e) {
            throw new AssertionError(kit.what("a publish during a connection fault hung past publish.timeout; "
                    + "check the publish timeout wiring and the client's buffering"), e);
        }
    }

    @Test
    default void R18_publishDuringAStallFailsTypedOrSucceedsNeverHangs(Kit kit) throws Exception {
        kit.requiresFaults();
        try (FaultProxy proxy = new FaultProxy(kit.harness().brokerAddress())) {
            Omnibus viaProxy = kit.connect(kit.harness().url(proxy.address()), Map.of("publish.timeout", "2s"));
            String t = kit.topic("r18s");
            kit.publish(viaProxy.publisher(), t, TestEvents.text("r18s-warm-" + UUID.randomUUID(), "x"));
            proxy.mode(FaultProxy.Mode.STALL);
            CompletableFuture<PublishReceipt> during = viaProxy.publisher()
                    .publish(t, TestEvents.text("r18s-" + UUID.randomUUID(), "x")).toCompletableFuture();
            try {
                outcome(kit, during, Duration.ofSeconds(2).plus(kit.harness().timeout()));
            } finally {
                proxy.mode(FaultProxy.Mode.PASS);
            }
        }
    }

}
