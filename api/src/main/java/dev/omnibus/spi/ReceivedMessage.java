package dev.omnibus.spi;

import dev.omnibus.Extensions;
import io.cloudevents.CloudEvent;

import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * One message as a receiver hands it to the library: a decoded event, or the raw body of a message that was not
 * a valid CloudEvent. Built with {@link #event} or {@link #invalid} and the {@link Builder}:
 *
 * <pre>{@code
 * ReceivedMessage.event(topic, event).deliveryCount(3).redeliveryKey(offset).position(offset).handle(record).build()
 * }</pre>
 *
 * Immutable apart from what the driver keeps in {@link #handle()} (a position given as a source and a format is
 * written on first use, see {@link Builder#position(Object, Function)}); thread-safe.
 */
public final class ReceivedMessage {
    private final String topic;
    private final CloudEvent event;
    private final byte[] rawBody;
    private final Map<String, String> rawHeaders;
    private final String invalidReason;
    private final int deliveryCount;
    private final String redeliveryKey;
    private final String orderingKey;
    /**
     * The position's text once known. Not final: a position given as a source and a format is written on the first
     * {@link #position()}. Two threads asking at once may both format it; they write equal strings, and a String is
     * safe to publish through a data race (its fields are final), so no lock and no volatile read per call.
     */
    private String position;
    private final Object positionSource;
    private final Function<Object, String> positionFormat;
    private final Object handle;

    private ReceivedMessage(Builder b) {
        this.topic = b.topic;
        this.event = b.event;
        this.rawBody = b.rawBody;
        this.rawHeaders = b.rawHeaders;
        this.invalidReason = b.invalidReason;
        this.deliveryCount = b.deliveryCount;
        this.redeliveryKey = b.redeliveryKey;
        // the event's partition key unless the driver names another (a Kafka partition, say): a driver that forgets
        // it would otherwise let the library's handler lanes reorder a key at concurrency(n) > 1
        this.orderingKey = b.orderingKey != null || b.event == null ? b.orderingKey : partitionKey(b.event);
        this.position = b.position;
        this.positionSource = b.positionSource;
        this.positionFormat = b.positionFormat;
        this.handle = b.handle;
    }

    private static String partitionKey(CloudEvent event) {
        Object key = event.getExtension(Extensions.PARTITION_KEY);
        return key == null ? null : key.toString();
    }

    /**
     * Starts a message carrying a decoded event.
     *
     * @throws NullPointerException naming the argument when {@code topic} or {@code event} is null
     */
    public static Builder event(String topic, CloudEvent event) {
        Builder b = new Builder(topic);
        b.event = Objects.requireNonNull(event, "event");
        return b;
    }

    /**
     * Starts a message that is not a valid CloudEvent: its raw body and headers, and why it could not be read. The
     * library delivers it raw or dead-letters it, per the subscription's {@link dev.omnibus.InvalidMessagePolicy}.
     * A null body is read as empty, null headers as none.
     *
     * @throws NullPointerException naming the argument when {@code topic} or {@code reason} is null
     */
    public static Builder invalid(String topic, byte[] body, Map<String, String> headers, String reason) {
        Builder b = new Builder(topic);
        b.rawBody = body == null ? new byte[0] : body;
        b.rawHeaders = headers == null ? Map.of() : Map.copyOf(headers);
        b.invalidReason = Objects.requireNonNull(reason, "reason");
        return b;
    }

    /**
     * Builds a {@link ReceivedMessage}; every property but the topic and the event (or raw body) is optional. Not
     * thread-safe: a driver builds each message on one thread.
     */
    public static final class Builder {
        private final String topic;
        private CloudEvent event;
        private byte[] rawBody;
        private Map<String, String> rawHeaders;
        private String invalidReason;
        private int deliveryCount;
        private String redeliveryKey;
        private String orderingKey;
        private String position;
        private Object positionSource;
        private Function<Object, String> positionFormat;
        private Object handle;

        private Builder(String topic) {
            this.topic = Objects.requireNonNull(topic, "topic");
        }

        /**
         * Which delivery this is as the broker counts (1 = first); 0 (the default) when the broker does not count:
         * the library then counts per {@link #redeliveryKey}.
         *
         * @throws IllegalArgumentException when negative
         */
        public Builder deliveryCount(int count) {
            if (count < 0) {
                throw new IllegalArgumentException("deliveryCount must be 0 (not counted) or more, was " + count);
            }
            this.deliveryCount = count;
            return this;
        }

        /** Identifies the message across redeliveries (offset, sequence); {@code null} (default) = the event id. */
        public Builder redeliveryKey(String key) {
            this.redeliveryKey = key;
            return this;
        }

        /**
         * The key whose order must be kept (a partition, say); by default the event's {@code partitionkey} extension,
         * or none when it has none. Ignored for an invalid message, which has no key.
         */
        public Builder orderingKey(String key) {
            this.orderingKey = key;
            return this;
        }

        /** The broker's position, for {@link dev.omnibus.Delivery#position()}; {@code null} by default. */
        public Builder position(String position) {
            this.position = position;
            this.positionSource = null;
            this.positionFormat = null;
            return this;
        }

        /**
         * The broker's position as {@code format} writes it from {@code source}, on the first
         * {@link ReceivedMessage#position()} rather than now. Why: most handlers never read a delivery's position, and
         * text built from numbers for every message (Kafka's {@code partition:offset}) was a tenth of a receive
         * thread's time at 850 k records/s. {@code format} must be a pure function of {@code source} (it may run more
         * than once, on any thread) and should not capture anything, so that this costs no allocation; keep
         * {@code source} small or something the message holds anyway (its record, say).
         *
         * @throws NullPointerException naming the argument when {@code source} or {@code format} is null
         */
        @SuppressWarnings("unchecked")
        public <T> Builder position(T source, Function<? super T, String> format) {
            this.positionSource = Objects.requireNonNull(source, "source");
            this.positionFormat = (Function<Object, String>) Objects.requireNonNull(format, "format");
            this.position = null;
            return this;
        }

        /** Whatever the driver needs to settle the message; {@code null} by default. */
        public Builder handle(Object handle) {
            this.handle = handle;
            return this;
        }

        /** The message. The builder may be used again: each call returns a new message. */
        public ReceivedMessage build() {
            if (event == null) {
                orderingKey = null;
            }
            return new ReceivedMessage(this);
        }
    }

    /** The concrete topic. */
    public String topic() {
        return topic;
    }

    /** The event, or {@code null} when {@link #isInvalid()}. */
    public CloudEvent event() {
        return event;
    }

    /** Whether the message was not a valid CloudEvent. */
    public boolean isInvalid() {
        return event == null;
    }

    /** The raw body of an invalid message. */
    public byte[] rawBody() {
        return rawBody;
    }

    /** The raw headers of an invalid message. */
    public Map<String, String> rawHeaders() {
        return rawHeaders;
    }

    /** Why the message is invalid. */
    public String invalidReason() {
        return invalidReason;
    }

    /** The broker's delivery count (1 = first), or 0 when it keeps none. */
    public int deliveryCount() {
        return deliveryCount;
    }

    /** The key identifying the message across redeliveries, or {@code null}. */
    public String redeliveryKey() {
        return redeliveryKey;
    }

    /** The ordering key: the driver's, else the event's {@code partitionkey}; {@code null} when neither is set. */
    public String orderingKey() {
        return orderingKey;
    }

    /** The broker's position, or {@code null}; formatted here on first use when given as a source and a format. */
    public String position() {
        String p = position;
        if (p == null && positionFormat != null) {
            p = positionFormat.apply(positionSource);
            position = p;
        }
        return p;
    }

    /** The driver's settle handle. */
    public Object handle() {
        return handle;
    }

    @Override
    public String toString() {
        return "ReceivedMessage{topic=" + topic + ", " + (event != null ? "id=" + event.getId() : "invalid: "
                + invalidReason) + ", deliveryCount=" + deliveryCount + ", position=" + position() + "}";
    }
}
