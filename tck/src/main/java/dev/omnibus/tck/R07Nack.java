package dev.omnibus.tck;

import dev.omnibus.AckMode;
import dev.omnibus.Capability;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R07: nack and handler exceptions redeliver, with the attempt counting up; the first settle wins.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R07")
interface R07Nack {
    @Test
    default void R07_nackRedeliversWithTheAttemptCountingUp(Kit kit) {
        kit.requires(Capability.NACK);
        String t = kit.topic("r07");
        Recorder r = new Recorder(d -> {
            if (d.attempt() == 1) {
                d.nack();
            } else {
                d.ack();
            }
        });
        kit.subscribe(SubscribeOptions.topic(t).ackMode(AckMode.MANUAL), r);
        CloudEvent e = TestEvents.text("r07-" + UUID.randomUUID(), "x");
        kit.publish(t, e);
        kit.await("nacked event " + e.getId() + " redelivered").until(() -> r.count(e.getId()) >= 2);
        assertThat(r.of(e.getId()).get(1).attempt).as(kit.what("attempt of the redelivery")).isEqualTo(2);
    }

    @Test
    default void R07_handlerExceptionsRedeliverUntilSuccess(Kit kit) {
        kit.requires(Capability.NACK);
        String t = kit.topic("r07x");
        Recorder r = new Recorder(d -> {
            if (d.attempt() < 3) {
                throw new IllegalStateException("failing attempt " + d.attempt());
            }
        });
        kit.subscribe(SubscribeOptions.topic(t), r);
        CloudEvent e = TestEvents.text("r07x-" + UUID.randomUUID(), "x");
        kit.publish(t, e);
        kit.await("event " + e.getId() + " redelivered after handler exceptions until attempt 3")
                .until(() -> r.count(e.getId()) >= 3);
        assertThat(r.of(e.getId()).stream().map(s -> s.attempt).collect(Collectors.toList()))
                .as(kit.what("attempts seen")).startsWith(1, 2, 3);
        kit.assertStays("no delivery after the successful attempt", kit.harness().ackDeadline(),
                () -> r.count(e.getId()) == 3);
    }

    @Test
    default void R07_theFirstSettleWins(Kit kit) {
        kit.requires(Capability.NACK);
        String t = kit.topic("r07f");
        List<Boolean> second = new CopyOnWriteArrayList<>();
        Recorder r = new Recorder(d -> {
            d.ack();
            second.add(d.nack());
        });
        kit.subscribe(SubscribeOptions.topic(t).ackMode(AckMode.MANUAL).ackDeadline(kit.harness().ackDeadline()), r);
        CloudEvent e = TestEvents.text("r07f-" + UUID.randomUUID(), "x");
        kit.publish(t, e);
        kit.await("event delivered").until(() -> r.size() >= 1);
        kit.assertStays("a nack after an ack must not redeliver", kit.harness().ackDeadline().multipliedBy(2),
                () -> r.size() == 1);
        assertThat(second).as(kit.what("nack after ack reports it had no effect")).containsExactly(false);
    }
}
