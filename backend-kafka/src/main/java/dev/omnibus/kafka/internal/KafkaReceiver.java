package dev.omnibus.kafka.internal;

import dev.omnibus.OmnibusException;
import dev.omnibus.StartPosition;
import dev.omnibus.kafka.internal.PartitionLedger.Entry;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import dev.omnibus.spi.Topics;
import io.cloudevents.CloudEvent;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * One subscription's Receiver on Kafka: the library's side of a KafkaConsumer that a {@link PollLoop} thread of its
 * own polls. The library takes fetched records from a buffer and settles them here; the bookkeeping that turns those
 * settles into commits is a {@link PartitionLedger} per assigned partition, and {@link GroupCommits} commits and
 * handles rebalances. See {@link PartitionLedger} for why a commit never passes an unacked offset and how a nack
 * redelivers one record while its key keeps its order.
 *
 * <p>Thread-safe: {@link #receive}, {@link #ack}, {@link #nack} and {@link #extend} only touch the bookkeeping,
 * under the {@link Assignment}'s monitor, and wake the poll thread when it has something to do; the consumer itself
 * is used by the poll thread alone.
 */
final class KafkaReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(KafkaReceiver.class);
    private static final Duration LAG_WAIT = Duration.ofSeconds(1);

    private final KafkaBackend backend;
    private final String topic;
    private final Pattern pattern;
    private final boolean privateGroup;
    private final String group;
    private final long ackDeadlineNanos;
    private final Assignment assignment = new Assignment();
    private final KafkaEventReader reader = new KafkaEventReader();
    private final PollLoop poll;
    /** A receive in progress, or the next, returns at once (wakeup: the subscription is closing); under the monitor. */
    private boolean woken;

    KafkaReceiver(KafkaBackend backend, ReceiverSpec spec) {
        this.backend = backend;
        this.topic = spec.topic();
        boolean wildcard = Topics.isWildcard(topic);
        this.pattern = wildcard ? Pattern.compile(WildcardRegex.toRegex(topic)) : null;
        this.privateGroup = spec.group() == null;
        this.group = privateGroup ? "omnibus-private-" + UUID.randomUUID() : spec.group();
        this.ackDeadlineNanos = spec.ackDeadline().toNanos();
        // taken before the topic is ensured: LATEST means "published after this subscription"
        StartPosition start = spec.startPosition();
        long startMillis = start.kind() == StartPosition.Kind.TIME ? start.time().toEpochMilli()
                : System.currentTimeMillis() + 1;
        if (!wildcard) {
            backend.ensureTopic(topic);
        }
        this.poll = new PollLoop(backend, spec, group, pattern, startMillis, assignment);
    }

    void start() {
        poll.start();
    }

    /**
     * Takes up to {@code max} buffered offsets under the monitor, then decodes them into CloudEvents outside it, on
     * the library's receive thread: decoding then runs in parallel with the poll thread's next poll.
     */
    @Override
    public List<ReceivedMessage> receive(int max, Duration maxWait) throws InterruptedException {
        long end = System.nanoTime() + maxWait.toNanos();
        List<Entry> taken;
        int[] attempts;
        synchronized (assignment) {
            while (true) {
                OmnibusException failure = poll.failure();
                if (failure != null) {
                    throw failure;
                }
                if (assignment.closed) {
                    return List.of();
                }
                taken = take(max);
                if (!taken.isEmpty()) {
                    attempts = new int[taken.size()];
                    for (int i = 0; i < attempts.length; i++) {
                        attempts[i] = taken.get(i).deliveries;
                    }
                    break;
                }
                long left = end - System.nanoTime();
                if (left <= 0 || woken) {
                    woken = false;
                    return List.of();
                }
                TimeUnit.NANOSECONDS.timedWait(assignment, left);
            }
            woken = false;
        }
        List<ReceivedMessage> out = new ArrayList<>(taken.size());
        for (int i = 0; i < taken.size(); i++) {
            Entry e = taken.get(i);
            out.add(decode(e.record, e, attempts[i]));
        }
        synchronized (assignment) {
            for (int i = 0; i < out.size(); i++) {
                Entry e = taken.get(i);
                e.ledger.delivered(e, out.get(i));
            }
        }
        return out;
    }

    @Override
    public void wakeup() {
        synchronized (assignment) {
            woken = true;
            assignment.notifyAll();
        }
    }

    /** Takes up to {@code max} live buffered entries and marks them in flight; under the monitor. */
    private List<Entry> take(int max) {
        if (assignment.buffered() == 0) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>(Math.min(max, assignment.buffered()));
        long deadline = System.nanoTime() + ackDeadlineNanos;
        Entry e;
        while (out.size() < max && (e = assignment.nextBuffered()) != null) {
            if (e.ledger.take(e, deadline)) {
                out.add(e);
            }
        }
        poll.tookFromBuffer();
        return out;
    }

    @Override
    public void ack(ReceivedMessage message) {
        synchronized (assignment) {
            settle(message);
        }
    }

    @Override
    public void ackAll(List<ReceivedMessage> messages) {
        synchronized (assignment) {
            for (ReceivedMessage m : messages) {
                settle(m);
            }
        }
    }

    /** Acks under the monitor; a revocation waiting for its partitions' settles is told of each one. */
    private void settle(ReceivedMessage m) {
        Entry e = (Entry) m.handle();
        if (e.ledger.ack(e, m) && e.ledger.isRevoking()) {
            assignment.notifyAll();
        }
    }

    /** Redelivers {@code message} once {@code delay} is over; a nack due now wakes the poll thread to seek back. */
    @Override
    public void nack(ReceivedMessage message, Duration delay) {
        synchronized (assignment) {
            Entry e = (Entry) message.handle();
            if (!e.ledger.nack(e, message, System.nanoTime() + delay.toNanos())) {
                return;
            }
            if (e.ledger.isRevoking()) {
                assignment.notifyAll();
            }
        }
        if (delay.isZero()) {
            poll.wakeup();
        }
    }

    @Override
    public void extend(List<ReceivedMessage> messages) {
        long deadline = System.nanoTime() + ackDeadlineNanos;
        synchronized (assignment) {
            for (ReceivedMessage m : messages) {
                Entry e = (Entry) m.handle();
                e.ledger.extend(e, m, deadline);
            }
        }
    }

    /**
     * The group's lag from the Admin client: end offset minus committed offset, summed over the partitions the group
     * has committed on this subscription's topics (a partition it never committed counts 0); -1 for a subscription
     * without a group (it never commits) or when the broker does not answer within a second.
     */
    @Override
    public long lag() {
        if (assignment.closed || privateGroup) {
            return -1;
        }
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = backend.admin().listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(LAG_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            committed.forEach((tp, offset) -> {
                if (offset != null && (pattern != null ? pattern.matcher(tp.topic()).matches()
                        : tp.topic().equals(topic))) {
                    latest.put(tp, OffsetSpec.latest());
                }
            });
            if (latest.isEmpty()) {
                return 0;
            }
            long lag = 0;
            for (var end : backend.admin().listOffsets(latest).all().get(LAG_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                    .entrySet()) {
                lag += Math.max(0, end.getValue().offset() - committed.get(end.getKey()).offset());
            }
            return lag;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            log.debug("{}: lag of '{}' unknown", KafkaBackend.NAME, topic, e);
            return -1;
        }
    }

    /**
     * Ends every wait on the assignment and stops the poll thread: returns once it has made its last commit and left
     * the group; the consumer finishes closing on that thread ({@link KafkaBackend#close} waits for it).
     */
    @Override
    public void close() {
        if (assignment.closed) {
            return;
        }
        assignment.closed = true;
        synchronized (assignment) {
            assignment.notifyAll();
        }
        poll.stop();
        backend.forget(this);
    }

    /**
     * Decodes a record as the Kafka binding does ({@link KafkaEventReader}). The attempt is this receiver's count of deliveries of the offset
     * (kept in memory: it starts again at 1 when the consumer restarts or the partition moves to another member).
     */
    private ReceivedMessage decode(ConsumerRecord<byte[], byte[]> record, Entry e, int attempt) {
        CloudEvent event;
        try {
            event = reader.read(record);
        } catch (RuntimeException ex) {
            return ReceivedMessage.invalid(record.topic(), record.value(), headers(record),
                    "not a CloudEvent in the Kafka binding: " + ex.getMessage()).deliveryCount(attempt)
                    .position(position(record)).handle(e).build();
        }
        // the position's text only when someone asks: see ReceivedMessage.Builder#position(Object, Function)
        return ReceivedMessage.event(record.topic(), event).deliveryCount(attempt).orderingKey(e.ledger.orderingKey)
                .position(record, KafkaReceiver::position).handle(e).build();
    }

    /** A record's position as {@code Delivery.position()} gives it: {@code partition:offset}. */
    static String position(ConsumerRecord<?, ?> record) {
        return record.partition() + ":" + record.offset();
    }

    private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> record) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Header h : record.headers()) {
            out.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    @Override
    public String toString() {
        return "KafkaReceiver{" + topic + ", group=" + (privateGroup ? "(private)" : group) + "}";
    }
}
