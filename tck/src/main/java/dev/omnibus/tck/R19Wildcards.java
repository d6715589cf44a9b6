package dev.omnibus.tck;

import dev.omnibus.Capability;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * R19: {@code *} matches exactly one token, a final {@code >} one or more.
 *
 * <p>Its title and what to check when it fails: {@link RuleCatalogue#RULES}, {@link RuleCatalogue#CHECKS}.
 */
@Tag("R19")
interface R19Wildcards {
    @Test
    default void R19_starMatchesExactlyOneToken(Kit kit) {
        kit.requires(Capability.WILDCARDS);
        String base = kit.topic("r19s");
        Recorder r = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(base + ".*.created"), r);
        CloudEvent yes = TestEvents.text("r19s-yes-" + UUID.randomUUID(), "x");
        CloudEvent tooDeep = TestEvents.text("r19s-deep-" + UUID.randomUUID(), "x");
        CloudEvent tooShallow = TestEvents.text("r19s-shallow-" + UUID.randomUUID(), "x");
        kit.publish(base + ".eu.x.created", tooDeep);
        kit.publish(base + ".created", tooShallow);
        kit.publish(base + ".eu.created", yes);
        kit.await("'*' matches one token").until(() -> r.count(yes.getId()) > 0);
        assertThat(r.distinctIds()).as(kit.what("'*' must not match zero or two tokens"))
                .doesNotContain(tooDeep.getId(), tooShallow.getId());
        assertThat(r.all().get(0).topic).as(kit.what("delivery names the concrete topic"))
                .isEqualTo(base + ".eu.created");
    }

    @Test
    default void R19_greaterThanMatchesOneOrMoreTokens(Kit kit) {
        kit.requires(Capability.WILDCARDS);
        String base = kit.topic("r19g");
        Recorder r = kit.recorder();
        kit.subscribe(SubscribeOptions.topic(base + ".>"), r);
        CloudEvent one = TestEvents.text("r19g-one-" + UUID.randomUUID(), "x");
        CloudEvent two = TestEvents.text("r19g-two-" + UUID.randomUUID(), "x");
        CloudEvent none = TestEvents.text("r19g-none-" + UUID.randomUUID(), "x");
        kit.publish(base, none);
        kit.publish(base + ".a", one);
        kit.publish(base + ".a.b", two);
        kit.await("'>' matches one and two trailing tokens").until(() -> r.count(one.getId()) > 0
                && r.count(two.getId()) > 0);
        assertThat(r.distinctIds()).as(kit.what("'>' must not match zero tokens")).doesNotContain(none.getId());
    }
}
