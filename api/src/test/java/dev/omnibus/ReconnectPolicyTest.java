package dev.omnibus;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReconnectPolicyTest {
    @Test
    void delaysGrowExponentiallyWithinTheJitterBandAndAreCapped() {
        ReconnectPolicy p = ReconnectPolicy.of(Duration.ofMillis(100), Duration.ofSeconds(2), 2.0, 0.5);
        for (int attempt = 1; attempt <= 12; attempt++) {
            double nominal = Math.min(100 * Math.pow(2, attempt - 1), 2000);
            long ms = p.delay(attempt).toMillis();
            assertThat(ms).as("attempt %d", attempt).isBetween((long) (nominal * 0.5) - 1, 2000L);
            assertThat(ms).as("attempt %d", attempt).isLessThanOrEqualTo((long) Math.ceil(nominal * 1.5) + 1);
        }
    }

    @Test
    void jitterSpreadsTheDelays() {
        ReconnectPolicy p = ReconnectPolicy.defaults();
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            seen.add(p.delay(3).toMillis());
        }
        assertThat(seen).hasSizeGreaterThan(5);
    }

    @Test
    void refusesInconsistentSettings() {
        assertThatThrownBy(() -> ReconnectPolicy.of(Duration.ofSeconds(5), Duration.ofSeconds(1), 2, 0.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("initial <= max");
        assertThatThrownBy(() -> ReconnectPolicy.of(Duration.ofMillis(5), Duration.ofSeconds(1), 0.5, 0.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiplier");
    }
}
