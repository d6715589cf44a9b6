package dev.omnibus.internal;

import dev.omnibus.Capability;
import dev.omnibus.Delivery;
import dev.omnibus.Extensions;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.spi.ReceivedMessage;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/** One delivery; settling is a compare-and-set so the first ack or nack wins. */
final class DeliveryImpl implements Delivery {
    static final int PENDING = 0;
    static final int ACKED = 1;
    static final int NACKED = 2;
    static final int EXPIRED = 3;
    private static final AtomicIntegerFieldUpdater<DeliveryImpl> STATE =
            AtomicIntegerFieldUpdater.newUpdater(DeliveryImpl.class, "state");
    private static final Duration MAX_NACK_DELAY = Duration.ofHours(12);

    final SubscriptionImpl subscription;
    final ReceivedMessage message;
    final int attempt;
    /** {@link System#nanoTime()} when the delivery was made. */
    final long createdNanos;
    private final CloudEvent event;
    volatile long deadlineNanos;
    private volatile int state;

    DeliveryImpl(SubscriptionImpl subscription, ReceivedMessage message, int attempt, long createdNanos,
                 long deadlineNanos) {
        this.subscription = subscription;
        this.message = message;
        this.attempt = attempt;
        this.createdNanos = createdNanos;
        this.deadlineNanos = deadlineNanos;
        this.event = message.isInvalid() ? rawEvent(message) : message.event();
    }

    private static CloudEvent rawEvent(ReceivedMessage m) {
        String contentType = m.rawHeaders().getOrDefault("content-type", "application/octet-stream");
        return CloudEventBuilder.v1()
                .withId(m.position() != null ? m.position() : UUID.randomUUID().toString())
                .withSource(URI.create("omnibus:raw/" + m.topic()))
                .withType(Extensions.RAW_EVENT_TYPE)
                .withData(contentType, m.rawBody())
                .build();
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

    @Override
    public boolean ack() {
        if (!STATE.compareAndSet(this, PENDING, ACKED)) {
            return false;
        }
        subscription.settleAck(this);
        return true;
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
        if (!STATE.compareAndSet(this, PENDING, NACKED)) {
            return false;
        }
        subscription.settleNack(this, delay, reason);
        return true;
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
