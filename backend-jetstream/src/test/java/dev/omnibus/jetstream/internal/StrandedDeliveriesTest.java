package dev.omnibus.jetstream.internal;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The bookkeeping behind re-creating a private consumer; the behaviour against a server is in {@code JetStreamIT}. */
class StrandedDeliveriesTest {
    @Test
    void consecutiveDeliveriesShowNoGap() {
        StrandedDeliveries d = new StrandedDeliveries();
        for (long c = 1; c <= 5; c++) {
            assertThat(d.delivered(c, 10 + c)).isZero();
        }
        assertThat(d.recreateDue()).isFalse();
    }

    @Test
    void aGapCountsTheMissedDeliveriesAndWhatIsHandedOutSinceIsSkippedAfterTheRecreation() {
        StrandedDeliveries d = new StrandedDeliveries();
        d.delivered(1, 11);
        assertThat(d.delivered(4, 14)).isEqualTo(2);
        d.delivered(5, 15);
        assertThat(d.recreateDue()).isTrue();
        assertThat(d.stranded()).isEqualTo(2);

        d.recreated(11);
        assertThat(d.recreateDue()).isFalse();
        // the new consumer delivers 12 and 13 (lost) and 14, 15 (handed out before): only those two are skipped
        assertThat(d.delivered(1, 12)).isZero();
        assertThat(d.alreadySettled(12)).isFalse();
        d.delivered(2, 13);
        assertThat(d.alreadySettled(13)).isFalse();
        d.delivered(3, 14);
        assertThat(d.alreadySettled(14)).isTrue();
        d.delivered(4, 15);
        assertThat(d.alreadySettled(15)).isTrue();
        assertThat(d.alreadySettled(15)).as("skipped once").isFalse();
    }

    @Test
    void aLowerConsumerSequenceStartsCountingAfresh() {
        StrandedDeliveries d = new StrandedDeliveries();
        d.delivered(7, 7);
        // a restarted server restored an older state, or the consumer was re-created
        assertThat(d.delivered(3, 8)).isZero();
        assertThat(d.delivered(4, 9)).isZero();
        assertThat(d.recreateDue()).isFalse();
    }

    @Test
    void pendingAcksWithNothingHeldCountOnlyWhenNoGapWasSeen() {
        StrandedDeliveries d = new StrandedDeliveries();
        d.delivered(1, 1);
        d.outstanding(3);
        assertThat(d.stranded()).isEqualTo(3);
        d.giveUp();
        d.delivered(1, 1);
        d.delivered(3, 3);
        d.outstanding(5);
        assertThat(d.stranded()).as("the gap's count stands").isEqualTo(1);
    }

    @Test
    void aDelayedNackIsDueUntilItsDelayHasPassed() {
        StrandedDeliveries d = new StrandedDeliveries();
        assertThat(d.delayedNackDue()).isFalse();
        d.nackedWithDelay(Duration.ofHours(1));
        d.nackedWithDelay(Duration.ofMillis(1));
        assertThat(d.delayedNackDue()).as("the later due time is kept").isTrue();
    }
}
