package dev.omnibus.spi;

import dev.omnibus.ConfigOption;
import dev.omnibus.ConnectionState;
import dev.omnibus.ReconnectPolicy;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ReconnectorTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void reportsTheOutageOnceAndReconnectsAfterFailedAttempts() {
        Context context = new Context(ReconnectPolicy.of(Duration.ofMillis(1), Duration.ofMillis(5), 2.0, 0.0));
        AtomicInteger tries = new AtomicInteger();
        try (Reconnector r = new Reconnector(context, "test", () -> {
            if (tries.incrementAndGet() < 3) {
                throw new IOException("refused");
            }
        })) {
            IOException cause = new IOException("gone");
            r.lost(cause);
            r.lost(new IOException("again, same outage"));
            await().atMost(WAIT).until(() -> context.states.contains(ConnectionState.RECONNECTED));
            await().atMost(WAIT).until(() -> !r.reconnecting());
            assertThat(context.states).containsExactly(ConnectionState.DISCONNECTED, ConnectionState.RECONNECTED);
            assertThat(context.causes.get(0)).isSameAs(cause);
            assertThat(tries).hasValue(3);
            assertThat(r.attempts()).isEqualTo(3);
            assertThat(r.outages()).isEqualTo(1);
            await().atMost(WAIT).until(() -> context.receiveNow.get() == 1);

            r.lost(null);
            await().atMost(WAIT).until(() -> context.states.size() == 4);
            assertThat(context.states).endsWith(ConnectionState.DISCONNECTED, ConnectionState.RECONNECTED);
            assertThat(r.outages()).isEqualTo(2);
        }
    }

    @Test
    void waitsThePolicysDelayBeforeEachAttempt() {
        Duration delay = Duration.ofMillis(200);
        Context context = new Context(ReconnectPolicy.of(delay, delay, 1.0, 0.0));
        List<Long> at = new CopyOnWriteArrayList<>();
        try (Reconnector r = new Reconnector(context, "test", () -> {
            at.add(System.nanoTime());
            if (at.size() < 2) {
                throw new IOException("refused");
            }
        })) {
            long lost = System.nanoTime();
            r.lost(null);
            await().atMost(WAIT).until(() -> at.size() == 2);
            assertThat(Duration.ofNanos(at.get(0) - lost)).isGreaterThanOrEqualTo(delay.minusMillis(5));
            assertThat(Duration.ofNanos(at.get(1) - at.get(0))).isGreaterThanOrEqualTo(delay.minusMillis(5));
        }
    }

    @Test
    void closeEndsALoopThatNeverSucceedsAndLaterLossesDoNothing() throws InterruptedException {
        Context context = new Context(ReconnectPolicy.of(Duration.ofMillis(1), Duration.ofMillis(2), 2.0, 0.0));
        CountDownLatch tried = new CountDownLatch(5);
        Reconnector r = new Reconnector(context, "test", () -> {
            tried.countDown();
            throw new IOException("refused");
        });
        r.lost(null);
        assertThat(tried.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        r.close();
        assertThat(r.reconnecting()).isFalse();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("omnibus-test-reconnect"));
        r.lost(null);
        assertThat(r.reconnecting()).isFalse();
        assertThat(context.states).containsExactly(ConnectionState.DISCONNECTED);
    }

    @Test
    void closeInterruptsABlockedAttempt() {
        Context context = new Context(ReconnectPolicy.of(Duration.ofMillis(1), Duration.ofMillis(1), 1.0, 0.0));
        CountDownLatch inside = new CountDownLatch(1);
        Reconnector r = new Reconnector(context, "test", () -> {
            inside.countDown();
            new CountDownLatch(1).await();
        });
        r.lost(null);
        await().atMost(WAIT).until(() -> inside.getCount() == 0);
        long start = System.nanoTime();
        r.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(r.reconnecting()).isFalse();
        assertThat(context.states).containsExactly(ConnectionState.DISCONNECTED);
    }

    /** A context that records what the reconnector reports. */
    private static final class Context implements BackendContext {
        final List<ConnectionState> states = new CopyOnWriteArrayList<>();
        final List<Throwable> causes = new CopyOnWriteArrayList<>();
        final AtomicInteger receiveNow = new AtomicInteger();
        private final ReconnectPolicy policy;

        Context(ReconnectPolicy policy) {
            this.policy = policy;
        }

        @Override
        public String scheme() {
            return "test";
        }

        @Override
        public String address() {
            return "host";
        }

        @Override
        public String redactedUrl() {
            return "test://host";
        }

        @Override
        public <T> T get(ConfigOption<T> option) {
            return option.defaultValue();
        }

        @Override
        public Duration publishTimeout() {
            return Duration.ofSeconds(30);
        }

        @Override
        public ReconnectPolicy reconnectPolicy() {
            return policy;
        }

        @Override
        public void connectionState(ConnectionState state, Throwable cause) {
            states.add(state);
            causes.add(cause);
        }

        @Override
        public ScheduledExecutorService scheduler() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void receiveNow() {
            receiveNow.incrementAndGet();
        }
    }
}
