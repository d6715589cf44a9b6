package dev.omnibus.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.spi.EventBuilders;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One subscription member: a channel with {@code basic.qos} prefetch = maxInFlight consuming the subscription's
 * durable queue (the group's, or one of its own). The client's dispatch thread puts deliveries into a queue that
 * {@link #receive} (the library's receive thread) takes from; ack, nack and the delayed nack are thread-safe.
 *
 * <p>Acks: every delivery tag stays in {@link Consuming#unsettled} until settled; an ack batch is sent as one
 * {@code basic.ack multiple} up to its highest tag when no earlier tag is still unsettled, else tag by tag. Settling
 * is serialised per channel, so a {@code multiple} ack never covers a tag another thread is about to settle on its
 * own (acking a tag twice closes the channel).
 *
 * <p>Delayed nack: the message (body and properties, plus {@value #TOPIC_HEADER} = its topic and, on quorum queues,
 * {@value #DELIVERIES_HEADER} = the attempts so far, as the copy's x-delivery-count starts again) is published, confirmed, to a retry queue whose message TTL is the delay rounded
 * up to one of ten steps per decade; the TTL dead-letters it back to this queue. Only then is the original acked. Is
 * the retry queue out of reach, the original is held and requeued with {@code basic.nack} once the delay is over.
 *
 * <p>Consuming starts again (a new channel, the queue and binding declared again, a new consumer) when the client
 * recovered the connection, the broker cancelled the consumer (its queue deleted: declared again, with a warning, as
 * the events in it are gone) or closed the channel; failures are retryable errors of {@link #receive}.
 */
final class RabbitReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(RabbitReceiver.class);
    /** Attempts before a delayed nack, carried through the retry queue (its x-delivery-count starts again). */
    static final String DELIVERIES_HEADER = "omnibus-deliveries";
    /** The topic of a message coming back from a retry queue (its routing key is then the queue's name). */
    static final String TOPIC_HEADER = "omnibus-topic";
    private static final String DELIVERY_COUNT = "x-delivery-count";
    /** Marks the message close publishes to make the broker write this member's acks to disk (see close). */
    static final String SYNC_HEADER = "omnibus-sync";
    private static final int SYNC_WAIT_MS = 2_000;
    private static final int MAX_QUEUE_NAME = 200;
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** Retry delays: ten steps per decade (a delayed nack waits at most a quarter longer than asked). */
    private static final int[] STEPS = {100, 125, 160, 200, 250, 320, 400, 500, 640, 800};

    private final RabbitBackend backend;
    private final ReceiverSpec spec;
    private final String queue;
    private final String bindingKey;
    private final boolean own;
    private final LinkedBlockingQueue<Incoming> buffer = new LinkedBlockingQueue<>();
    /** Put in {@link #buffer} by {@link #wakeup()}: the receive call that takes it returns at once. */
    private static final Incoming WAKE = new Incoming(null, new Envelope(0, false, "", ""), null, new byte[0]);
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The parsed source of the last event decoded, for the next that repeats it. */
    private final EventBuilders.Sources sources = new EventBuilders.Sources();
    private final AtomicInteger delaying = new AtomicInteger();
    private volatile Consuming current;
    private boolean restartedOnce;

    RabbitReceiver(RabbitBackend backend, ReceiverSpec spec) {
        this.backend = backend;
        this.spec = spec;
        this.own = spec.group() == null;
        String exchange = backend.exchange();
        this.queue = own ? queueName(exchange + "::", spec.topic(), "::" + UUID.randomUUID())
                : queueName(exchange + ":" + spec.group() + ":", spec.topic(), "");
        this.bindingKey = bindingKey(spec.topic());
    }

    /** {@code prefix + topic + suffix}, the topic replaced by its hash when the name would be too long. */
    static String queueName(String prefix, String topic, String suffix) {
        String name = prefix + topic + suffix;
        if (name.getBytes(StandardCharsets.UTF_8).length <= MAX_QUEUE_NAME) {
            return name;
        }
        return prefix + UUID.nameUUIDFromBytes(topic.getBytes(StandardCharsets.UTF_8)) + suffix;
    }

    /** The binding key of a topic or pattern: {@code *} stays, a final {@code >} (one or more words) is {@code *.#}. */
    static String bindingKey(String pattern) {
        return pattern.endsWith(">") ? pattern.substring(0, pattern.length() - 1) + "*.#" : pattern;
    }

    /** Rounds a delay up to the next of ten steps per decade, in milliseconds (at least 100 ms). */
    static long delayStep(Duration delay) {
        long ms = Math.max(1, delay.toMillis());
        long scale = 1;
        while (ms > STEPS[STEPS.length - 1] * scale) {
            scale *= 10;
        }
        for (int step : STEPS) {
            if (ms <= step * scale) {
                return step * scale;
            }
        }
        return STEPS[STEPS.length - 1] * scale;
    }

    String queue() {
        return queue;
    }

    /**
     * Declares the queue and starts consuming, on the subscribing thread: a refusal (a queue of that name with other
     * settings, a permission) fails {@code subscribe}; a connection that is down only delays consuming to the receive
     * loop, which retries with the library's backoff.
     */
    void start() {
        try {
            restart();
        } catch (IOException | RuntimeException e) {
            OmnibusException error = backend.classify(e);
            if (!error.isRetryable() || backend.isClosed()) {
                throw error;
            }
            log.info("{}: cannot consume '{}' yet ({}); retrying in the receive loop", RabbitBackend.NAME, queue,
                    error.getMessage());
        }
    }

    private Map<String, Object> queueArguments() {
        Map<String, Object> args = new HashMap<>();
        if (backend.quorum()) {
            args.put("x-queue-type", "quorum");
        }
        if (own) {
            args.put("x-expires", backend.privateExpires().toMillis());
        } else if (backend.orderedGroups()) {
            args.put("x-single-active-consumer", true);
        }
        return args;
    }

    /** A new channel and consumer; the old channel (if any) is dropped and what it delivered but nobody took too. */
    private void restart() throws IOException {
        if (!backend.connection().isOpen()) {
            // the client is recovering it: leave its channels alone until it is done (aborting one meanwhile would
            // hand the recovery a channel it can no longer reopen)
            throw new OmnibusException(ErrorCode.UNAVAILABLE, RabbitBackend.NAME + ": the connection to "
                    + backend.context().redactedUrl() + " is down; recovering", null, true);
        }
        Consuming old = current;
        if (old != null) {
            old.retire();
        }
        buffer.clear();
        long generation = backend.recoveries();
        Channel ch = backend.connection().createChannel();
        try {
            backend.declareExchange(ch); // deleted meanwhile? the binding needs it
            declare(ch);
            ch.basicQos(Math.min(65_535, Math.max(1, spec.maxInFlight())));
            Consuming c = new Consuming(ch, generation);
            c.tag = ch.basicConsume(queue, false, new Consumer(c));
            current = c;
        } catch (IOException | RuntimeException e) {
            RabbitBackend.abort(ch);
            throw e;
        }
        if (restartedOnce) {
            log.info("{}: consuming '{}' again", RabbitBackend.NAME, queue);
        }
        restartedOnce = true;
    }

    /**
     * Declares this member's queue and its binding to the exchange (which must exist) on {@code ch}; idempotent. Also
     * called by the backend's recovery, before publishes are taken again (see {@link RabbitBackend}).
     */
    void declare(Channel ch) throws IOException {
        ch.queueDeclare(queue, true, false, false, queueArguments());
        ch.queueBind(queue, backend.exchange(), bindingKey);
    }

    private boolean needsRestart() {
        Consuming c = current;
        return c == null || c.cancelled || !c.channel.isOpen() || c.generation != backend.recoveries();
    }

    @Override
    public List<ReceivedMessage> receive(int max, Duration maxWait) throws InterruptedException {
        if (closed.get()) {
            return List.of();
        }
        if (needsRestart()) {
            Consuming c = current;
            if (c != null && c.cancelled) {
                log.warn("{}: the broker cancelled the consumer of '{}' (queue deleted?); declaring it again: "
                        + "events that were in a deleted queue are lost", RabbitBackend.NAME, queue);
            }
            try {
                restart();
            } catch (IOException | RuntimeException e) {
                OmnibusException error = backend.classify(e);
                throw new OmnibusException(error.code(), error.getMessage() + " (consuming '" + queue + "')", e,
                        !closed.get() && !backend.isClosed());
            }
        }
        Incoming first = buffer.poll(maxWait.toNanos(), TimeUnit.NANOSECONDS);
        if (first == null || first == WAKE) {
            return List.of();
        }
        List<ReceivedMessage> out = new ArrayList<>(Math.min(max, 64));
        Incoming next = first;
        while (next != null) {
            if (next == WAKE || !next.consuming.live()) {
                next = buffer.poll();
                continue;
            }
            if (isSyncMarker(next)) {
                next.consuming.settle(List.of(next.tag), true);
            } else {
                out.add(decode(next));
            }
            if (out.size() >= max) {
                break;
            }
            next = buffer.poll();
        }
        return out;
    }

    @Override
    public void wakeup() {
        buffer.offer(WAKE);
    }

    private static boolean isSyncMarker(Incoming in) {
        Map<String, Object> headers = in.properties.getHeaders();
        return headers != null && headers.containsKey(SYNC_HEADER);
    }

    private ReceivedMessage decode(Incoming in) {
        Map<String, Object> headers = in.properties.getHeaders();
        // classic queues count nothing: 0 lets the library count per event id
        int attempt = backend.quorum() ? 1 + count(headers, DELIVERY_COUNT) + count(headers, DELIVERIES_HEADER) : 0;
        Object topicHeader = headers == null ? null : headers.get(TOPIC_HEADER);
        String topic = topicHeader != null ? AmqpBinding.text(topicHeader) : in.envelope.getRoutingKey();
        return AmqpBinding.decode(topic, in.properties, in.body, attempt, null, in, sources);
    }

    private static int count(Map<String, Object> headers, String name) {
        Object v = headers == null ? null : headers.get(name);
        if (v instanceof Number) {
            return (int) Math.min(Integer.MAX_VALUE / 2, Math.max(0, ((Number) v).longValue()));
        }
        return 0;
    }

    @Override
    public void ack(ReceivedMessage message) {
        Incoming in = (Incoming) message.handle();
        in.consuming.settle(List.of(in.tag), true);
    }

    @Override
    public void ackAll(List<ReceivedMessage> messages) {
        Map<Consuming, List<Long>> byChannel = new IdentityHashMap<>(2);
        for (ReceivedMessage m : messages) {
            Incoming in = (Incoming) m.handle();
            byChannel.computeIfAbsent(in.consuming, k -> new ArrayList<>(messages.size())).add(in.tag);
        }
        byChannel.forEach((c, tags) -> c.settle(tags, true));
    }

    @Override
    public void nack(ReceivedMessage message, Duration delay) {
        Incoming in = (Incoming) message.handle();
        if (delay.isZero() || delay.isNegative()) {
            in.consuming.settle(List.of(in.tag), false);
            return;
        }
        long ms = delayStep(delay);
        delaying.incrementAndGet();
        try {
            String retryQueue = backend.delayQueue(queue, ms);
            Map<String, Object> headers = new HashMap<>();
            if (in.properties.getHeaders() != null) {
                headers.putAll(in.properties.getHeaders());
            }
            headers.remove(DELIVERY_COUNT);
            if (backend.quorum()) {
                headers.put(DELIVERIES_HEADER, message.deliveryCount());
            }
            headers.put(TOPIC_HEADER, message.topic());
            AMQP.BasicProperties props = in.properties.builder().headers(headers).deliveryMode(2).build();
            backend.publish("", retryQueue, props, in.body, message.topic(),
                    message.isInvalid() ? "" : message.event().getId()).whenComplete((r, e) -> {
                        try {
                            if (e == null) {
                                in.consuming.settle(List.of(in.tag), true);
                            } else {
                                holdThenRequeue(in, delay, e);
                            }
                        } finally {
                            delaying.decrementAndGet();
                        }
                    });
        } catch (IOException | RuntimeException e) {
            delaying.decrementAndGet();
            holdThenRequeue(in, delay, e);
        }
    }

    /** The fallback of a delayed nack: keep the delivery unsettled for the delay, then requeue it. */
    private void holdThenRequeue(Incoming in, Duration delay, Throwable why) {
        log.debug("{}: the retry queue of '{}' is out of reach ({}); holding the delivery for {} ms, then requeueing "
                + "it", RabbitBackend.NAME, queue, why.toString(), delay.toMillis());
        backend.context().scheduler().schedule(() -> in.consuming.settle(List.of(in.tag), false),
                delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The number of ready messages in the queue ({@code queue.declare passive}); -1 when it cannot tell. */
    @Override
    public long lag() {
        if (closed.get()) {
            return -1;
        }
        try {
            return backend.admin(ch -> (long) ch.queueDeclarePassive(queue).getMessageCount());
        } catch (IOException | RuntimeException e) {
            log.debug("{}: lag of '{}' unknown", RabbitBackend.NAME, queue, e);
            return -1;
        }
    }

    /**
     * Waits (up to 2 s) for delayed nacks still being published, then closes the channel: the broker requeues what
     * is unsettled. A queue of its own is deleted.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            long end = System.nanoTime() + CLOSE_WAIT_NANOS;
            while (delaying.get() > 0 && System.nanoTime() < end) {
                Thread.sleep(10); // polling a counter of publishes in flight, not synchronising with a test
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Consuming c = current;
        if (c != null) {
            c.close(!own);
        }
        buffer.clear();
        if (own && !backend.isClosed()) {
            try {
                backend.admin(ch -> ch.queueDelete(queue));
            } catch (IOException | RuntimeException e) {
                log.debug("{}: deleting '{}' failed; the broker deletes it after {}", RabbitBackend.NAME, queue,
                        backend.privateExpires(), e);
            }
        } else if (own) {
            log.debug("{}: '{}' is left to the broker's expiry", RabbitBackend.NAME, queue);
        }
        backend.forget(this);
    }

    @Override
    public String toString() {
        return "RabbitReceiver{" + spec.topic() + ", queue=" + queue + "}";
    }

    /** A delivery waiting in {@link #buffer} or held by the library: its channel, tag and message. */
    private static final class Incoming {
        final Consuming consuming;
        final long tag;
        final Envelope envelope;
        final AMQP.BasicProperties properties;
        final byte[] body;

        Incoming(Consuming consuming, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            this.consuming = consuming;
            this.tag = envelope.getDeliveryTag();
            this.envelope = envelope;
            this.properties = properties;
            this.body = body;
        }
    }

    /** One channel consuming the queue, and its unsettled delivery tags; settling is serialised on it. */
    private final class Consuming {
        final Channel channel;
        final long generation;
        final ConcurrentSkipListSet<Long> unsettled = new ConcurrentSkipListSet<>();
        volatile String tag;
        volatile boolean cancelled;
        volatile boolean retired;
        /** Whether an ack was sent on this channel (close then makes the broker write acks to disk). */
        volatile boolean acked;

        Consuming(Channel channel, long generation) {
            this.channel = channel;
            this.generation = generation;
        }

        /** Whether deliveries of this channel can still be settled (else the broker has requeued them). */
        boolean live() {
            return !retired && channel.isOpen() && generation == backend.recoveries();
        }

        /**
         * Acks ({@code ack}) or requeues {@code tags}. A channel that is gone has requeued them already: nothing to
         * send. An ack covering every earlier unsettled tag goes out as one {@code multiple} ack.
         */
        synchronized void settle(List<Long> tags, boolean ack) {
            unsettled.removeAll(tags);
            if (!channel.isOpen()) {
                return;
            }
            try {
                if (!ack) {
                    for (long t : tags) {
                        channel.basicNack(t, false, true);
                    }
                    return;
                }
                long highest = 0;
                for (long t : tags) {
                    highest = Math.max(highest, t);
                }
                acked = true;
                Long lowestOpen = unsettled.isEmpty() ? null : unsettled.first();
                if (lowestOpen == null || lowestOpen > highest) {
                    channel.basicAck(highest, true);
                } else {
                    for (long t : tags) {
                        channel.basicAck(t, false);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the channel went down meanwhile: the broker requeues what was not acked
                log.debug("{}: settling {} deliveries of '{}' failed", RabbitBackend.NAME, tags.size(), queue, e);
            }
        }

        void retire() {
            retired = true;
            RabbitBackend.abort(channel);
        }

        /**
         * Closes the channel; the broker requeues what is unsettled. Acks are asynchronous in AMQP, and the broker
         * writes a classic queue's acks to disk only now and then: a node killed right after this member closed
         * would redeliver what it acked. So, when it acked anything and the queue outlives it ({@code syncAcks}),
         * it first publishes a persistent marker (header {@value #SYNC_HEADER}, expiring after a minute) to the
         * queue on this same channel in confirm mode, and waits up to 2 s for its confirm: the queue handles this
         * channel's acks before the marker, and confirms a persistent message only once its index, acks included,
         * is on disk. Receivers ack and skip markers.
         */
        synchronized void close(boolean syncAcks) {
            retired = true;
            try {
                if (channel.isOpen()) {
                    if (syncAcks && acked) {
                        channel.confirmSelect();
                        channel.basicPublish("", queue, false, new AMQP.BasicProperties.Builder().deliveryMode(2)
                                .expiration("60000").headers(Map.of(SYNC_HEADER, true)).build(), new byte[0]);
                        if (!channel.waitForConfirms(SYNC_WAIT_MS)) {
                            log.debug("{}: the broker nacked the ack marker of '{}'", RabbitBackend.NAME, queue);
                        }
                    }
                    channel.close();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                RabbitBackend.abort(channel);
            } catch (IOException | RuntimeException | java.util.concurrent.TimeoutException e) {
                log.debug("{}: closing the channel of '{}' failed", RabbitBackend.NAME, queue, e);
                RabbitBackend.abort(channel);
            }
        }
    }

    /** Puts deliveries into the buffer; a broker cancel marks the channel for a restart. Client dispatch thread. */
    private final class Consumer extends DefaultConsumer {
        private final Consuming consuming;

        Consumer(Consuming consuming) {
            super(consuming.channel);
            this.consuming = consuming;
        }

        @Override
        public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties properties,
                                   byte[] body) {
            consuming.unsettled.add(envelope.getDeliveryTag());
            buffer.add(new Incoming(consuming, envelope, properties, body));
        }

        @Override
        public void handleCancel(String consumerTag) {
            consuming.cancelled = true;
            backend.context().receiveNow();
        }
    }
}
