package dev.omnibus.internal;

import dev.omnibus.Extensions;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.Receiver;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The library's dead-lettering, for backends without a native one: publishes a failed delivery's event to the
 * dead-letter topic with its attributes intact plus the reason, topic and attempts, and only once that publish is
 * confirmed settles the delivery on the source ({@link Receiver#deadLettered}); a failed publish leaves it on the
 * source for redelivery. Nothing here can end the subscription: a dead letter that cannot be built or sent is
 * logged and handed back.
 *
 * <p>Thread-safe. Publishes start on handler threads; outcomes arrive on the backend's completion threads and go
 * through the subscription's {@link SettleGate}, so none reaches a closed receiver.
 */
final class DeadLetters {
    private static final Logger log = LoggerFactory.getLogger(DeadLetters.class);
    private static final int MAX_REASON = 1024;

    private final Backend backend;
    private final Receiver receiver;
    private final SubscribeOptions options;
    private final SettleGate gate;
    private final boolean delayedNack;
    private final AtomicInteger pending = new AtomicInteger();
    private final LongAdder count = new LongAdder();

    DeadLetters(Backend backend, Receiver receiver, SubscribeOptions options, SettleGate gate, boolean delayedNack) {
        this.delayedNack = delayedNack;
        this.backend = backend;
        this.receiver = receiver;
        this.options = options;
        this.gate = gate;
    }

    /**
     * Dead-letters {@code d}; {@code done} is told once whether it is now settled on the source (true) or left for
     * redelivery (false). Any thread.
     */
    void publish(DeliveryImpl d, String reason, Consumer<Boolean> done) {
        CompletionStage<?> sent;
        pending.incrementAndGet();
        try {
            CloudEvent dead = CloudEventBuilder.from(d.event())
                    .withExtension(Extensions.DEAD_LETTER_REASON, reason.length() > MAX_REASON
                            ? reason.substring(0, MAX_REASON) : reason)
                    .withExtension(Extensions.DEAD_LETTER_TOPIC, d.topic())
                    .withExtension(Extensions.DEAD_LETTER_ATTEMPTS, d.attempt)
                    .build();
            sent = backend.send(options.deadLetterTopic(), dead);
        } catch (Throwable e) {
            log.error("{}: cannot dead-letter event {} of '{}' to '{}'; it stays on the source for redelivery",
                    backend.name(), Redaction.printable(d.event().getId()), d.topic(), options.deadLetterTopic(), e);
            settle(d, false, done);
            return;
        }
        sent.whenComplete((receipt, error) -> {
            if (error != null) {
                log.warn("{}: publishing event {} to dead-letter topic '{}' failed; it stays on '{}' for "
                        + "redelivery", backend.name(), Redaction.printable(d.event().getId()),
                        options.deadLetterTopic(), d.topic(), error);
            }
            settle(d, error == null, done);
        });
    }

    private void settle(DeliveryImpl d, boolean published, Consumer<Boolean> done) {
        boolean settled = false;
        try {
            if (gate.enter()) {
                try {
                    if (published) {
                        receiver.deadLettered(d.message);
                        count.increment();
                        settled = true;
                    } else {
                        // back off like a failing handler, so a dead-letter topic that refuses every publish
                        // does not turn into a tight redelivery loop
                        receiver.nack(d.message, delayedNack ? options.retryDelay(d.attempt) : Duration.ZERO);
                    }
                } finally {
                    gate.exit();
                }
            }
        } catch (RuntimeException e) {
            log.warn("{}: settling dead-lettered {} failed", backend.name(), d.message, e);
        } finally {
            try {
                done.accept(settled);
            } finally {
                if (pending.decrementAndGet() == 0) {
                    synchronized (pending) {
                        pending.notifyAll();
                    }
                }
            }
        }
    }

    /** Events dead-lettered so far. */
    long count() {
        return count.sum();
    }

    /** Waits (uninterruptibly) until no dead-letter publish is pending or {@code deadlineNanos}; true if none is. */
    boolean await(long deadlineNanos) {
        synchronized (pending) {
            long left;
            while (pending.get() > 0 && (left = deadlineNanos - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(pending, left);
                } catch (InterruptedException e) {
                    // close waits its drain whatever the interrupt; SubscriptionImpl.close restores the status
                }
            }
            return pending.get() == 0;
        }
    }
}
