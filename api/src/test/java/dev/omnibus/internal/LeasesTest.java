package dev.omnibus.internal;

import dev.omnibus.spi.ReceivedMessage;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Leases} as a pure policy: what is renewed when, and that ended leases are forgotten. */
class LeasesTest {
    private static final long DEADLINE = TimeUnit.SECONDS.toNanos(10);

    private static DeliveryImpl[] deliveries(int n) {
        DeliveryImpl[] out = new DeliveryImpl[n];
        for (int i = 0; i < n; i++) {
            out[i] = new DeliveryImpl(null, ReceivedMessage.event("t", FakeBroker.event("e" + i)).deliveryCount(1)
                    .build(), 1);
        }
        return out;
    }

    @Test
    void nothingIsRenewedBeforeAQuarterOfTheDeadline() {
        Leases leases = new Leases(DEADLINE);
        leases.hold(deliveries(3), 0);
        assertThat(leases.renew(DEADLINE / 4 - 1)).isEmpty();
        assertThat(leases.held()).isEqualTo(3);
    }

    @Test
    void heldMessagesAreRenewedAtAQuarterDeadlineAndThenEveryQuarter() {
        Leases leases = new Leases(DEADLINE);
        DeliveryImpl[] ds = deliveries(3);
        leases.hold(ds, 0);
        assertThat(leases.renew(DEADLINE / 4)).hasSize(3);
        assertThat(leases.renew(DEADLINE / 4 + 1)).as("just renewed").isEmpty();
        assertThat(leases.renew(DEADLINE / 2)).hasSize(3);
    }

    @Test
    void endedLeasesAreNotRenewedAndEmptyLotsAreDropped() {
        Leases leases = new Leases(DEADLINE);
        DeliveryImpl[] ds = deliveries(3);
        leases.hold(ds, 0);
        leases.end(ds[1]);
        leases.end(ds[1]);
        assertThat(leases.held()).as("ending twice counts once").isEqualTo(2);
        assertThat(leases.renew(DEADLINE / 4)).extracting(m -> m.event().getId()).containsExactly("e0", "e2");
        assertThat(ds[1].lot.deliveries[1]).as("an ended lease's slot is cleared").isNull();
        leases.end(ds[0]);
        leases.end(ds[2]);
        assertThat(leases.renew(DEADLINE)).isEmpty();
        assertThat(leases.held()).isZero();
    }
}
