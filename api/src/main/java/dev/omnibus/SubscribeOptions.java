package dev.omnibus;

import java.time.Duration;
import java.util.Objects;

/**
 * What to subscribe to and how; immutable and thread-safe. Start with {@link #topic(String)}, then chain:
 * every method returns a new instance.
 *
 * <pre>{@code
 * SubscribeOptions.topic("orders.created").group("billing")
 *     .maxInFlight(256).ackDeadline(Duration.ofSeconds(30)).deadLetter("orders.created.dlq", 5)
 * }</pre>
 *
 * <p>Values are checked here (ranges) and again at subscribe time against the backend's
 * {@link Capabilities}: a group needs {@link Capability#GROUPS}, a start position other than LATEST needs
 * {@link Capability#REPLAY}, a wildcard topic needs {@link Capability#WILDCARDS}, an explicit overflow policy
 * needs {@link Capability#OVERFLOW_POLICY}, dead-lettering needs {@link Capability#AT_LEAST_ONCE}.
 */
public final class SubscribeOptions {
    /** Default bound on unsettled deliveries per subscription. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 256;
    /** Default number of handler threads (1: the handler runs on the subscription's receive thread, in order). */
    public static final int DEFAULT_CONCURRENCY = 1;
    /** Default ack deadline. */
    public static final Duration DEFAULT_ACK_DEADLINE = Duration.ofSeconds(30);
    /** Default per-subscription buffer capacity, where the backend buffers per subscription. */
    public static final int DEFAULT_BUFFER_CAPACITY = 1024;
    /** Largest allowed {@code maxInFlight}. */
    public static final int MAX_IN_FLIGHT_LIMIT = 100_000;
    /** Largest allowed {@code concurrency}. */
    public static final int CONCURRENCY_LIMIT = 1024;

    private final String topic;
    private final String group;
    private final AckMode ackMode;
    private final int maxInFlight;
    private final int concurrency;
    private final Duration ackDeadline;
    private final String deadLetterTopic;
    private final int maxAttempts;
    private final StartPosition startPosition;
    private final OverflowPolicy overflow;
    private final int bufferCapacity;
    private final InvalidMessagePolicy onInvalidMessage;

    private SubscribeOptions(String topic, String group, AckMode ackMode, int maxInFlight, int concurrency,
                             Duration ackDeadline, String deadLetterTopic, int maxAttempts,
                             StartPosition startPosition, OverflowPolicy overflow, int bufferCapacity,
                             InvalidMessagePolicy onInvalidMessage) {
        this.topic = topic;
        this.group = group;
        this.ackMode = ackMode;
        this.maxInFlight = maxInFlight;
        this.concurrency = concurrency;
        this.ackDeadline = ackDeadline;
        this.deadLetterTopic = deadLetterTopic;
        this.maxAttempts = maxAttempts;
        this.startPosition = startPosition;
        this.overflow = overflow;
        this.bufferCapacity = bufferCapacity;
        this.onInvalidMessage = onInvalidMessage;
    }

    /**
     * Options for {@code topic}: a topic name, or, where the backend supports wildcards, a pattern where
     * {@code *} matches one token and a final {@code >} one or more ({@code orders.*.created}, {@code orders.>}).
     */
    public static SubscribeOptions topic(String topic) {
        Objects.requireNonNull(topic, "topic");
        return new SubscribeOptions(topic, null, AckMode.AUTO, DEFAULT_MAX_IN_FLIGHT, DEFAULT_CONCURRENCY,
                DEFAULT_ACK_DEADLINE, null, 0, StartPosition.latest(), null, DEFAULT_BUFFER_CAPACITY,
                InvalidMessagePolicy.DELIVER_RAW);
    }

    /** Share the stream with other subscriptions of {@code group} (each event to one member). */
    public SubscribeOptions group(String group) {
        return new SubscribeOptions(topic, Objects.requireNonNull(group, "group"), ackMode, maxInFlight, concurrency,
                ackDeadline, deadLetterTopic, maxAttempts, startPosition, overflow, bufferCapacity, onInvalidMessage);
    }

    /** AUTO (default) or MANUAL acknowledgement. */
    public SubscribeOptions ackMode(AckMode mode) {
        return new SubscribeOptions(topic, group, Objects.requireNonNull(mode, "ackMode"), maxInFlight, concurrency,
                ackDeadline, deadLetterTopic, maxAttempts, startPosition, overflow, bufferCapacity, onInvalidMessage);
    }

    /** Never more than {@code n} unsettled deliveries (1 to {@value #MAX_IN_FLIGHT_LIMIT}; default 256). */
    public SubscribeOptions maxInFlight(int n) {
        if (n < 1 || n > MAX_IN_FLIGHT_LIMIT) {
            throw new InvalidArgumentException("maxInFlight must be from 1 to " + MAX_IN_FLIGHT_LIMIT + ", was " + n);
        }
        return new SubscribeOptions(topic, group, ackMode, n, concurrency, ackDeadline, deadLetterTopic, maxAttempts,
                startPosition, overflow, bufferCapacity, onInvalidMessage);
    }

