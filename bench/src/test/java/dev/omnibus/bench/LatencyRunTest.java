package dev.omnibus.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The latency harness itself, with an in-process client that hands every message straight to the sink (a fake is
 * fine here: what is tested is the harness' arithmetic, not a broker). If these fail, check how {@link LatencyRun}
 * stamps payloads: from the due time while the sender is behind, from the wake-up after a park.
 */
class LatencyRunTest {
    /** Delivers on the sending thread; stalls one chosen send; drops every {@code dropEvery}-th message. */
    private static class Direct extends LatencyClient {
        private final long stallAt;
        private final long stallNanos;
        private final int dropEvery;
        private Consumer<byte[]> sink;
        private long sent;

        Direct(long stallAt, Duration stall, int dropEvery) {
            super("direct");
            this.stallAt = stallAt;
            this.stallNanos = stall.toNanos();
            this.dropEvery = dropEvery;
        }

        @Override
        public void subscribe(Consumer<byte[]> sink) {
            this.sink = sink;
        }

        @Override
        public void send(byte[] payload) {
            long n = ++sent;
            if (n == stallAt) {
                // the client under test holding the sender up, as a full buffer or a blocking call would
                long end = System.nanoTime() + stallNanos;
                while (end - System.nanoTime() > 0) {
                    LockSupport.parkNanos(end - System.nanoTime());
                }
            }
            if (dropEvery == 0 || n % dropEvery != 0) {
                sink.accept(payload);
            }
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aStalledSendIsChargedToEveryMessageThatWaitedBehindIt() throws Exception {
        // 1,000/s for 1 s; send 101 (due at 100 ms) takes 200 ms, so the ~200 messages due meanwhile go out late
        LatencyRun run = new LatencyRun(new Direct(101, Duration.ofMillis(200), 0), 100);
        LatencyRun.Phase phase = run.fixedRate(1000, Duration.ofSeconds(1), Duration.ofSeconds(5));

        assertThat(phase.sent).isEqualTo(1000);
        assertThat(phase.lost()).isZero();
        // message 101 itself arrives 200 ms late; the one due 100 ms into the stall waited ~100 ms: at least ~100
        // messages waited 100 ms or more. Timed from their actual send instead, none would show more than a few ms.
        long waitedOver100ms = phase.latencies.getCountBetweenValues(TimeUnit.MILLISECONDS.toNanos(100),
                TimeUnit.SECONDS.toNanos(10));
        assertThat(waitedOver100ms).isBetween(80L, 120L);
        assertThat(phase.latencies.getMaxValue()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(190));
    }

    @Test
    void messagesThatNeverArriveAreCountedAsLost() throws Exception {
        LatencyRun run = new LatencyRun(new Direct(0, Duration.ZERO, 10), 100);
        LatencyRun.Phase phase = run.fixedRate(2000, Duration.ofMillis(500), Duration.ofMillis(200));

        assertThat(phase.sent).isEqualTo(1000);
        assertThat(phase.lost()).isEqualTo(100);
        assertThat(phase.latencies.getTotalCount()).isEqualTo(900);
    }

    @Test
    void aStragglerOfAnEarlierPhaseIsNotCounted() throws Exception {
        // every send of the second phase also re-delivers the first message of the first phase, as a broker
        // redelivering a warm-up's message late would
        Direct client = new Direct(0, Duration.ZERO, 0) {
            private byte[] first;

            @Override
            public void send(byte[] payload) {
                if (first == null) {
                    first = payload;
                } else if (payload[15] != first[15]) {
                    super.send(first);
                }
                super.send(payload);
            }
        };
        LatencyRun run = new LatencyRun(client, 100);
        LatencyRun.Phase first = run.fixedRate(1000, Duration.ofMillis(100), Duration.ofSeconds(1));
        LatencyRun.Phase second = run.fixedRate(1000, Duration.ofMillis(100), Duration.ofSeconds(1));

        assertThat(first.received.sum()).isEqualTo(first.sent);
        assertThat(second.received.sum()).isEqualTo(second.sent);
        assertThat(second.latencies.getTotalCount()).isEqualTo(second.sent);
    }

    @Test
    void theMaximumIsWhatTheClientCarries() throws Exception {
        LatencyRun run = new LatencyRun(new Direct(0, Duration.ZERO, 0), 100);
        assertThat(run.maxRate(Duration.ofMillis(200), 100)).isGreaterThan(10_000);
    }
}
