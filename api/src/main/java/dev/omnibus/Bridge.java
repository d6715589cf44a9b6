package dev.omnibus;

import dev.omnibus.internal.Redaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Moves events from one {@link Omnibus} connection to another: consumes a topic (or pattern) on the source and
 * publishes every event, id and attributes and extensions unchanged, to the destination; thread-safe, and as
 * expensive as the subscription it runs (share one per route). It does not own the two connections: close them
 * yourself after {@link #close(Duration)}.
 *
 * <pre>{@code
 * try (Omnibus kafka = Omnibus.connect("kafka://broker:9092"); Omnibus nats = Omnibus.connect("jetstream://nats:4222");
 *      Bridge bridge = Bridge.builder().from(kafka).to(nats).topic("orders.>").group("to-nats")
 *              .toTopic("mirror.{topic}").build().start()) {
 *     ...
 * }
 * }</pre>
 *
 * <p><b>Guarantees.</b> An event is acked on the source only after the destination confirmed its publish, so a
 * crash, a close or a failed publish loses nothing: the source delivers the event again (at least once). Because the
 * event id is kept, a destination that de-duplicates by id (JetStream's {@code Nats-Msg-Id} within its duplicate
 * window, {@code mem://?dedup=true}) stores such a second copy once: the route is then effectively once. Events that
 * share an ordering key on the source (the partition key; Kafka's partition) are handled one at a time in order, each
 * confirmed before the next is published, so the destination receives them in source order.
 *
 * <p><b>Failures.</b> A publish that fails with a {@linkplain OmnibusException#isRetryable() retryable} error (the
 * destination is down, a timeout) is tried again in place, with the backoff of {@link SubscribeOptions#retryDelay},
 * until it is confirmed or the bridge closes; in place rather than by a nack so that the next event of the same key
 * cannot overtake it. Any other failure (a destination topic the destination refuses, an event it rejects, a closed
 * destination) fails the delivery: the source redelivers it with that same backoff, so such an event is retried, never
 * dropped, and shows in {@link Stats#failed()}. Each failed publish attempt is logged (WARN) with the event id. Both
 * connections reconnect by themselves (see {@link ReconnectPolicy}); a source subscription that ends by a
 * non-retryable error ends the bridge: {@link #failure()} tells why.
 *
 * <p><b>Threads.</b> None of its own: the source subscription's receive thread and its {@code concurrency} handler
 * threads ({@code omnibus-<backend>-handler-<topic>-<n>}, see {@link Subscription}) publish and wait for each
 * confirmation; confirmations arrive on the destination's threads. All stop on {@link #close(Duration)}.
 *
 * <p><b>What is not kept.</b> The source's position (offset, sequence) and delivery attempt: the destination assigns
 * its own. A message on the source that is not a CloudEvent is bridged as the event it is delivered as (type
 * {@value Extensions#RAW_EVENT_TYPE}, see {@link Delivery#isRaw()}).
 */
public final class Bridge implements AutoCloseable {
    /** Default number of handler threads, hence of events in the publish at once (one per ordering-key lane). */
    public static final int DEFAULT_CONCURRENCY = 8;
    /** The placeholder of {@link Builder#toTopic(String)} that stands for the topic an event was consumed from. */
    public static final String TOPIC_PLACEHOLDER = "{topic}";

    private static final Logger log = LoggerFactory.getLogger(Bridge.class);
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{[^}]*}");

    private final Omnibus source;
    private final Omnibus destination;
    private final SubscribeOptions options;
    private final String toTopic;
    private final LongAdder consumed = new LongAdder();
    private final LongAdder published = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Opens when close starts: retries waiting for their backoff give up at once and hand the event back. */
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Object lifecycle = new Object();
    private Publisher publisher;
    private Subscription subscription;
    private boolean closed;

    private Bridge(Builder b) {
        this.source = b.from;
        this.destination = b.to;
        this.toTopic = b.toTopic;
        SubscribeOptions o = SubscribeOptions.topic(b.topic).ackMode(AckMode.AUTO).concurrency(b.concurrency)
                .startAt(b.startPosition);
        this.options = b.group == null ? o : o.group(b.group);
    }

    /** A builder; {@link Builder#from}, {@link Builder#to} and {@link Builder#topic} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Subscribes on the source and starts moving events; returns this bridge.
     *
     * @throws IllegalStateException          if it was started or closed before
     * @throws InvalidArgumentException       if the topic pattern or group is not portable
     * @throws UnsupportedCapabilityException if the source cannot do what the options ask (a group, a wildcard, a
     *                                        start position other than latest)
     * @throws OmnibusException               {@link ErrorCode#CLOSED} if a connection is closed, or the broker's error
     */
    public Bridge start() {
        synchronized (lifecycle) {
            if (closed || subscription != null) {
                throw new IllegalStateException("a bridge starts once; this one was "
                        + (closed ? "closed" : "started"));
            }
            publisher = destination.publisher();
            try {
                subscription = source.subscriber().subscribe(options, this::forward);
            } catch (RuntimeException e) {
                publisher.close();
                throw e;
            }
            return this;
        }
    }

    /** The topic an event consumed from {@code sourceTopic} is published to. */
    public String destinationTopic(String sourceTopic) {
        return toTopic == null ? sourceTopic : toTopic.replace(TOPIC_PLACEHOLDER, sourceTopic);
    }

    /** Runs on a handler thread: returning acks the delivery on the source, throwing nacks it (AUTO mode). */
    private void forward(Delivery delivery) throws Exception {
        consumed.increment();
        inFlight.incrementAndGet();
        try {
            String topic = destinationTopic(delivery.topic());
            for (int attempt = 1; ; attempt++) {
                try {
                    // publish never stays pending past the destination's publish.timeout, so this wait is bounded
                    PublishReceipt receipt = publisher.publish(topic, delivery.event()).toCompletableFuture().get();
                    published.increment();
                    if (receipt.duplicate()) {
                        duplicates.increment();
                    }
                    return;
                } catch (ExecutionException | RuntimeException e) {
                    failed.increment();
                    Throwable error = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                    boolean retryable = error instanceof OmnibusException oe && oe.isRetryable();
                    log.warn("bridge: publishing event {} to '{}' failed (attempt {}, {}): {}",
                            Redaction.printable(delivery.event().getId()), Redaction.printable(topic), attempt,
                            retryable ? "trying again" : "the source will redeliver it", error.toString());
                    if (!retryable || closing.await(options.retryDelay(attempt).toNanos(), TimeUnit.NANOSECONDS)) {
                        throw error instanceof Exception ex ? ex : new OmnibusException(ErrorCode.INTERNAL,
                                "publish failed", error);
                    }
                }
            }
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** A snapshot of the counters since {@link #start()}. */
    public Stats stats() {
        return new Stats(consumed.sum(), published.sum(), duplicates.sum(), failed.sum(), inFlight.get());
    }

    /** Whether it was started and its source subscription is still receiving. */
    public boolean isRunning() {
        Subscription s = subscription();
        return s != null && s.isActive();
    }

    /** Why the source subscription ended, if it ended by an error rather than by {@link #close(Duration)}. */
    public Optional<OmnibusException> failure() {
        Subscription s = subscription();
        return s == null ? Optional.empty() : s.failure();
    }

    private Subscription subscription() {
        synchronized (lifecycle) {
            return subscription;
        }
    }

    /**
     * Stops consuming and waits up to {@code drain} for the events being published: those confirmed in time are
     * acked on the source; those not, and those not started, are handed back to the source, which delivers them
     * again (to a later bridge of the same group). Retries waiting for their backoff stop at once. Does not close the
     * connections. Idempotent.
     *
     * @return {@code true} if every event in flight was settled within {@code drain}
     */
    public boolean close(Duration drain) {
        Objects.requireNonNull(drain, "drain");
        Subscription s;
        synchronized (lifecycle) {
            if (closed) {
                return true;
            }
            closed = true;
            s = subscription;
        }
        closing.countDown();
        if (s == null) {
            return true;
        }
        try {
            return s.close(drain);
        } finally {
            publisher.close();
        }
    }

    /** {@link #close(Duration)} with {@link Subscription#DEFAULT_DRAIN}. */
    @Override
    public void close() {
        close(Subscription.DEFAULT_DRAIN);
    }

    @Override
    public String toString() {
        return "Bridge{" + source.backend() + ":" + options.topic() + (options.group() == null ? ""
                : " group " + options.group()) + " -> " + destination.backend() + ":"
                + (toTopic == null ? TOPIC_PLACEHOLDER : toTopic) + "}";
    }

    /**
     * A snapshot of a bridge's counters; immutable.
     *
     * @param consumed   deliveries taken from the source (redeliveries included)
     * @param published  publishes the destination confirmed (each followed by an ack on the source)
     * @param duplicates of those, publishes the destination recognised by event id and did not store again
     * @param failed     publish attempts that failed (each retried in place or redelivered by the source)
     * @param inFlight   deliveries being published right now
     */
    public record Stats(long consumed, long published, long duplicates, long failed, int inFlight) {
    }

    /** Builds a {@link Bridge}; not thread-safe (use one builder on one thread). */
    public static final class Builder {
        private Omnibus from;
        private Omnibus to;
        private String topic;
        private String group;
        private String toTopic;
        private int concurrency = DEFAULT_CONCURRENCY;
        private StartPosition startPosition = StartPosition.latest();

        private Builder() {
        }

        /** The connection to consume from (required). */
        public Builder from(Omnibus source) {
            this.from = Objects.requireNonNull(source, "source");
            return this;
        }

        /** The connection to publish to (required; may be the source, with a {@link #toTopic} of another topic). */
        public Builder to(Omnibus destination) {
            this.to = Objects.requireNonNull(destination, "destination");
            return this;
        }

        /** The topic or wildcard pattern to consume (required; see {@link SubscribeOptions#topic(String)}). */
        public Builder topic(String topic) {
            this.topic = Objects.requireNonNull(topic, "topic");
            return this;
        }

        /**
         * The source consumer group (default none: a subscription of its own). With a group, a restarted bridge
         * resumes where the last one left off, and several bridges of one group share the work.
         */
        public Builder group(String group) {
            this.group = Objects.requireNonNull(group, "group");
            return this;
        }

        /**
         * The destination topic: a template where {@value Bridge#TOPIC_PLACEHOLDER} stands for the topic the event
         * was consumed from ({@code mirror.{topic}}); default {@value Bridge#TOPIC_PLACEHOLDER}, the same topic.
         * {@link #build()} rejects a template with any other placeholder.
         */
        public Builder toTopic(String template) {
            this.toTopic = Objects.requireNonNull(template, "template");
            return this;
        }

        /**
         * Handler threads, hence events published at once (1 to {@value SubscribeOptions#CONCURRENCY_LIMIT};
         * default {@value #DEFAULT_CONCURRENCY}); events of one ordering key always share one.
         */
        public Builder concurrency(int threads) {
            if (threads < 1 || threads > SubscribeOptions.CONCURRENCY_LIMIT) {
                throw new InvalidArgumentException("bridge concurrency must be from 1 to "
                        + SubscribeOptions.CONCURRENCY_LIMIT + ", was " + threads);
            }
            this.concurrency = threads;
            return this;
        }

        /** Where a new source subscription (or group) starts (default {@link StartPosition#latest()}). */
        public Builder startAt(StartPosition position) {
            this.startPosition = Objects.requireNonNull(position, "position");
            return this;
        }

        /**
         * The bridge, not started yet.
         *
         * @throws InvalidArgumentException if {@code from}, {@code to} or {@code topic} is missing, the template is
         *                                  invalid, or it would publish every event back to the topic it came from
         */
        public Bridge build() {
            if (from == null || to == null || topic == null) {
                throw new InvalidArgumentException("a bridge needs from(source), to(destination) and topic(pattern)");
            }
            if (toTopic != null) {
                Matcher m = PLACEHOLDER.matcher(toTopic);
                while (m.find()) {
                    if (!m.group().equals(TOPIC_PLACEHOLDER)) {
                        throw new InvalidArgumentException("toTopic template '" + Redaction.printable(toTopic)
                                + "' has placeholder " + Redaction.printable(m.group()) + "; the only one is "
                                + TOPIC_PLACEHOLDER);
                    }
                }
            }
            if (from == to && (toTopic == null || toTopic.equals(TOPIC_PLACEHOLDER))) {
                throw new InvalidArgumentException("a bridge from a connection to itself needs a toTopic other than "
                        + "the source topic (it would publish every event back where it came from)");
            }
            return new Bridge(this);
        }
    }
}