    /**
     * Handler threads (1 to {@value #CONCURRENCY_LIMIT}; default 1). With 1 the handler runs on the receive
     * thread, strictly one at a time. With more, deliveries sharing a partition key always go to the same thread
     * (so per-key order holds where the backend orders), others are spread round-robin.
     */
    public SubscribeOptions concurrency(int threads) {
        if (threads < 1 || threads > CONCURRENCY_LIMIT) {
            throw new InvalidArgumentException("concurrency must be from 1 to " + CONCURRENCY_LIMIT + ", was " + threads);
        }
        return new SubscribeOptions(topic, group, ackMode, maxInFlight, threads, ackDeadline, deadLetterTopic,
                maxAttempts, startPosition, overflow, bufferCapacity, onInvalidMessage);
    }

    /** How long a delivery may stay unsettled before the broker redelivers it (100ms to 1h; default 30s). */
    public SubscribeOptions ackDeadline(Duration deadline) {
        Objects.requireNonNull(deadline, "ackDeadline");
        if (deadline.toMillis() < 100 || deadline.compareTo(Duration.ofHours(1)) > 0) {
            throw new InvalidArgumentException("ackDeadline must be from 100ms to 1h, was " + deadline);
        }
        return new SubscribeOptions(topic, group, ackMode, maxInFlight, concurrency, deadline, deadLetterTopic,
                maxAttempts, startPosition, overflow, bufferCapacity, onInvalidMessage);
    }

    /**
     * After {@code maxAttempts} failed deliveries (1 to 1000), publish the event to {@code deadLetterTopic} with its
     * attributes intact plus {@link Extensions#DEAD_LETTER_REASON}, then ack it on the source.
     */
    public SubscribeOptions deadLetter(String deadLetterTopic, int maxAttempts) {
        Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
        if (maxAttempts < 1 || maxAttempts > 1000) {
            throw new InvalidArgumentException("dead-letter maxAttempts must be from 1 to 1000, was " + maxAttempts);
        }
        return new SubscribeOptions(topic, group, ackMode, maxInFlight, concurrency, ackDeadline, deadLetterTopic,
                maxAttempts, startPosition, overflow, bufferCapacity, onInvalidMessage);
    }

    /** Where a new subscription starts (default {@link StartPosition#latest()}). */
    public SubscribeOptions startAt(StartPosition position) {
        return new SubscribeOptions(topic, group, ackMode, maxInFlight, concurrency, ackDeadline, deadLetterTopic,
                maxAttempts, Objects.requireNonNull(position, "startPosition"), overflow, bufferCapacity,
                onInvalidMessage);
    }

    /** The policy when this subscription's buffer is full (default: the backend's, BLOCK on memory). */
    public SubscribeOptions overflow(OverflowPolicy policy) {
        return new SubscribeOptions(topic, group, ackMode, maxInFlight, concurrency, ackDeadline, deadLetterTopic,
                maxAttempts, startPosition, Objects.requireNonNull(policy, "overflow"), bufferCapacity,
                onInvalidMessage);
    }

    /** Capacity of the per-subscription buffer where the backend has one (1 to 1,000,000; default 1024). */
    public SubscribeOptions bufferCapacity(int capacity) {
        if (capacity < 1 || capacity > 1_000_000) {
            throw new InvalidArgumentException("bufferCapacity must be from 1 to 1000000, was " + capacity);
        }
        return new SubscribeOptions(topic, group, ackMode, maxInFlight, concurrency, ackDeadline, deadLetterTopic,
                maxAttempts, startPosition, overflow, capacity, onInvalidMessage);
    }

    /** What to do with messages that are not valid CloudEvents (default: deliver raw). */
    public SubscribeOptions onInvalidMessage(InvalidMessagePolicy policy) {
        return new SubscribeOptions(topic, group, ackMode, maxInFlight, concurrency, ackDeadline, deadLetterTopic,
                maxAttempts, startPosition, overflow, bufferCapacity, Objects.requireNonNull(policy, "policy"));
    }

    /** The topic or pattern. */
    public String topic() {
        return topic;
    }

    /** The group, or {@code null} for a subscription of its own. */
    public String group() {
        return group;
    }

    /** The ack mode. */
    public AckMode ackMode() {
        return ackMode;
    }

    /** The in-flight bound. */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** Handler threads. */
    public int concurrency() {
        return concurrency;
    }

    /** The ack deadline. */
    public Duration ackDeadline() {
        return ackDeadline;
    }

    /** The dead-letter topic, or {@code null} when dead-lettering is off. */
    public String deadLetterTopic() {
        return deadLetterTopic;
    }

    /** Failed deliveries before dead-lettering (0 when off). */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** The start position. */
    public StartPosition startPosition() {
        return startPosition;
    }

    /** The explicit overflow policy, or {@code null} for the backend's default. */
    public OverflowPolicy overflow() {
        return overflow;
    }

    /** The buffer capacity. */
    public int bufferCapacity() {
        return bufferCapacity;
    }

    /** The invalid-message policy. */
    public InvalidMessagePolicy onInvalidMessage() {
        return onInvalidMessage;
    }

    @Override
    public String toString() {
        return "SubscribeOptions{topic=" + topic + ", group=" + group + ", ackMode=" + ackMode + ", maxInFlight="
                + maxInFlight + ", concurrency=" + concurrency + ", ackDeadline=" + ackDeadline
                + (deadLetterTopic == null ? "" : ", deadLetter=" + deadLetterTopic + "/" + maxAttempts)
                + ", start=" + startPosition + (overflow == null ? "" : ", overflow=" + overflow)
                + ", bufferCapacity=" + bufferCapacity + ", onInvalid=" + onInvalidMessage + "}";
    }
}
