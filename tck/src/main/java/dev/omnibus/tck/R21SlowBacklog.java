package dev.omnibus.tck;

import dev.omnibus.Capability;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R21: a slow backlog is delivered once. A backlog several times {@code maxInFlight}, handlers slower than the
 * ack deadline divided by the batch, nothing failing: every event is delivered exactly once, all with attempt 1,
 * inline and on several handler threads, with one member and with two.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R21")
interface R21SlowBacklog {
    @Test
    default void R21_aSlowBacklogIsDeliveredOnceInline(Kit kit) {
        slowBacklog(kit, "r21i", 1, 1, 8, 24, Duration.ofMillis(150));
    }

    @Test
    default void R21_aSlowBacklogIsDeliveredOnceOnSeveralHandlerThreads(Kit kit) {
        slowBacklog(kit, "r21c", 1, 4, 16, 48, Duration.ofMillis(300));
    }

    @Test
    default void R21_aSlowBacklogIsDeliveredOnceToTwoMembers(Kit kit) {
        kit.requires(Capability.GROUPS);
        slowBacklog(kit, "r21g", 2, 1, 8, 32, Duration.ofMillis(150));
    }

    /**
     * {@code members} subscriptions (a group when more than one) with {@code lanes} handler threads each, a
     * one-second deadline and handlers of {@code work}: {@code work * maxInFlight / lanes} is above the deadline,
     * so whatever waits its turn outlives the deadline unless it is kept alive.
     */
    private void slowBacklog(Kit kit, String hint, int members, int lanes, int maxInFlight, int events, Duration work) {
        kit.requires(Capability.AT_LEAST_ONCE);
        String t = kit.topic(hint);
        Recorder r = new Recorder(d -> Kit.work(work));
        for (int i = 0; i < members; i++) {
            SubscribeOptions o = SubscribeOptions.topic(t).ackDeadline(Duration.ofSeconds(1)).concurrency(lanes)
                    .maxInFlight(maxInFlight);
            kit.subscribe(members > 1 ? o.group(hint) : o, r);
        }
        List<CloudEvent> backlog = TestEvents.many(hint, events);
        kit.publishAll(t, backlog);
        Duration expected = work.multipliedBy(events / (members * lanes));
        Awaitility.await(kit.what("the backlog of " + events + " delivered")).atMost(expected.multipliedBy(3)
                .plus(kit.harness().timeout())).pollInterval(Duration.ofMillis(20))
                .until(() -> r.hasAll(TestEvents.ids(backlog)));
        kit.assertStays("no event of the backlog comes again", Duration.ofMillis(1200),
                () -> r.size() == events);
        assertThat(r.size()).as(kit.what("deliveries of " + events + " events nobody failed (redelivered "
                + "while waiting their turn?)")).isEqualTo(events);
        assertThat(r.all()).as(kit.what("every delivery is the first attempt"))
                .allMatch(s -> s.attempt == 1);
    }
}
