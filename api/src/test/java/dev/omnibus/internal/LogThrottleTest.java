package dev.omnibus.internal;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class LogThrottleTest {
    @Test
    void theFirstPassesTheRestAreCountedUntilTheIntervalEnds() {
        LogThrottle throttle = new LogThrottle(Duration.ofHours(1));
        assertThat(throttle.admit()).isZero();
        for (int i = 0; i < 189; i++) {
            assertThat(throttle.admit()).isEqualTo(-1);
        }
        assertThat(LogThrottle.note(0)).isEmpty();
        assertThat(LogThrottle.note(189)).isEqualTo(" (189 more like it since the last such line)");
    }

    @Test
    void afterTheIntervalTheNextLineSaysHowManyWereHeldBack() {
        LogThrottle throttle = new LogThrottle(Duration.ofMillis(50));
        assertThat(throttle.admit()).isZero();
        List<Long> passed = new ArrayList<>();
        AtomicLong calls = new AtomicLong(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            calls.incrementAndGet();
            long r = throttle.admit();
            if (r >= 0) {
                passed.add(r);
            }
            return !passed.isEmpty();
        });
        assertThat(passed.get(0)).as("held back between the two lines").isEqualTo(calls.get() - 2);
    }
}
