package dev.omnibus.redis.internal;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The corking rule on its own, over a simulated pipelined connection (a buffer that a write moves to the wire, and
 * replies in wire order). The real connection is exercised by the Redis kit and {@code RedisStreamsIT}; here the
 * interleavings are driven on purpose, which a live server cannot do.
 */
class PublishCorkTest {
    /** Not thread-safe on its own: every method is synchronized. */
    private static final class Wire {
        final Deque<Integer> buffer = new ArrayDeque<>();
        final Deque<Integer> inFlight = new ArrayDeque<>();
        final List<Integer> writeSizes = new ArrayList<>();

        synchronized void queue(int command) {
            buffer.add(command);
        }

        synchronized void write() {
            writeSizes.add(buffer.size());
            inFlight.addAll(buffer);
            buffer.clear();
        }

        synchronized Integer nextReply() {
            return inFlight.poll();
        }

        synchronized int buffered() {
            return buffer.size();
        }

        synchronized int writes() {
            return writeSizes.size();
        }
    }

    @Test
    void aPublishOnAnIdleConnectionIsWrittenAtOnceByTheFlusher() {
        Wire wire = new Wire();
        List<Runnable> handedOff = new ArrayList<>();
        PublishCork cork = new PublishCork(256, wire::write, handedOff::add);
        wire.queue(1);
        cork.queued();
        assertThat(handedOff).as("an idle connection hands the flush off, the publisher never writes").hasSize(1);
        assertThat(wire.writes()).isZero();
        handedOff.get(0).run();
        assertThat(wire.writeSizes).containsExactly(1);
    }

    @Test
    void commandsQueuedWhileRepliesAreAwaitedGoOutTogetherWithTheLastReply() {
        Wire wire = new Wire();
        PublishCork cork = new PublishCork(256, wire::write, Runnable::run);
        wire.queue(1);
        cork.queued();
        assertThat(wire.writeSizes).containsExactly(1);
        for (int c = 2; c <= 6; c++) {
            wire.queue(c);
            cork.queued();
        }
        assertThat(wire.writeSizes).as("nothing written while the first command's reply is awaited").containsExactly(1);
        assertThat(cork.unflushed()).isEqualTo(5);
        assertThat(wire.nextReply()).isEqualTo(1);
        cork.answered();
        assertThat(wire.writeSizes).as("the reply that answers the last written command writes the five queued")
                .containsExactly(1, 5);
        assertThat(cork.unflushed()).isZero();
        for (int c = 2; c <= 5; c++) {
            wire.nextReply();
            cork.answered();
        }
        assertThat(wire.writeSizes).as("replies within a written batch write nothing more").containsExactly(1, 5);
    }

    @Test
    void aPublisherThatQueuesAFullBatchWritesItWithoutWaitingForReplies() {
        Wire wire = new Wire();
        PublishCork cork = new PublishCork(4, wire::write, Runnable::run);
        wire.queue(0);
        cork.queued();
        for (int c = 1; c <= 8; c++) {
            wire.queue(c);
            cork.queued();
        }
        assertThat(wire.writeSizes).containsExactly(1, 4, 4);
    }

    @Test
    void aCommandThatFailsBeforeItIsWrittenNeverHoldsOthersBack() {
        Wire wire = new Wire();
        PublishCork cork = new PublishCork(256, wire::write, Runnable::run);
        wire.queue(1);
        cork.queued();
        cork.queued(); // queued, then failed at once (say, a full request queue): never reaches the wire
        cork.answered();
        wire.queue(3);
        cork.queued();
        wire.nextReply();
        cork.answered();
        assertThat(wire.buffered()).as("the command queued after the failure was written").isZero();
    }

    @Test
    void underConcurrentPublishersAndRepliesEveryCommandIsWrittenAndAnswered() throws Exception {
        Wire wire = new Wire();
        ExecutorService flusher = Executors.newSingleThreadExecutor();
        PublishCork cork = new PublishCork(64, wire::write, flusher);
        int publishers = 4;
        int perPublisher = 50_000;
        AtomicInteger answered = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        Thread replies = new Thread(() -> {
            while (!stop.get()) {
                Integer reply = wire.nextReply();
                if (reply == null) {
                    Thread.onSpinWait();
                    continue;
                }
                answered.incrementAndGet();
                cork.answered();
            }
        }, "replies");
        replies.start();
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < publishers; p++) {
            Thread t = new Thread(() -> {
                for (int i = 0; i < perPublisher; i++) {
                    wire.queue(i);
                    cork.queued();
                    if (ThreadLocalRandom.current().nextInt(1000) == 0) {
                        Thread.yield();
                    }
                }
            }, "publisher-" + p);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        try {
            Awaitility.await("every queued command written and answered, none left in the buffer")
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> answered.get() == publishers * perPublisher);
            assertThat(wire.buffered()).isZero();
            assertThat(wire.writes()).as("commands were batched, not written one by one")
                    .isLessThan(publishers * perPublisher);
        } finally {
            stop.set(true);
            replies.join();
            flusher.shutdown();
            assertThat(flusher.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        }
    }
}
