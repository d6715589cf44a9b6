package dev.omnibus.spi;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The push-to-pull handoff for backend authors: order, bounds, backpressure, failures and close. */
class PushBufferTest {
    private static final Duration LONG = Duration.ofSeconds(10);

    private static ReceivedMessage message(String id) {
        return ReceivedMessage.event("t", CloudEventBuilder.v1().withId(id).withSource(URI.create("/push"))
                .withType("t").build()).position(id).build();
    }

    private static List<String> ids(List<ReceivedMessage> messages) {
        return messages.stream().map(m -> m.event().getId()).toList();
    }

    /** Waits (bounded) until {@code t} is parked, i.e. blocked in the buffer. */
    private static void awaitBlocked(Thread t) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (t.getState() != Thread.State.TIMED_WAITING && t.getState() != Thread.State.WAITING) {
            assertThat(System.nanoTime() - end).as("thread %s blocks in the buffer", t.getName()).isNegative();
            Thread.onSpinWait();
        }
    }

    @Test
    void messagesAreTakenInOfferedOrderAtMostMaxAtATime() throws Exception {
        PushBuffer buffer = new PushBuffer(10);
        for (int i = 0; i < 5; i++) {
            assertThat(buffer.offer(message("m" + i), Duration.ZERO)).isTrue();
        }
        assertThat(ids(buffer.waiting())).containsExactly("m0", "m1", "m2", "m3", "m4");
        assertThat(ids(buffer.take(3, LONG))).containsExactly("m0", "m1", "m2");
        assertThat(ids(buffer.take(3, LONG))).containsExactly("m3", "m4");
        assertThat(buffer.take(3, Duration.ofMillis(20))).as("nothing more within the wait").isEmpty();
    }

    @Test
    void aFullBufferBlocksTheClientsThreadUntilTheReceiveThreadTakes() throws Exception {
        PushBuffer buffer = new PushBuffer(2);
        buffer.offer(message("a"), Duration.ZERO);
        buffer.offer(message("b"), Duration.ZERO);
        assertThat(buffer.offer(message("refused"), Duration.ZERO)).as("full, no wait").isFalse();

        CompletableFuture<Boolean> third = new CompletableFuture<>();
        Thread client = new Thread(() -> {
            try {
                third.complete(buffer.offer(message("c"), LONG));
            } catch (InterruptedException e) {
                third.completeExceptionally(e);
            }
        }, "push-client");
        client.start();
        awaitBlocked(client);
        assertThat(third).isNotDone();

        assertThat(ids(buffer.take(1, LONG))).containsExactly("a");
        assertThat(third.get(5, TimeUnit.SECONDS)).as("the blocked offer went in once a slot was free").isTrue();
        assertThat(ids(buffer.take(5, LONG))).containsExactly("b", "c");
    }

    @Test
    void aFailureIsThrownOnceAfterWhatWasOfferedBeforeIt() throws Exception {
        PushBuffer buffer = new PushBuffer(4);
        buffer.offer(message("before"), Duration.ZERO);
        buffer.fail(new OmnibusException(ErrorCode.UNAVAILABLE, "the consumer was cancelled by the broker"));

        assertThat(ids(buffer.take(5, LONG))).as("delivered before the failure").containsExactly("before");
        assertThatThrownBy(() -> buffer.take(5, LONG)).isInstanceOf(OmnibusException.class)
                .hasMessageContaining("cancelled by the broker");
        assertThat(buffer.take(5, Duration.ofMillis(20))).as("thrown once, then cleared").isEmpty();
    }

    @Test
    void closeWakesABlockedTakeAndOfferAndReturnsWhatWasWaiting() throws Exception {
        PushBuffer empty = new PushBuffer(1);
        CompletableFuture<List<ReceivedMessage>> taken = new CompletableFuture<>();
        Thread receive = new Thread(() -> {
            try {
                taken.complete(empty.take(5, LONG));
            } catch (InterruptedException e) {
                taken.completeExceptionally(e);
            }
        }, "push-receive");
        receive.start();
        awaitBlocked(receive);
        assertThat(empty.close()).isEmpty();
        assertThat(taken.get(5, TimeUnit.SECONDS)).as("a take woken by close").isEmpty();

        PushBuffer full = new PushBuffer(1);
        full.offer(message("left"), Duration.ZERO);
        CompletableFuture<Boolean> offered = new CompletableFuture<>();
        Thread client = new Thread(() -> {
            try {
                offered.complete(full.offer(message("late"), LONG));
            } catch (InterruptedException e) {
                offered.completeExceptionally(e);
            }
        }, "push-client-2");
        client.start();
        awaitBlocked(client);
        assertThat(ids(full.close())).containsExactly("left");
        assertThat(offered.get(5, TimeUnit.SECONDS)).as("an offer woken by close").isFalse();
        assertThat(full.offer(message("after"), Duration.ZERO)).isFalse();
        assertThat(full.size()).isZero();
    }

    @Test
    void wakeupEndsAWaitingTakeOnceAndLeavesTheBufferOpen() throws Exception {
        PushBuffer buffer = new PushBuffer(4);
        CompletableFuture<List<ReceivedMessage>> taken = new CompletableFuture<>();
        Thread receive = new Thread(() -> {
            try {
                taken.complete(buffer.take(5, LONG));
            } catch (InterruptedException e) {
                taken.completeExceptionally(e);
            }
        }, "push-receive-woken");
        receive.start();
        awaitBlocked(receive);
        buffer.wakeup();
        assertThat(taken.get(5, TimeUnit.SECONDS)).as("a take woken up").isEmpty();

        buffer.wakeup();
        long start = System.nanoTime();
        assertThat(buffer.take(5, LONG)).as("the take after a wakeup with no waiter").isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

        assertThat(buffer.offer(message("after"), Duration.ZERO)).as("the buffer stays open").isTrue();
        assertThat(ids(buffer.take(5, Duration.ZERO))).containsExactly("after");
        buffer.wakeup();
        assertThat(buffer.offer(message("waiting"), Duration.ZERO)).isTrue();
        assertThat(ids(buffer.take(5, LONG))).as("a wakeup never hides what waits").containsExactly("waiting");
    }

    @Test
    void aCapacityBelowOneIsRefusedWithWhatIsAllowed() {
        assertThatThrownBy(() -> new PushBuffer(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a PushBuffer's capacity is at least 1, not 0");
    }
}
