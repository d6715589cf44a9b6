package dev.omnibus.tck;

import dev.omnibus.Capability;
import dev.omnibus.DeliveryHandler;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R23: kill -9 under steady load, counted. A steady publisher and a consumer group of two members (two handler
 * threads each) while the broker is killed and restarted twice: no confirmed event is lost, and no event acked
 * well before a kill (2 s, room for the library's 100 ms ack flush and the broker's commit) is delivered again after
 * it. The duplicates and the slowest resumption are written into the report as figures: they are at-least-once's price,
 * measured, not judged.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R23")
interface R23KillUnderSteadyLoad {
    /** An ack this old at a kill must have reached the broker. */
    long COMMITTED_MILLIS = 2000;
    Duration STEADY = Duration.ofSeconds(2);
    Duration PUBLISH_EVERY = Duration.ofMillis(5);
    int RESTARTS = 2;

    /** When the first delivery of an event published after {@code sinceNanos} came, if one has. */
    private OptionalLong firstDeliveryOfSentAfter(Recorder r, Map<String, Long> sentAt, long sinceNanos) {
        return r.all().stream().filter(s -> {
            Long sent = sentAt.get(s.id());
            return sent != null && sent - sinceNanos > 0;
        }).mapToLong(s -> s.nanos).min();
    }

    @Test
    default void R23_killUnderSteadyLoadLosesNothingConfirmedAndRedeliversNothingCommitted(Kit kit) throws Exception {
        kit.requiresRestart();
        kit.requires(Capability.AT_LEAST_ONCE);
        kit.requires(Capability.DURABLE);
        kit.requires(Capability.GROUPS);
        String t = kit.topic("r23");
        Duration publishTimeout = kit.harness().timeout().multipliedBy(2);
        Omnibus publishing = kit.connect(Map.of("publish.timeout", publishTimeout.toMillis() + "ms"));
        Recorder r = kit.recorder();
        Map<String, Long> ackedAt = new ConcurrentHashMap<>();
        DeliveryHandler handler = d -> {
            r.handle(d);
            // AUTO mode acks when the handler returns: this is the ack's time, give or take the flush bound
            ackedAt.putIfAbsent(d.event().getId(), System.nanoTime());
        };
        for (int i = 0; i < 2; i++) {
            kit.subscribe(SubscribeOptions.topic(t).group("r23").concurrency(2)
                    .ackDeadline(kit.harness().ackDeadline().multipliedBy(3)), handler);
        }

        Map<String, CompletableFuture<PublishReceipt>> sent = new ConcurrentHashMap<>();
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        AtomicInteger n = new AtomicInteger();
        ScheduledExecutorService load = Kit.kitExecutor(1);
        Publisher p = publishing.publisher();
        load.scheduleAtFixedRate(() -> {
            CloudEvent e = TestEvents.text(String.format("r23-%06d", n.incrementAndGet()), "steady");
            sentAt.put(e.getId(), System.nanoTime());
            sent.put(e.getId(), p.publish(t, e).toCompletableFuture());
        }, 0, PUBLISH_EVERY.toNanos(), TimeUnit.NANOSECONDS);
        long[] killed = new long[RESTARTS];
        long[] resumed = new long[RESTARTS];
        long healthySince;
        try {
            kit.await("the group receives before the first kill").until(() -> r.size() > 0);
            healthySince = System.nanoTime();
            Kit.work(STEADY);
            long worstResume = 0;
            for (int i = 0; i < RESTARTS; i++) {
                killed[i] = System.nanoTime();
                kit.harness().restartBroker();
                long up = System.nanoTime();
                resumed[i] = kit.await("the group receives an event published after restart " + (i + 1))
                        .atMost(kit.harness().timeout().multipliedBy(2))
                        .until(() -> firstDeliveryOfSentAfter(r, sentAt, up), OptionalLong::isPresent)
                        .getAsLong();
                worstResume = Math.max(worstResume, resumed[i] - up);
                Kit.work(STEADY);
            }
            kit.figure("resumeMillis",
                    TimeUnit.NANOSECONDS.toMillis(worstResume));
        } finally {
            load.shutdownNow();
            load.awaitTermination(5, TimeUnit.SECONDS);
        }

        List<String> confirmed = new ArrayList<>();
        for (Map.Entry<String, CompletableFuture<PublishReceipt>> e : sent.entrySet()) {
            try {
                e.getValue().get(publishTimeout.plus(kit.harness().timeout()).toMillis(), TimeUnit.MILLISECONDS);
                confirmed.add(e.getKey());
            } catch (ExecutionException failed) {
                Throwable cause = Kit.unwrap(failed);
                assertThat(cause instanceof OmnibusException && ((OmnibusException) cause).isRetryable())
                        .as(kit.what("a publish during a kill failed untyped or non-retryable: " + cause
                                + "; check Backend.classify")).isTrue();
            } catch (TimeoutException hung) {
                throw new AssertionError(kit.what("publish of " + e.getKey() + " hung past publish.timeout"),
                        hung);
            }
        }
        Collections.sort(confirmed);
        assertThat(confirmed).as(kit.what("publishes confirmed under kill -9")).isNotEmpty();
        Awaitility.await(kit.what("every confirmed event delivered")).atMost(kit.harness().timeout().multipliedBy(2))
                .pollInterval(Duration.ofMillis(50)).until(() -> r.hasAll(confirmed));
        kit.figure("duplicates", r.size() - r.distinctIds().size());

        long grace = TimeUnit.MILLISECONDS.toNanos(COMMITTED_MILLIS);
        Map<String, Long> lastDelivered = new HashMap<>();
        for (Recorder.Seen s : r.all()) {
            lastDelivered.merge(s.id(), s.nanos, (a, b) -> b - a > 0 ? b : a);
        }
        List<String> redelivered = new ArrayList<>();
        for (int i = 0; i < RESTARTS; i++) {
            long from = i == 0 ? healthySince : resumed[i - 1];
            long kill = killed[i];
            for (Map.Entry<String, Long> a : ackedAt.entrySet()) {
                long at = a.getValue();
                if (at - from >= 0 && kill - grace - at > 0 && lastDelivered.get(a.getKey()) - kill > 0) {
                    redelivered.add(a.getKey() + " (acked " + TimeUnit.NANOSECONDS.toMillis(kill - at)
                            + " ms before kill " + (i + 1) + ")");
                }
            }
        }
        assertThat(redelivered).as(kit.what(redelivered.size() + " events acked well before a kill were "
                + "delivered again after it (acks held back from the broker?)")).isEmpty();
    }
}
