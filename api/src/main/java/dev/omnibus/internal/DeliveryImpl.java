package dev.omnibus.internal;

import dev.omnibus.Capability;
import dev.omnibus.Delivery;
import dev.omnibus.Extensions;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.spi.ReceivedMessage;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One delivery; settling is a compare-and-set so the first ack or nack wins. Thread-safe: created by the receive
 * thread, handled on a handler thread, settled from any thread, its lease renewed by housekeeping.
 */
final class DeliveryImpl implements Delivery {
    static final int PENDING = 0;
    static final int ACKED = 1;
    static final int NACKED = 2;
    static final int EXPIRED = 3;
    private static final AtomicIntegerFieldUpdater<DeliveryImpl> STATE =
            AtomicIntegerFieldUpdater.newUpdater(DeliveryImpl.class, "state");
    private static final AtomicIntegerFieldUpdater<DeliveryImpl> LEASE_ENDED =
            AtomicIntegerFieldUpdater.newUpdater(DeliveryImpl.class, "leaseEnded");
    private static final Duration MAX_NACK_DELAY = Duration.ofHours(12);

    final SubscriptionImpl subscription;
    final ReceivedMessage message;
    final int attempt;
    private final CloudEvent event;
    /**
     * The handler deadline: {@link System#nanoTime()} by which a handler that got this delivery must have settled it
     * (set when the handler starts; {@code Long.MAX_VALUE} before).
     */
    volatile long deadlineNanos = Long.MAX_VALUE;
    private volatile int state;
    /** The lease lot holding this delivery, and its slot there; set by {@link Leases#hold} before publication. */
    Leases.Lot lot;
    int slot;
    private volatile int leaseEnded;

    DeliveryImpl(SubscriptionImpl subscription, ReceivedMessage message, int attempt) {
        this.subscription = subscription;
        this.message = message;
        this.attempt = attempt;
        this.event = message.isInvalid() ? rawEvent(message) : message.event();
    }

    private static CloudEvent rawEvent(ReceivedMessage m) {
        String contentType = m.rawHeaders().getOrDefault("content-type", "application/octet-stream");
        return CloudEventBuilder.v1()
                .withId(m.position() != null ? m.position() : UUID.randomUUID().toString())
                .withSource(rawSource(m.topic()))
                .withType(Extensions.RAW_EVENT_TYPE)
                .withData(contentType, m.rawBody())
                .build();
    }

    /**
     * {@code omnibus:raw/<topic>}, the topic percent-encoded where a URI needs it: brokers allow subjects with
     * {@code |}, {@code %}, {@code "} or spaces, and one such foreign message must not end the subscription.
     */
    static URI rawSource(String topic) {
        StringBuilder b = new StringBuilder(topic.length() + 12).append("omnibus:raw/");
        byte[] bytes = topic.getBytes(StandardCharsets.UTF_8);
        for (byte x : bytes) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == '_' || c == '~' || c == '*' || c == '>' || c == '/') {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return URI.create(b.toString());
    }

    void lease(Leases.Lot lot, int slot) {
        this.lot = lot;
        this.slot = slot;
    }

    /** Ends the lease; true the first time. */
    boolean endLease() {
        return LEASE_ENDED.compareAndSet(this, 0, 1);
    }

    /** Whether the library still holds this message at the broker. */
    boolean leaseHeld() {
        return leaseEnded == 0;
    }

    @Override
    public CloudEvent event() {
        return event;
    }

    @Override
    public String topic() {
        return message.topic();
    }

    @Override
    public String group() {
        return subscription.options().group();
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public String position() {
        return message.position();
    }

    @Override
    public boolean isRaw() {
        return message.isInvalid();
    }

    /**
     * Acks. Goes through the subscription's settle gate: an ack that returns {@code true} reaches the receiver even
     * when close runs at the same time; after close it returns {@code false} and the broker redelivers the event.
     */
    @Override
    public boolean ack() {
        if (!subscription.enterSettle()) {
            return false;
        }
        try {
            if (!STATE.compareAndSet(this, PENDING, ACKED)) {
                return false;
            }
            subscription.settleAck(this);
            return true;
        } finally {
            subscription.exitSettle();
        }
    }

    @Override
    public boolean nack() {
        return nack(Duration.ZERO);
    }

    @Override
    public boolean nack(Duration delay) {
        if (delay == null || delay.isNegative() || delay.compareTo(MAX_NACK_DELAY) > 0) {
            throw new InvalidArgumentException("nack delay must be from 0 to 12h, was " + delay);
        }
        subscription.requireNack(delay.isZero() ? Capability.NACK : Capability.DELAYED_NACK);
        return failed(delay, "nacked by the handler (attempt " + attempt + ")");
    }

    /** Nacks for a failure (a handler exception) without the explicit-nack capability checks. */
    boolean failed(Duration delay, String reason) {
        if (!subscription.enterSettle()) {
            return false;
        }
        try {
            if (!STATE.compareAndSet(this, PENDING, NACKED)) {
                return false;
            }
            subscription.settleNack(this, delay, reason);
            return true;
        } finally {
            subscription.exitSettle();
        }
    }

    /** Marks the delivery expired (deadline passed, or handed back on close); true if it was still pending. */
    boolean expire() {
        return STATE.compareAndSet(this, PENDING, EXPIRED);
    }

    boolean isPending() {
        return state == PENDING;
    }

    @Override
    public String toString() {
        return "Delivery{topic=" + topic() + ", id=" + event.getId() + ", attempt=" + attempt + ", state="
                + state + "}";
    }
}
