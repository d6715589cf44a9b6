package dev.omnibus;

import dev.omnibus.internal.Durations;

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

    /** Default first delay before a failed AUTO delivery is redelivered (see {@link #retryBackoff}). */
    public static final Duration DEFAULT_RETRY_INITIAL = Duration.ofMillis(100);
    /** Default largest delay before a failed AUTO delivery is redelivered (see {@link #retryBackoff}). */
    public static final Duration DEFAULT_RETRY_MAX = Duration.ofSeconds(30);

    // Not final so that each wither can change one field of a private copy (see copy()); never changed after a
    // wither returns, so instances are immutable and safely published (all uses go through final references).
    private String topic;
    private String group;
    private AckMode ackMode = AckMode.AUTO;
    private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
    private int concurrency = DEFAULT_CONCURRENCY;
    private Duration ackDeadline = DEFAULT_ACK_DEADLINE;
    private String deadLetterTopic;
    private int maxAttempts;
    private StartPosition startPosition = StartPosition.latest();
    private OverflowPolicy overflow;
    private int bufferCapacity = DEFAULT_BUFFER_CAPACITY;
    private InvalidMessagePolicy onInvalidMessage = InvalidMessagePolicy.DELIVER_RAW;
    private ReconnectPolicy retryBackoff = ReconnectPolicy.of(DEFAULT_RETRY_INITIAL, DEFAULT_RETRY_MAX,
            ReconnectPolicy.DEFAULT_MULTIPLIER, ReconnectPolicy.DEFAULT_JITTER);

    private SubscribeOptions(String topic) {
        this.topic = topic;
    }

    private SubscribeOptions copy() {
        SubscribeOptions c = new SubscribeOptions(topic);
        c.group = group;
        c.ackMode = ackMode;
        c.maxInFlight = maxInFlight;
        c.concurrency = concurrency;
        c.ackDeadline = ackDeadline;
        c.deadLetterTopic = deadLetterTopic;
        c.maxAttempts = maxAttempts;
        c.startPosition = startPosition;
        c.overflow = overflow;
        c.bufferCapacity = bufferCapacity;
        c.onInvalidMessage = onInvalidMessage;
        c.retryBackoff = retryBackoff;
        return c;
    }

    /**
     * Options for {@code topic}: a topic name, or, where the backend supports wildcards, a pattern where
     * {@code *} matches one token and a final {@code >} one or more ({@code orders.*.created}, {@code orders.>}).
     */
    public static SubscribeOptions topic(String topic) {
        Objects.requireNonNull(topic, "topic");
        return new SubscribeOptions(topic);
    }

    /** Share the stream with other subscriptions of {@code group} (each event to one member). */
    public SubscribeOptions group(String group) {
        SubscribeOptions c = copy();
        c.group = Objects.requireNonNull(group, "group");
        return c;
    }

    /** AUTO (default) or MANUAL acknowledgement. */
    public SubscribeOptions ackMode(AckMode mode) {
        SubscribeOptions c = copy();
        c.ackMode = Objects.requireNonNull(mode, "ackMode");
        return c;
    }

    /**
     * Never more than {@code n} unsettled deliveries (1 to {@value #MAX_IN_FLIGHT_LIMIT}; default 256). Everything
     * the library holds is kept alive at the broker, so a large value with slow handlers costs no redeliveries, but
     * it does keep those events from other members of the group: size it to what the handlers get through in
     * about one ack deadline.
     */
    public SubscribeOptions maxInFlight(int n) {
        if (n < 1 || n > MAX_IN_FLIGHT_LIMIT) {
            throw new InvalidArgumentException("maxInFlight must be from 1 to " + MAX_IN_FLIGHT_LIMIT + ", was " + n);
        }
        SubscribeOptions c = copy();
        c.maxInFlight = n;
        return c;
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
        SubscribeOptions c = copy();
        c.concurrency = threads;
        return c;
    }

    /**
     * How long a handler may hold a delivery unsettled, counted from when the handler got it (100ms to 1h; default
     * 30s); past it, a delivery nobody settled is redelivered. A running handler keeps its delivery however long it
     * runs, and events the library holds for their turn (later in a batch, queued for a busy thread, acked but not
     * yet sent) are kept alive at the broker: an event nobody failed is delivered once.
     */
    public SubscribeOptions ackDeadline(Duration deadline) {
        Objects.requireNonNull(deadline, "ackDeadline");
        if (deadline.toMillis() < 100 || deadline.compareTo(Duration.ofHours(1)) > 0) {
            throw new InvalidArgumentException("ackDeadline must be from 100ms to 1h, was " + deadline);
        }
        SubscribeOptions c = copy();
        c.ackDeadline = deadline;
        return c;
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
        SubscribeOptions c = copy();
        c.deadLetterTopic = deadLetterTopic;
        c.maxAttempts = maxAttempts;
        return c;
    }

    /** Where a new subscription starts (default {@link StartPosition#latest()}). */
    public SubscribeOptions startAt(StartPosition position) {
        SubscribeOptions c = copy();
        c.startPosition = Objects.requireNonNull(position, "startPosition");
        return c;
    }

    /** The policy when this subscription's buffer is full (default: the backend's, BLOCK on memory). */
    public SubscribeOptions overflow(OverflowPolicy policy) {
        SubscribeOptions c = copy();
        c.overflow = Objects.requireNonNull(policy, "overflow");
        return c;
    }

    /** Capacity of the per-subscription buffer where the backend has one (1 to 1,000,000; default 1024). */
    public SubscribeOptions bufferCapacity(int capacity) {
        if (capacity < 1 || capacity > 1_000_000) {
            throw new InvalidArgumentException("bufferCapacity must be from 1 to 1000000, was " + capacity);
        }
        SubscribeOptions c = copy();
        c.bufferCapacity = capacity;
        return c;
    }

    /** What to do with messages that are not valid CloudEvents (default: deliver raw). */
    public SubscribeOptions onInvalidMessage(InvalidMessagePolicy policy) {
        SubscribeOptions c = copy();
        c.onInvalidMessage = Objects.requireNonNull(policy, "policy");
        return c;
    }

    /**
     * How long a delivery whose handler threw (AUTO mode) waits before it is redelivered: about {@code initial}
     * after the first failure, doubling with each further attempt, spread by ±50 % and capped at {@code max}
     * (defaults {@link #DEFAULT_RETRY_INITIAL} and {@link #DEFAULT_RETRY_MAX}), so a poison event cannot spin the
     * consumer. Applies where the backend has {@link Capability#DELAYED_NACK}; elsewhere the failed delivery is
     * redelivered as the backend can (at once, or after the ack deadline). {@code Duration.ZERO} for both turns it
     * off (redelivery at once). An explicit {@link Delivery#nack()} keeps its own meaning.
     *
     * @throws InvalidArgumentException unless {@code 0 <= initial <= max <= 12h}, both zero or both positive
     */
    public SubscribeOptions retryBackoff(Duration initial, Duration max) {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        boolean off = initial.isZero() && max.isZero();
        if (!off && (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0
                || max.compareTo(Duration.ofHours(12)) > 0)) {
            throw new InvalidArgumentException("retryBackoff must satisfy 0 < initial <= max <= 12h (or both 0 for "
                    + "none), was initial=" + initial + " max=" + max);
        }
        SubscribeOptions c = copy();
        c.retryBackoff = off ? null : ReconnectPolicy.of(initial, max, ReconnectPolicy.DEFAULT_MULTIPLIER,
                ReconnectPolicy.DEFAULT_JITTER);
        return c;
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

    /**
     * The delay before a failed AUTO delivery's redelivery: {@code attempt} is the attempt that failed (1 = first);
     * {@link Duration#ZERO} when the backoff is off.
     */
    public Duration retryDelay(int attempt) {
        return retryBackoff == null ? Duration.ZERO : retryBackoff.delay(attempt);
    }

    @Override
    public String toString() {
        return "SubscribeOptions{topic=" + topic + ", group=" + group + ", ackMode=" + ackMode + ", maxInFlight="
                + maxInFlight + ", concurrency=" + concurrency + ", ackDeadline=" + ackDeadline
                + (deadLetterTopic == null ? "" : ", deadLetter=" + deadLetterTopic + "/" + maxAttempts)
                + ", start=" + startPosition + (overflow == null ? "" : ", overflow=" + overflow)
                + ", bufferCapacity=" + bufferCapacity + ", onInvalid=" + onInvalidMessage
                + ", retryBackoff=" + (retryBackoff == null ? "none" : Durations.format(retryBackoff.initial()) + ".."
                + Durations.format(retryBackoff.max())) + "}";
    }
}
