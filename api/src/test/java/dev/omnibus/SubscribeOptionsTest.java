package dev.omnibus;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SubscribeOptionsTest {
    @Test
    void defaultsAreDocumentedConstants() {
        SubscribeOptions o = SubscribeOptions.topic("orders");
        assertThat(o.maxInFlight()).isEqualTo(SubscribeOptions.DEFAULT_MAX_IN_FLIGHT);
        assertThat(o.ackDeadline()).isEqualTo(SubscribeOptions.DEFAULT_ACK_DEADLINE);
        assertThat(o.concurrency()).isEqualTo(1);
        assertThat(o.ackMode()).isEqualTo(AckMode.AUTO);
        assertThat(o.startPosition()).isEqualTo(StartPosition.latest());
        assertThat(o.overflow()).isNull();
        assertThat(o.deadLetterTopic()).isNull();
    }

    @Test
    void eachCallReturnsANewImmutableInstance() {
        SubscribeOptions base = SubscribeOptions.topic("orders");
        SubscribeOptions grouped = base.group("billing").maxInFlight(5);
        assertThat(base.group()).isNull();
        assertThat(grouped.group()).isEqualTo("billing");
        assertThat(grouped.maxInFlight()).isEqualTo(5);
    }

    @Test
    void outOfRangeValuesNameTheLimits() {
        SubscribeOptions o = SubscribeOptions.topic("orders");
        assertThatThrownBy(() -> o.maxInFlight(0)).isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("maxInFlight must be from 1 to 100000, was 0");
        assertThatThrownBy(() -> o.concurrency(2000)).hasMessageContaining("concurrency must be from 1 to 1024");
        assertThatThrownBy(() -> o.ackDeadline(Duration.ofMillis(5))).hasMessageContaining("100ms to 1h");
        assertThatThrownBy(() -> o.deadLetter("dlq", 0)).hasMessageContaining("maxAttempts must be from 1 to 1000");
        assertThatThrownBy(() -> o.bufferCapacity(0)).hasMessageContaining("bufferCapacity");
        assertThatThrownBy(() -> OverflowPolicy.disconnectAfter(0)).hasMessageContaining("at least 1");
    }

    @Test
    void retryBackoffHasDocumentedDefaultsAndValidatesItsRange() {
        SubscribeOptions o = SubscribeOptions.topic("orders");
        assertThat(o.retryDelay(1).toMillis()).isBetween(50L, 150L);
        assertThat(o.retryDelay(30)).isLessThanOrEqualTo(SubscribeOptions.DEFAULT_RETRY_MAX);
        assertThat(o.retryBackoff(Duration.ZERO, Duration.ZERO).retryDelay(3)).isZero();
        assertThatThrownBy(() -> o.retryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("0 < initial <= max <= 12h");
        assertThatThrownBy(() -> o.retryBackoff(Duration.ZERO, Duration.ofSeconds(1)))
                .hasMessageContaining("both 0 for none");
        assertThatThrownBy(() -> o.retryBackoff(Duration.ofSeconds(1), Duration.ofHours(13)))
                .hasMessageContaining("12h");
        assertThat(o.retryBackoff(Duration.ofMillis(10), Duration.ofMillis(20)).toString())
                .contains("retryBackoff=10ms..20ms");
    }
}
