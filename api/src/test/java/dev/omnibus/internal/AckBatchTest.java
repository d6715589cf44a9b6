package dev.omnibus.internal;

import dev.omnibus.spi.ReceivedMessage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link AckBatch} as a pure policy: when gathered inline acks are due, on the receive thread's clock readings. */
class AckBatchTest {
    private static final long MAX_AGE = TimeUnit.MILLISECONDS.toNanos(100);

    private static List<DeliveryImpl> deliveries(int n) {
        List<DeliveryImpl> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new DeliveryImpl(null, ReceivedMessage.event("t", FakeBroker.event("a" + i)).deliveryCount(1)
                    .build(), 1));
        }
        return out;
    }

    @Test
    void gathersOnlyBetweenBeginAndEnd() {
        AckBatch batch = new AckBatch(MAX_AGE);
        assertThat(batch.gathering()).isFalse();
        batch.begin();
        assertThat(batch.gathering()).isTrue();
        batch.end();
        assertThat(batch.gathering()).isFalse();
    }

    @Test
    void nothingGatheredIsNeverDue() {
        AckBatch batch = new AckBatch(MAX_AGE);
        batch.clock(0);
        batch.clock(MAX_AGE * 10);
        assertThat(batch.due()).isFalse();
        assertThat(batch.drain()).isEmpty();
    }

    @Test
    void dueOnceTheOldestAckReachesTheMaximumAge() {
        AckBatch batch = new AckBatch(MAX_AGE);
        List<DeliveryImpl> ds = deliveries(3);
        batch.clock(1_000);
        batch.add(ds.get(0));
        batch.clock(1_000 + MAX_AGE / 2);
        batch.add(ds.get(1));
        batch.clock(1_000 + MAX_AGE - 1);
        assertThat(batch.due()).as("the oldest is just under the maximum age").isFalse();
        batch.clock(1_000 + MAX_AGE);
        assertThat(batch.due()).as("the age counts from the oldest, not the newest").isTrue();
        assertThat(batch.drain()).containsExactly(ds.get(0), ds.get(1));
        assertThat(batch.due()).isFalse();

        batch.add(ds.get(2));
        assertThat(batch.due()).as("a new batch's age starts at its first ack").isFalse();
        batch.clock(1_000 + 2 * MAX_AGE);
        assertThat(batch.due()).isTrue();
    }

    @Test
    void dueAtTheCountWithoutAnyTimePassing() {
        AckBatch batch = new AckBatch(MAX_AGE);
        List<DeliveryImpl> ds = deliveries(AckBatch.MAX_ACKS);
        batch.clock(0);
        for (int i = 0; i < ds.size() - 1; i++) {
            batch.add(ds.get(i));
        }
        assertThat(batch.due()).isFalse();
        batch.add(ds.get(ds.size() - 1));
        assertThat(batch.due()).isTrue();
        assertThat(batch.drain()).containsExactlyElementsOf(ds);
        assertThat(batch.drain()).as("drained").isEmpty();
    }
}
