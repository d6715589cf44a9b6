package dev.omnibus.kafka.internal;

import dev.omnibus.kafka.internal.PartitionLedger.Entry;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link OffsetRing} against a plain list of the same entries, through growth and wrap-around, with gaps between
 * offsets (a compacted topic, transaction markers). If this fails, check the index arithmetic in
 * {@code OffsetRing.get} and {@code grow} (the entries must keep their order when the array is unrolled).
 */
class OffsetRingTest {
    private final PartitionLedger ledger = new PartitionLedger(new TopicPartition("orders", 0));

    private Entry entry(long offset) {
        return new Entry(ledger, offset, null);
    }

    @Test
    void keepsOffsetOrderThroughGrowthAndWrapAroundAndFindsOffsetsAcrossGaps() {
        OffsetRing ring = new OffsetRing();
        ArrayDeque<Entry> expected = new ArrayDeque<>();
        Random random = new Random(42);
        long next = 0;
        for (int round = 0; round < 2_000; round++) {
            int add = random.nextInt(40);
            for (int i = 0; i < add; i++) {
                next += 1 + (random.nextInt(5) == 0 ? random.nextInt(3) : 0); // some gaps
                Entry e = entry(next);
                ring.addLast(e);
                expected.addLast(e);
            }
            int drop = random.nextInt(Math.max(1, expected.size()));
            for (int i = 0; i < drop && !expected.isEmpty(); i++) {
                assertThat(ring.first()).isSameAs(expected.peekFirst());
                ring.removeFirst();
                expected.pollFirst();
            }
            List<Entry> list = new ArrayList<>(expected);
            assertThat(ring.size()).isEqualTo(list.size());
            for (int i = 0; i < list.size(); i++) {
                assertThat(ring.get(i)).as("entry %d of round %d", i, round).isSameAs(list.get(i));
            }
            if (!list.isEmpty()) {
                long lo = list.get(0).offset;
                long hi = list.get(list.size() - 1).offset;
                long probe = lo + random.nextLong(hi - lo + 3) - 1;
                int index = ring.indexOf(probe);
                int want = 0;
                while (want < list.size() && list.get(want).offset < probe) {
                    want++;
                }
                assertThat(index).as("indexOf(%d)", probe).isEqualTo(want);
                Entry found = ring.find(probe);
                assertThat(found).isSameAs(want < list.size() && list.get(want).offset == probe ? list.get(want)
                        : null);
            }
        }
        assertThat(ring.isEmpty()).isEqualTo(expected.isEmpty());
    }

    @Test
    void refusesAnOffsetThatIsNotAboveTheLast() {
        OffsetRing ring = new OffsetRing();
        ring.addLast(entry(7));
        assertThatThrownBy(() -> ring.addLast(entry(7))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("offset 7 is not above the last tracked 7");
        assertThat(ring.first().offset).isEqualTo(7);
        assertThat(ring.find(6)).isNull();
        assertThat(ring.indexOf(8)).isEqualTo(1);
    }
}
