package dev.omnibus.kafka.internal;

import dev.omnibus.OmnibusException;
import dev.omnibus.kafka.internal.PartitionLedger.Entry;
import dev.omnibus.spi.ReceiverSpec;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidGroupIdException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The poll thread of a {@link KafkaReceiver} ({@code omnibus-kafka-poll-<topic>}) and the KafkaConsumer it alone
 * uses. It polls continuously, so a slow handler never breaches {@code max.poll.interval.ms}: flow control pauses the
 * assigned partitions instead. Between polls it expires deliveries past their deadline, seeks back where redeliveries
 * are due, pauses and resumes partitions, and has {@link GroupCommits} commit progress.
 *
 * <p>Flow control, two bounds: the buffer of fetched, not yet taken entries (pause all partitions at one poll's worth
 * above {@code maxInFlight}, resume below half of {@code maxInFlight}, so pausing does not flap with every batch the
 * library takes), and each partition's tracked offsets behind a stuck one ({@link #holdBackStuckPartitions}).
 *
 * <p>Threads: {@link #wakeup}, {@link #tookFromBuffer} and {@link #stop} may be called from any thread (a wakeup is
 * the consumer's one thread-safe call); everything else runs on the poll thread. A failure that ends the loop is
 * kept for {@link KafkaReceiver#receive} to throw.
 */
final class PollLoop {
    /**
     * How long close waits for the last commit and for the consumer to close (stop waits three times that for the
     * commit and the group's leave).
     */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(5);
    private static final Logger log = LoggerFactory.getLogger(PollLoop.class);
    private static final long POLL_MS = 50;
    private static final int MIN_TRACKED = 1024;

    private final KafkaBackend backend;
    private final String topic;
    private final Pattern pattern;
    private final long ackDeadlineNanos;
    /** Buffered entries at which the partitions are paused. */
    private final int pauseAt;
    /** Buffered entries below which they are resumed. */
    private final int resumeBelow;
    /**
     * Offsets one partition may track behind its first unsettled one (fetched, settled or not, not yet committable)
     * before it is paused: 4 x maxInFlight, at least {@value #MIN_TRACKED}. Each tracked acked offset costs a small
     * entry (its event is dropped once acked), so the bound is on bookkeeping, not on payloads.
     */
    private final int maxTracked;
    private final Assignment assignment;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final GroupCommits commits;
    private final Thread thread;
    /**
     * Counted down once the loop has made its last commit and the broker has taken its leave from the group, or
     * else once the consumer has closed.
     */
    private final CountDownLatch left = new CountDownLatch(1);
    private volatile OmnibusException failure;
    private long nextExpiryScan;

    /**
     * Creates the consumer for {@code group} (a pattern subscription if {@code pattern} is set); starts nothing.
     *
     * @param startMillis where partitions without a committed offset start unless at EARLIEST
     */
    PollLoop(KafkaBackend backend, ReceiverSpec spec, String group, Pattern pattern, long startMillis,
            Assignment assignment) {
        this.backend = backend;
        this.topic = spec.topic();
        this.pattern = pattern;
        this.ackDeadlineNanos = spec.ackDeadline().toNanos();
        int capacity = Math.max(1, spec.maxInFlight());
        this.pauseAt = capacity + Math.min(500, capacity);
        this.resumeBelow = Math.max(1, capacity / 2);
        this.maxTracked = (int) Math.max(MIN_TRACKED, Math.min(Integer.MAX_VALUE, 4L * capacity));
        this.assignment = assignment;
        Map<String, Object> config = backend.consumerConfig(group, pattern != null);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, pauseAt - capacity);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.commits = new GroupCommits(consumer, assignment, spec, startMillis);
        this.thread = new Thread(this::run, "omnibus-kafka-poll-" + topic);
        thread.setDaemon(true);
    }

    void start() {
        backend.polling(this);
        thread.start();
    }

    /** The failure that ended the loop, or {@code null}. */
    OmnibusException failure() {
        return failure;
    }

    /** Cuts the current poll short: a nack due now, a freed buffer or close wants the loop's attention. */
    void wakeup() {
        consumer.wakeup();
    }

    /**
     * The library took from the buffer (under the assignment's monitor): if that ends back-pressure, wakes the loop
     * so it resumes fetching now rather than when its poll times out.
     */
    void tookFromBuffer() {
        if (assignment.backPressure && assignment.buffered() < resumeBelow) {
            consumer.wakeup();
        }
    }

    /**
     * Ends the loop ({@link Assignment#closed} is set) and waits until it has made its last commit and left the
     * group; the consumer then closes on the poll thread ({@link #awaitFinished}).
     */
    void stop() {
        consumer.wakeup();
        try {
            if (!left.await(CLOSE_WAIT.multipliedBy(3).toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("{}: the poll thread of '{}' did not stop in time", KafkaBackend.NAME, topic);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until the poll thread has closed its consumer, up to {@code deadlineNanos} ({@link System#nanoTime}). */
    boolean awaitFinished(long deadlineNanos) throws InterruptedException {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining > 0) {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining)));
        }
        return !thread.isAlive();
    }

    private void run() {
        int failures = 0;
        try {
            if (pattern != null) {
                consumer.subscribe(pattern, commits);
            } else {
                consumer.subscribe(List.of(topic), commits);
            }
            while (!assignment.closed) {
                try {
                    long timeout = maintain();
                    commits.commitProgress();
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(timeout));
                    if (!records.isEmpty()) {
                        accept(records);
                    }
                    failures = 0;
                } catch (WakeupException e) {
                    // a nack, a free buffer or close wants the loop's attention
                } catch (AuthenticationException | AuthorizationException | InvalidGroupIdException e) {
                    failure = fatal(e);
                    log.error("{}: consuming '{}' failed for good: {}", KafkaBackend.NAME, topic, e.toString());
                    break;
                } catch (KafkaException e) {
                    failures++;
                    Duration delay = backend.context().reconnectPolicy().delay(failures);
                    log.warn("{}: polling '{}' failed (attempt {}), retrying in {}: {}", KafkaBackend.NAME, topic,
                            failures, delay, e.toString());
                    synchronized (assignment) {
                        if (!assignment.closed) {
                            assignment.wait(Math.max(1, delay.toMillis()));
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure = fatal(e);
            log.error("{}: the poll loop of '{}' ended", KafkaBackend.NAME, topic, e);
        } finally {
            synchronized (assignment) {
                assignment.notifyAll();
            }
            try {
                commits.commitOnClose();
                if (leaveGroup()) {
                    left.countDown();
                }
            } finally {
                try {
                    consumer.close(CloseOptions.timeout(CLOSE_WAIT));
                } catch (RuntimeException e) {
                    log.debug("{}: closing the consumer of '{}' failed", KafkaBackend.NAME, topic, e);
                } finally {
                    left.countDown();
                    backend.finished(this);
                }
            }
        }
    }

    /**
     * Leaves the group before the consumer closes, so that {@link #stop} need not wait for the close: that waits
     * for the fetch the consumer last sent, which the broker holds up to {@code fetch.max.wait.ms} (500 ms) when
     * nothing arrives, so an idle subscription took ~250 ms on average to close. Unsubscribing revokes the partitions
     * still owned ({@link GroupCommits#onPartitionsRevoked} commits as a rebalance would) and sends the LeaveGroup
     * request, without waiting for its answer; an offset fetch then waits for it. The broker answers one connection's
     * requests in order, so the fetch's answer (or error) on the coordinator's connection means the leave was handled
     * and written to the group's log: a broker restarted right after the close no longer counts this member, which
     * would hold the group's next join until its session timed out (the kit's R17 met that while the leave was not
     * awaited).
     *
     * @return whether the broker has taken the leave; if not, {@link #stop} waits for the consumer's close
     */
    private boolean leaveGroup() {
        TopicPartition probe;
        try {
            Set<TopicPartition> owned = consumer.assignment();
            probe = !owned.isEmpty() ? owned.iterator().next() : pattern == null ? new TopicPartition(topic, 0) : null;
            GroupCommits.unwoken(() -> {
                consumer.unsubscribe();
                return null;
            });
        } catch (RuntimeException e) {
            log.debug("{}: leaving the group of '{}' failed; closing the consumer leaves it", KafkaBackend.NAME,
                    topic, e);
            return false;
        }
        if (probe == null) {
            return false;
        }
        try {
            GroupCommits.unwoken(() -> consumer.committed(Set.of(probe), CLOSE_WAIT));
            return true;
        } catch (TimeoutException | WakeupException e) {
            return false;
        } catch (KafkaException e) {
            // an error answer is an answer: the LeaveGroup request before it was handled
            return true;
        }
    }

    /** A failure that ends the subscription: never retryable, the library must not call receive again. */
    private OmnibusException fatal(Throwable e) {
        OmnibusException c = backend.classify(e);
        if (!c.isRetryable()) {
            return c;
        }
        // getMessage() starts with "[CODE] ", which the new exception adds again
        String message = c.getMessage().substring(c.getMessage().indexOf(']') + 2);
        return new OmnibusException(c.code(), message, e, false);
    }

    /**
     * Once per loop: expires unsettled deliveries past their deadline (every twentieth of the deadline, at least
     * 10 ms apart), seeks back where redeliveries are due, and pauses or resumes partitions. Returns how long the
     * next poll may wait: until the next redelivery is due, {@value #POLL_MS} ms at most.
     */
    private long maintain() {
        long timeout = POLL_MS;
        synchronized (assignment) {
            long now = System.nanoTime();
            boolean expire = now - nextExpiryScan >= 0;
            if (expire) {
                nextExpiryScan = now + Math.max(TimeUnit.MILLISECONDS.toNanos(10), ackDeadlineNanos / 20);
            }
            for (PartitionLedger ledger : assignment.ledgers()) {
                if (expire) {
                    ledger.expire(now);
                }
                long seekTo = ledger.seekBack(now);
                if (seekTo >= 0) {
                    consumer.seek(ledger.tp, seekTo);
                }
                long nextDue = ledger.untilNextDue(now);
                if (nextDue != Long.MAX_VALUE) {
                    timeout = Math.max(1, Math.min(timeout, TimeUnit.NANOSECONDS.toMillis(nextDue) + 1));
                }
            }
            flowControl();
            holdBackStuckPartitions();
        }
        return timeout;
    }

    /** Pauses every partition when the buffer is full, resumes them (but those held back) once it has drained. */
    private void flowControl() {
        int buffered = assignment.buffered();
        boolean full = assignment.backPressure ? buffered >= resumeBelow : buffered >= pauseAt;
        if (full == assignment.backPressure) {
            return;
        }
        assignment.backPressure = full;
        Set<TopicPartition> assigned = consumer.assignment();
        if (full) {
            consumer.pause(assigned);
        } else {
            Set<TopicPartition> resume = new HashSet<>(assigned);
            for (PartitionLedger ledger : assignment.ledgers()) {
                if (ledger.heldBack) {
                    resume.remove(ledger.tp);
                }
            }
            consumer.resume(resume);
        }
    }

    /**
     * Bounded memory behind a stuck offset: Kafka commits only up to the first unsettled offset, so everything
     * fetched after it stays tracked until it settles (a long delayed nack, a stuck handler). A partition tracking
     * more than {@link #maxTracked} offsets is paused until it is back under half of that.
     */
    private void holdBackStuckPartitions() {
        for (PartitionLedger ledger : assignment.ledgers()) {
            int tracked = ledger.tracked();
            // after a seek back for a due redelivery the partition must fetch again (the stuck offset is among
            // what it re-reads), so it is never held back while re-reading
            boolean rereading = ledger.rereading();
            if (ledger.heldBack && rereading) {
                ledger.heldBack = false;
                if (!assignment.backPressure) {
                    consumer.resume(List.of(ledger.tp));
                }
            } else if (!ledger.heldBack && !rereading && tracked > maxTracked) {
                ledger.heldBack = true;
                consumer.pause(List.of(ledger.tp));
                log.info("{}: partition {} of '{}' paused: {} offsets tracked behind the unsettled offset {} (bound "
                        + "{})", KafkaBackend.NAME, ledger.tp, topic, tracked, ledger.committable(), maxTracked);
            } else if (ledger.heldBack && tracked <= maxTracked / 2) {
                ledger.heldBack = false;
                if (!assignment.backPressure) {
                    consumer.resume(List.of(ledger.tp));
                }
                log.info("{}: partition {} of '{}' resumed", KafkaBackend.NAME, ledger.tp, topic);
            }
        }
    }

    /** Takes a poll's records into the ledgers and the buffer; decoding waits for {@link KafkaReceiver#receive}. */
    private void accept(ConsumerRecords<byte[], byte[]> records) {
        synchronized (assignment) {
            long now = System.nanoTime();
            for (TopicPartition tp : records.partitions()) {
                PartitionLedger ledger = assignment.ledger(tp);
                if (ledger == null || ledger.isRemoved()) {
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> record : records.records(tp)) {
                    Entry e = ledger.fetched(record.offset(), keyOf(record), now);
                    if (e != null) {
                        assignment.buffer(e, record);
                    }
                }
                ledger.forgetDueKeys(now);
            }
            if (assignment.buffered() > 0) {
                assignment.notifyAll();
            }
        }
    }

    private static String keyOf(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }
}
