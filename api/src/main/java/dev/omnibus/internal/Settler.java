package dev.omnibus.internal;

import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.instrument.SubscriptionObserver;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Takes a subscription's settled deliveries to the receiver: acks (gathered in the {@link AckBatch} while the receive
 * thread runs a batch inline), nacks, dead letters where the library dead-letters ({@link DeadLetters}), and
 * hand-backs of deliveries no handler will settle. Each outcome, once handed to the receiver, ends the delivery's
 * lease and frees its in-flight slot.
 *
 * <p>The in-flight count is what bounds the receive loop: it receives only while fewer than {@code maxInFlight}
 * deliveries are unsettled, and parks otherwise; freeing the slot that brings the count back under the bound
 * unparks it, so a full subscription resumes at once rather than after its park times out.
 *
 * <p>Threads: any thread settles (a {@link DeliveryImpl} passes the subscription's {@link SettleGate} first, so no
 * outcome reaches a closed receiver); {@link #flushAcks()} is the receive thread's. A receiver that throws is
 * logged: the broker redelivers what it did not get.
 */
final class Settler {
    private static final Logger log = LoggerFactory.getLogger(Settler.class);

    private final Backend backend;
    private final Receiver receiver;
    private final Capabilities capabilities;
    private final SubscribeOptions options;
    private final Leases leases;
    private final AttemptCounter attempts;
    private final AckBatch acks;
    private final Thread receiveThread;
    /** Dead-lettering after {@code maxAttempts} is the library's (the broker has no native dead letter). */
    private final boolean libraryDeadLetter;
    /** {@code null} without a dead-letter topic. */
    private final DeadLetters deadLetters;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder acked = new LongAdder();
    private final LongAdder nacked = new LongAdder();
    /** Lines about deliveries settled without a nack: at most one per 10 s, with how many were held back. */
    private final LogThrottle unredeliverableLog = new LogThrottle(Duration.ofSeconds(10));
    /** Set by {@link #observe} before the receive thread starts; {@code null} when no instrumentation is on. */
    private Observers.Sub observers;

    Settler(Backend backend, Receiver receiver, Capabilities capabilities, SubscribeOptions options, Leases leases,
            AttemptCounter attempts, AckBatch acks, SettleGate gate, Thread receiveThread) {
        this.backend = backend;
        this.receiver = receiver;
        this.capabilities = capabilities;
        this.options = options;
        this.leases = leases;
        this.attempts = attempts;
        this.acks = acks;
        this.receiveThread = receiveThread;
        this.libraryDeadLetter = options.deadLetterTopic() != null
                && !capabilities.has(Capability.NATIVE_DEAD_LETTER);
        // also with a native dead letter: raw messages under onInvalidMessage(DEAD_LETTER) are published by the library
        this.deadLetters = options.deadLetterTopic() == null ? null
                : new DeadLetters(backend, receiver, options, gate, capabilities.has(Capability.DELAYED_NACK));
    }

    void observe(Observers.Sub observers) {
        this.observers = observers;
    }

    /** {@code n} deliveries were received and are now unsettled. Receive thread. */
    void taken(int n) {
        inFlight.addAndGet(n);
    }

    int inFlight() {
        return inFlight.get();
    }

    long acked() {
        return acked.sum();
    }

    long nacked() {
        return nacked.sum();
    }

    long deadLettered() {
        return deadLetters == null ? 0 : deadLetters.count();
    }

    /** Acks {@code d}: gathered if the receive thread is running an inline batch, else at once. */
    void ack(DeliveryImpl d) {
        if (acks.gathering() && Thread.currentThread() == receiveThread) {
            acks.add(d);
            return;
        }
        try {
            receiver.ack(d.message);
        } catch (RuntimeException e) {
            log.warn("{}: ack of {} failed; the broker will redeliver it", backend.name(), d.message, e);
        }
        leases.end(d);
        acked(d);
        release();
    }

    /** Sends the gathered acks with one {@code ackAll}; their leases were held until now. Receive thread. */
    void flushAcks() {
        List<DeliveryImpl> batch = acks.drain();
        int n = batch.size();
        if (n == 0) {
            return;
        }
        List<ReceivedMessage> messages = new ArrayList<>(n);
        for (DeliveryImpl d : batch) {
            messages.add(d.message);
        }
        try {
            receiver.ackAll(messages);
        } catch (RuntimeException e) {
            log.warn("{}: ack of {} messages failed; the broker will redeliver them", backend.name(), n, e);
        }
        for (DeliveryImpl d : batch) {
            leases.end(d);
            acked(d);
        }
        releaseAll(n);
    }

    private void acked(DeliveryImpl d) {
        acked.increment();
        attempts.forget(d.message);
        if (observers != null) {
            observers.acked(d);
        }
    }

    /**
     * Nacks {@code d} for redelivery after {@code delay} (at once where the broker has no delayed nack), or
     * dead-letters it once it reached {@code maxAttempts} where the library dead-letters. Where the backend has no
     * nack, see {@link #settleUnredeliverable}.
     */
    void nack(DeliveryImpl d, Duration delay, String reason) {
        nacked.increment();
        if (observers != null) {
            observers.nacked(d, delay, reason);
        }
        if (libraryDeadLetter && d.attempt >= options.maxAttempts()) {
            deadLetter(d, reason);
            return;
        }
        if (capabilities.has(Capability.NACK)) {
            try {
                receiver.nack(d.message, capabilities.has(Capability.DELAYED_NACK) ? delay : Duration.ZERO);
            } catch (RuntimeException e) {
                log.warn("{}: nack of {} failed; the broker will redeliver it after the deadline", backend.name(),
                        d.message, e);
            }
            leases.end(d);
            release();
        } else {
            settleUnredeliverable(d, "failed (" + Redaction.printable(reason) + ")");
        }
    }

    /**
     * Settles {@code d}, which failed or expired, on a backend without a nack. Never leaves it unsettled for good: a
     * broker that frees a delivery's in-flight slot only when it is settled (MQTT's receive maximum, say) would
     * otherwise stall the subscription once as many deliveries failed as it lets be in flight.
     * <ul>
     *   <li>At-least-once backend: nothing is sent; the lease ends, so the broker redelivers it once its ack
     *       deadline passes (the broker's own nack by timeout).</li>
     *   <li>At-most-once backend: the broker would never give it again, so it is acked (which frees the broker's
     *       slot), logged and counted as dropped ({@link SubscriptionObserver#NOT_REDELIVERABLE}).</li>
     * </ul>
     */
    private void settleUnredeliverable(DeliveryImpl d, String what) {
        // one line per event would flood the log when every event fails: one per interval, with a count
        long heldBack = unredeliverableLog.admit();
        if (capabilities.has(Capability.AT_LEAST_ONCE)) {
            if (heldBack >= 0) {
                log.warn("{}: event {} on '{}' {}; the backend has no nack: the broker redelivers it after the ack "
                        + "deadline{}", backend.name(), Redaction.printable(d.event().getId()), d.topic(), what,
                        LogThrottle.note(heldBack));
            }
        } else {
            if (heldBack >= 0) {
                log.warn("{}: event {} on '{}' {} and cannot be redelivered (at-most-once backend): settled as "
                        + "dropped{}", backend.name(), Redaction.printable(d.event().getId()), d.topic(), what,
                        LogThrottle.note(heldBack));
            }
            try {
                receiver.ack(d.message);
            } catch (RuntimeException e) {
                log.debug("{}: settling {} failed", backend.name(), d.message, e);
            }
            if (observers != null) {
                observers.dropped(SubscriptionObserver.NOT_REDELIVERABLE, 1);
            }
        }
        leases.end(d);
        release();
    }

    /**
     * Gives up {@code d}, a MANUAL delivery whose handler left it unsettled past its ack deadline: handed back to
     * the broker for redelivery where it has a nack, else settled as {@link #settleUnredeliverable} says.
     */
    void expired(DeliveryImpl d) {
        if (capabilities.has(Capability.NACK)) {
            handBack(d);
        } else {
            settleUnredeliverable(d, "was left unsettled past its ack deadline");
        }
    }

    /**
     * Publishes {@code d} to the dead-letter topic, then settles it on the source (see {@link DeadLetters}); its
     * lease and slot are held until the publish's outcome.
     */
    void deadLetter(DeliveryImpl d, String reason) {
        if (deadLetters == null) {
            // raw messages with onInvalidMessage(DEAD_LETTER) and no dead-letter topic never get here (checked at
            // subscribe time); stay safe and leave the message to the broker
            handBack(d);
            return;
        }
        deadLetters.publish(d, reason, succeeded -> {
            if (succeeded) {
                attempts.forget(d.message);
                if (observers != null) {
                    observers.deadLettered(d, options.deadLetterTopic(), reason);
                }
            }
            leases.end(d);
            release();
        });
    }

    /**
     * Gives a delivery no handler will settle back to the broker: nacked at once where the broker has a nack, else
     * left unsettled for the broker (closing: a broker that keeps sessions gives it to the next one).
     */
    void handBack(DeliveryImpl d) {
        try {
            if (capabilities.has(Capability.NACK)) {
                receiver.nack(d.message, Duration.ZERO);
            }
        } catch (RuntimeException e) {
            log.debug("{}: handing back {} failed; the broker redelivers it after the deadline", backend.name(),
                    d.message, e);
        }
        leases.end(d);
        release();
    }

    /** Waits (uninterruptibly) until no dead-letter publish is pending or {@code deadlineNanos}; true if none is. */
    boolean awaitDeadLetters(long deadlineNanos) {
        return deadLetters == null || deadLetters.await(deadlineNanos);
    }

    /** Frees one in-flight slot. */
    void release() {
        releaseAll(1);
    }

    private void releaseAll(int n) {
        int now = inFlight.addAndGet(-n);
        if (now < options.maxInFlight() && now + n >= options.maxInFlight()) {
            LockSupport.unpark(receiveThread);
        }
    }
}
