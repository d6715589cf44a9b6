package dev.omnibus.kafka.internal;

import dev.omnibus.kafka.internal.PartitionLedger.Entry;
import dev.omnibus.kafka.internal.PartitionLedger.State;
import dev.omnibus.spi.ReceivedMessage;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link PartitionLedger} as a pure policy, driven the way the poll thread and the library drive it: what becomes
 * committable, which keys are held back, where the consumer seeks back, and which late settles are ignored. Times are
 * plain numbers standing for {@code System.nanoTime()} readings.
 */
class PartitionLedgerTest {
    private static final long DEADLINE = 1_000;

    private final PartitionLedger ledger = new PartitionLedger(new TopicPartition("orders", 3));

    /** The poll thread fetches {@code offset}; returns the entry if it is to be buffered. */
    private Entry fetch(long offset, String key, long now) {
        return ledger.fetched(offset, key, now);
    }

    /** The library takes {@code e} at {@code now} and holds a message for it, as KafkaReceiver.receive does. */
    private ReceivedMessage take(Entry e, long now) {
        assertThat(ledger.take(e, now + DEADLINE)).as("taken: offset " + e.offset).isTrue();
        ReceivedMessage m = ReceivedMessage.event("orders", CloudEventBuilder.v1().withId("e" + e.offset)
                .withSource(URI.create("test:/ledger")).withType("t").build()).handle(e).build();
        ledger.delivered(e, m);
        return m;
    }

