package dev.omnibus.internal;

import dev.omnibus.Config;
import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.spi.PublishFuture;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PublishTimeoutsTest {
    @Test
    void anUnconfirmedPublishFailsWithTimeoutOnceOverdue() {
        PublishTimeouts timeouts = new PublishTimeouts(Duration.ofMillis(50));
        CompletableFuture<PublishReceipt> pending = new CompletableFuture<>();
        timeouts.track(pending, "orders", "e-1");
        timeouts.sweep();
        assertThat(pending).as("not before its deadline").isNotDone();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!pending.isDone() && System.nanoTime() < deadline) {
            timeouts.sweep();
            Thread.onSpinWait();
        }
        assertThatThrownBy(pending::get).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOf(OmnibusException.class).hasMessageContaining("e-1").hasMessageContaining("orders")
                .hasMessageContaining("publish.timeout")
                .satisfies(e -> assertThat(((OmnibusException) e).code()).isEqualTo(ErrorCode.TIMEOUT));
        assertThat(timeouts.tracked()).isZero();
    }

    @Test
    void confirmedPublishesAreDroppedAndNeverFailed() {
        PublishTimeouts timeouts = new PublishTimeouts(Duration.ofMillis(20));
        List<CompletableFuture<PublishReceipt>> all = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            CompletableFuture<PublishReceipt> f = new CompletableFuture<>();
            timeouts.track(f, "t", "e-" + i);
            f.complete(new PublishReceipt("t", "e-" + i, "1-" + i, false));
            all.add(f);
        }
        timeouts.sweep();
        assertThat(timeouts.tracked()).isZero();
        assertThat(all).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    }

    @Test
    void doneOnesBehindAStuckOneAreCompactedAboveTheThreshold() {
        PublishTimeouts timeouts = new PublishTimeouts(Duration.ofHours(1));
        timeouts.track(new CompletableFuture<>(), "t", "stuck");
        for (int i = 0; i <= PublishTimeouts.COMPACT_ABOVE; i++) {
            CompletableFuture<PublishReceipt> f = new CompletableFuture<>();
            timeouts.track(f, "t", "e-" + i);
            f.complete(new PublishReceipt("t", "e-" + i, "p", false));
        }
        timeouts.sweep();
        assertThat(timeouts.tracked()).as("only the stuck publish stays tracked").isEqualTo(1);
    }

    /** {@code x}: the backend answers with a plain future; {@code typed}: with a PublishFuture, handed on as it is. */
    @ParameterizedTest
    @ValueSource(strings = {"x", "typed"})
    void aPublishTheBrokerNeverConfirmsFailsTypedAfterPublishTimeout(String address) {
        try (Omnibus bus = Omnibus.connect(Config.builder().url("hangtest://" + address + "?publish.timeout=100ms")
                .useEnvironment(false).build())) {
            long start = System.nanoTime();
            CompletableFuture<PublishReceipt> f = bus.publisher().publish("orders", CloudEventBuilder.v1()
                    .withId("e-9").withSource(URI.create("/t")).withType("t").build()).toCompletableFuture();
            assertThat(f instanceof PublishFuture).as("the backend's own future handed on").isEqualTo("typed".equals(address));
            assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class).cause()
                    .isInstanceOf(OmnibusException.class).hasMessageContaining("e-9")
                    .satisfies(e -> assertThat(((OmnibusException) e).isRetryable()).isTrue());
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(90L, 2_000L);
        }
    }
}
