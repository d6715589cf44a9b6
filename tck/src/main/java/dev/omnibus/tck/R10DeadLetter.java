package dev.omnibus.tck;

import dev.omnibus.AckMode;
import dev.omnibus.Capability;
import dev.omnibus.Extensions;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R10: after max attempts the event goes to the dead-letter topic with its attributes intact plus the reason,
 * and is not redelivered on the source.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R10")
interface R10DeadLetter {
    @Test
    default void R10_deadLetteredAfterMaxAttemptsWithAttributesIntact(Kit kit) {
        kit.requires(Capability.AT_LEAST_ONCE);
        kit.requires(Capability.NACK);
        String t = kit.topic("r10");
        String dlq = kit.topic("r10-dlq");
        Recorder dead = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(dlq), dead);
        Recorder source = new Recorder(d -> {
            throw new IllegalStateException("poison");
        });
        kit.subscribe(SubscribeOptions.topic(t).deadLetter(dlq, 3).ackDeadline(kit.harness().ackDeadline()), source);
        CloudEvent e = TestEvents.builder("r10-" + UUID.randomUUID()).withSubject("poison")
                .withExtension("tenant", "acme").withData("text/plain", "bad".getBytes(StandardCharsets.UTF_8)).build();
        kit.publish(t, e);
        kit.await("event " + e.getId() + " arrives on the dead-letter topic after 3 failed attempts")
                .until(() -> dead.count(e.getId()) >= 1);
        CloudEvent got = dead.all().get(0).event;
        assertThat(got.getSubject()).as(kit.what("dead letter subject")).isEqualTo("poison");
        assertThat(Kit.canonical(got.getExtension("tenant"))).as(kit.what("dead letter keeps extensions"))
                .isEqualTo("acme");
        assertThat(Kit.bytes(got)).as(kit.what("dead letter data")).isEqualTo(Kit.bytes(e));
        assertThat(Kit.canonical(got.getExtension(Extensions.DEAD_LETTER_REASON))).as(kit.what("dead letter reason"))
                .contains("poison");
        assertThat(source.count(e.getId())).as(kit.what("deliveries on the source before dead-lettering"))
                .isEqualTo(3);
    }

    @Test
    default void R10_deadLetteredEventIsNotRedeliveredOnTheSource(Kit kit) {
        kit.requires(Capability.AT_LEAST_ONCE);
        kit.requires(Capability.NACK);
        String t = kit.topic("r10n");
        String dlq = kit.topic("r10n-dlq");
        Recorder dead = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(dlq), dead);
        Recorder source = new Recorder(d -> d.nack());
        kit.subscribe(SubscribeOptions.topic(t).ackMode(AckMode.MANUAL).deadLetter(dlq, 2)
                .ackDeadline(kit.harness().ackDeadline()), source);
        CloudEvent e = TestEvents.text("r10n-" + UUID.randomUUID(), "x");
        kit.publish(t, e);
        kit.await("manually nacked event dead-lettered after 2 attempts").until(() -> dead.count(e.getId()) >= 1);
        kit.assertStays("a dead-lettered event is not delivered again on the source",
                kit.harness().ackDeadline().multipliedBy(2), () -> source.count(e.getId()) == 2);
    }
}