    /** Fetches offsets {@code 0..n-1} without keys and takes them all. */
    private List<ReceivedMessage> fetchAndTake(int n) {
        List<ReceivedMessage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(take(fetch(i, null, 0), 0));
        }
        return out;
    }

    private static Entry entry(ReceivedMessage m) {
        return (Entry) m.handle();
    }

    @Test
    void outOfOrderAcksNeverMakeAGapCommittable() {
        assertThat(ledger.committable()).as("nothing fetched").isEqualTo(-1);
        assertThat(ledger.toCommit()).isEqualTo(-1);
        List<ReceivedMessage> m = fetchAndTake(5);
        assertThat(ledger.committable()).isZero();

        for (int i : new int[] {1, 2, 4}) {
            assertThat(ledger.ack(entry(m.get(i)), m.get(i))).isTrue();
        }
        assertThat(ledger.committable()).as("offset 0 is unacked").isZero();
        assertThat(ledger.tracked()).isEqualTo(5);

        ledger.ack(entry(m.get(0)), m.get(0));
        assertThat(ledger.committable()).as("up to the gap at 3").isEqualTo(3);
        assertThat(ledger.tracked()).as("the acked prefix is dropped").isEqualTo(2);

        ledger.ack(entry(m.get(3)), m.get(3));
        assertThat(ledger.committable()).as("past everything fetched").isEqualTo(5);
        assertThat(ledger.tracked()).isZero();
        assertThat(entry(m.get(3)).current).as("an acked event is not kept").isNull();
    }

    @Test
    void commitsAreDueOnlyPastWhatTheGroupHas() {
        List<ReceivedMessage> m = fetchAndTake(2);
        ledger.ack(entry(m.get(0)), m.get(0));
        assertThat(ledger.toCommit()).isEqualTo(1);
        ledger.committed(1);
        assertThat(ledger.toCommit()).isEqualTo(-1);
        ledger.committed(0);
        assertThat(ledger.toCommit()).as("an older commit's outcome does not go back").isEqualTo(-1);
        ledger.ack(entry(m.get(1)), m.get(1));
        assertThat(ledger.toCommit()).isEqualTo(2);
    }

    @Test
    void aNackHoldsItsKeyAndKeepsThatKeysOrderWhileOtherKeysGoOn() {
        Entry a0 = fetch(0, "a", 0);
        Entry b1 = fetch(1, "b", 0);
        Entry a2 = fetch(2, "a", 0);
        Entry a3 = fetch(3, "a", 0);
        ReceivedMessage m0 = take(a0, 0);

        assertThat(ledger.nack(a0, m0, 500)).isTrue();
        assertThat(a0.state).isEqualTo(State.WAITING);
        assertThat(a2.state).as("later buffered entry of the key").isEqualTo(State.WAITING);
        assertThat(a3.state).isEqualTo(State.WAITING);
        assertThat(b1.state).as("another key").isEqualTo(State.BUFFERED);
        assertThat(ledger.take(a2, 10)).as("a waiting entry is not handed out").isFalse();
        take(b1, 10);

        assertThat(fetch(4, "a", 100)).as("the key is held back before the redelivery is due").isNull();
        assertThat(fetch(5, "c", 100)).as("other keys are not").isNotNull();
        assertThat(ledger.committable()).isZero();

        assertThat(ledger.seekBack(499)).as("not due yet").isEqualTo(-1);
        assertThat(ledger.untilNextDue(400)).isEqualTo(100);
        assertThat(ledger.seekBack(500)).as("due: seek back to the nacked offset").isZero();
        assertThat(ledger.rereading()).isTrue();
        assertThat(ledger.seekBack(500)).as("the re-read is already under way").isEqualTo(-1);

        assertThat(fetch(0, "a", 500)).as("due: redelivered").isSameAs(a0);
        assertThat(fetch(1, "b", 500)).as("in flight: skipped").isNull();
        assertThat(fetch(2, "a", 500)).isSameAs(a2);
        assertThat(fetch(3, "a", 500)).isSameAs(a3);
        assertThat(fetch(4, "a", 500)).isNotNull();
        assertThat(fetch(5, "c", 500)).as("buffered: skipped").isNull();
        assertThat(ledger.rereading()).isFalse();
        assertThat(ledger.untilNextDue(500)).isEqualTo(Long.MAX_VALUE);

        ReceivedMessage again = take(a0, 500);
        assertThat(a0.deliveries).isEqualTo(2);
        assertThat(ledger.ack(a0, again)).isTrue();
        assertThat(ledger.committable()).isEqualTo(1);
    }

    @Test
    void aHeldKeyIsReleasedOnceItsRedeliveryIsDue() {
        Entry a0 = fetch(0, "a", 0);
        ledger.nack(a0, take(a0, 0), 200);
        ledger.forgetDueKeys(199);
        assertThat(fetch(1, "a", 199)).as("still held").isNull();
        ledger.forgetDueKeys(200);
        assertThat(fetch(2, "a", 200)).as("held no more").isNotNull();
    }

    @Test
    void onlyTheLatestDeliveryOfAnOffsetSettlesIt() {
        Entry e = fetch(0, null, 0);
        ReceivedMessage first = take(e, 0);
        ledger.nack(e, first, 0);
        ledger.seekBack(0);
        fetch(0, null, 0);
        ReceivedMessage second = take(e, 0);

        assertThat(ledger.ack(e, first)).as("a stale delivery").isFalse();
        assertThat(ledger.nack(e, first, 0)).isFalse();
        ledger.extend(e, first, 10_000);
        assertThat(e.deadline).isEqualTo(DEADLINE);
        ledger.extend(e, second, 10_000);
        assertThat(e.deadline).isEqualTo(10_000);
        assertThat(ledger.ack(e, second)).isTrue();
        assertThat(ledger.ack(e, second)).as("settled already").isFalse();
    }

    @Test
    void anExpiredDeliveryIsRedeliveredAndItsLateAckStillCounts() {
        List<ReceivedMessage> m = fetchAndTake(2);
        ledger.expire(DEADLINE - 1);
        assertThat(entry(m.get(0)).state).isEqualTo(State.INFLIGHT);
        ledger.expire(DEADLINE);
        assertThat(entry(m.get(0)).state).isEqualTo(State.WAITING);
        assertThat(ledger.seekBack(DEADLINE)).isZero();

        assertThat(ledger.ack(entry(m.get(0)), m.get(0))).as("the slow handler's ack").isTrue();
        assertThat(ledger.ack(entry(m.get(1)), m.get(1))).isTrue();
        assertThat(ledger.committable()).isEqualTo(2);
        assertThat(fetch(0, null, DEADLINE)).as("acked: the re-read skips it").isNull();
    }

    @Test
    void aRevokingPartitionHandsOutNothingAndExpiresNothing() {
        Entry buffered = fetch(0, null, 0);
        Entry inFlight = fetch(1, null, 0);
        take(inFlight, 0);
        assertThat(ledger.inFlight()).isEqualTo(1);

        ledger.revoke();
        assertThat(ledger.take(buffered, 0)).isFalse();
        ledger.expire(DEADLINE * 10);
        assertThat(inFlight.state).as("the revocation waits for its settle").isEqualTo(State.INFLIGHT);
        assertThat(ledger.inFlight()).isEqualTo(1);
    }

    @Test
    void aRemovedPartitionIgnoresLateSettles() {
        Entry e = fetch(0, null, 0);
        ReceivedMessage m = take(e, 0);
        ledger.remove();
        assertThat(ledger.ack(e, m)).isFalse();
        assertThat(ledger.nack(e, m, 0)).isFalse();
        assertThat(ledger.committable()).isZero();
    }
}
