package dev.omnibus.kafka.internal;

import dev.omnibus.StartPosition;
import dev.omnibus.spi.ReceiverSpec;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A {@link KafkaReceiver}'s side of its consumer group: where newly assigned partitions start, what a revocation
 * waits for, and what is committed when. A subscription without a group (a private one) never commits.
 *
 * <p>Commits carry each partition's committable position ({@link PartitionLedger#committable()}): between polls
 * asynchronously, one at a time ({@link #commitProgress}); synchronously when partitions are revoked, so the next
 * owner starts after what this member acked; and once more on close ({@link #commitOnClose}).
 *
 * <p>Threads: the poll thread only. The rebalance callbacks run inside its {@code poll}, and the consumer is used by
 * that thread alone; the {@link Assignment}'s monitor is taken for the bookkeeping it shares with the library.
 */
final class GroupCommits implements ConsumerRebalanceListener {
    private static final Logger log = LoggerFactory.getLogger(GroupCommits.class);
    private static final Duration REBALANCE_POLL = Duration.ofMillis(100);
    private static final long REVOKE_DRAIN_MAX_MS = 2000;
    private static final long REVOKE_DRAIN_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Assignment assignment;
    private final String topic;
    private final boolean privateGroup;
    private final StartPosition.Kind start;
    /** Where a partition without a committed offset starts unless at EARLIEST (LATEST: "after this subscription"). */
    private final long startMillis;
    private final long ackDeadlineNanos;
    /**
     * An asynchronous commit is outstanding: the next one waits for its outcome, so an older commit never lands
     * after a newer one (Kafka applies them in the order they arrive, not by offset).
     */
    private boolean commitInFlight;

    GroupCommits(KafkaConsumer<byte[], byte[]> consumer, Assignment assignment, ReceiverSpec spec, long startMillis) {
        this.consumer = consumer;
        this.assignment = assignment;
        this.topic = spec.topic();
        this.privateGroup = spec.group() == null;
        this.start = spec.startPosition().kind();
        this.startMillis = startMillis;
        this.ackDeadlineNanos = spec.ackDeadline().toNanos();
    }

    /**
     * Commits the progress the group does not have yet, asynchronously, unless a commit is still outstanding; a
     * failed commit is logged and tried again next time. Between polls.
     */
    void commitProgress() {
        if (privateGroup || commitInFlight) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> sent;
        synchronized (assignment) {
            sent = toCommit(assignment.ledgers());
        }
        if (sent.isEmpty()) {
            return;
        }
        commitInFlight = true;
        // the callback runs on this thread, inside a later poll or commit
        consumer.commitAsync(sent, (offsets, error) -> {
            synchronized (assignment) {
                commitInFlight = false;
                if (error == null) {
                    for (Map.Entry<TopicPartition, OffsetAndMetadata> o : sent.entrySet()) {
                        PartitionLedger ledger = assignment.ledger(o.getKey());
                        if (ledger != null) {
                            ledger.committed(o.getValue().offset());
                        }
                    }
                } else {
                    log.debug("{}: commit for '{}' failed, retried on the next poll: {}", KafkaBackend.NAME,
                            topic, error.toString());
                }
            }
        });
    }

    /**
     * Commits what is committable for good, before the consumer closes.
     *
     * <p>A member closed while its group rebalances gets {@link RebalanceInProgressException} for that commit. Kafka's
     * own advice is to keep polling so the rebalance completes, then commit again; giving up instead handed about
     * half of what the member had acked to the next owner. So, within {@link PollLoop#CLOSE_WAIT}, it polls with
     * every partition paused (no new records: nothing more is taken), which completes the rebalance (revoked
     * partitions are committed by {@link #onPartitionsRevoked}), and then commits what it still owns.
     */
    void commitOnClose() {
        if (privateGroup) {
            return;
        }
        long end = System.nanoTime() + PollLoop.CLOSE_WAIT.toNanos();
        while (true) {
            Map<TopicPartition, OffsetAndMetadata> last;
            synchronized (assignment) {
                last = toCommit(assignment.ledgers());
            }
            if (last.isEmpty()) {
                return;
            }
            try {
                Duration left = Duration.ofNanos(Math.max(1, end - System.nanoTime()));
                unwoken(() -> {
                    consumer.commitSync(last, left);
                    return null;
                });
                return;
            } catch (RebalanceInProgressException e) {
                if (System.nanoTime() - end >= 0) {
                    log.warn("{}: the last commit for '{}' did not get through the group's rebalance within {}; "
                            + "acked events after the last commit will be redelivered", KafkaBackend.NAME, topic,
                            PollLoop.CLOSE_WAIT);
                    return;
                }
                log.debug("{}: the last commit for '{}' met a rebalance; polling until it completes",
                        KafkaBackend.NAME, topic);
                try {
                    consumer.pause(consumer.assignment());
                    unwoken(() -> consumer.poll(REBALANCE_POLL));
                } catch (RuntimeException pollFailed) {
                    log.debug("{}: polling through the rebalance of '{}' failed", KafkaBackend.NAME, topic,
                            pollFailed);
                }
            } catch (RuntimeException e) {
                log.warn("{}: the last commit for '{}' failed; acked events after the last commit will be "
                        + "redelivered: {}", KafkaBackend.NAME, topic, e.toString());
                return;
            }
        }
    }

    /**
     * Starts a ledger for each assigned partition, paused if the buffer is full; then starts partitions without a
     * committed offset (every partition of a private group) at the start position.
     */
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
        if (assigned.isEmpty()) {
            return;
        }
        synchronized (assignment) {
            assignment.assign(assigned);
            if (assignment.backPressure) {
                consumer.pause(assigned);
            }
        }
        Set<TopicPartition> fresh = new HashSet<>(assigned);
        if (!privateGroup) {
            Map<TopicPartition, OffsetAndMetadata> committed = unwoken(() ->
                    consumer.committed(new HashSet<>(assigned)));
            committed.forEach((tp, offset) -> {
                if (offset != null) {
                    fresh.remove(tp);
                    synchronized (assignment) {
                        assignment.ledger(tp).committed(offset.offset());
                    }
                }
            });
        }
        if (fresh.isEmpty()) {
            return;
        }
        if (start == StartPosition.Kind.EARLIEST) {
            consumer.seekToBeginning(fresh);
            return;
        }
        // the end first: an event published after offsetsForTimes found none is then still delivered
        Map<TopicPartition, Long> ends = unwoken(() -> consumer.endOffsets(fresh));
        Map<TopicPartition, Long> times = new HashMap<>();
        for (TopicPartition tp : fresh) {
            times.put(tp, startMillis);
        }
        Map<TopicPartition, OffsetAndTimestamp> found = unwoken(() -> consumer.offsetsForTimes(times));
        for (TopicPartition tp : fresh) {
            OffsetAndTimestamp at = found.get(tp);
            consumer.seek(tp, at != null ? at.offset() : ends.get(tp));
        }
    }

    /**
     * Lets the library settle what it holds of the revoked partitions, commits their committable positions, and
     * forgets them (their buffered entries are dropped: the next owner fetches them).
     */
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
        if (revoked.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> commit;
        synchronized (assignment) {
            List<PartitionLedger> going = new ArrayList<>();
            for (TopicPartition tp : revoked) {
                PartitionLedger ledger = assignment.ledger(tp);
                if (ledger != null) {
                    ledger.revoke();
                    going.add(ledger);
                }
            }
            awaitSettles(going);
            commit = toCommit(going);
        }
        if (!privateGroup && !commit.isEmpty()) {
            try {
                unwoken(() -> {
                    consumer.commitSync(commit, PollLoop.CLOSE_WAIT);
                    return null;
                });
            } catch (RuntimeException e) {
                log.warn("{}: commit on revoking {} of '{}' failed; their acked events after the last commit "
                        + "will be redelivered: {}", KafkaBackend.NAME, revoked, topic, e.toString());
            }
        }
        drop(revoked);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
        drop(lost);
    }

    /**
     * Waits, holding the assignment's monitor, while the library settles what it holds of {@code going}, so that
     * the next owner redelivers little: as long as settling makes progress (each settle of a revoking partition
     * notifies), up to a quiet spell of min(2 s, ack deadline) without one, and 10 s at most. A fixed spell was too
     * short for the queue a slow inline handler works through (8 x 150 ms): the rest went to the new owner as well.
     * Nothing new is handed out meanwhile (the ledgers are revoking), and close ends the wait.
     */
    private void awaitSettles(List<PartitionLedger> going) {
        long start = System.nanoTime();
        long quiet = TimeUnit.MILLISECONDS.toNanos(Math.min(REVOKE_DRAIN_MAX_MS,
                TimeUnit.NANOSECONDS.toMillis(ackDeadlineNanos)));
        long progressAt = start;
        int held = inFlight(going);
        try {
            while (held > 0 && !assignment.closed) {
                long now = System.nanoTime();
                long left = Math.min(start + REVOKE_DRAIN_LIMIT_NANOS, progressAt + quiet) - now;
                if (left <= 0) {
                    break;
                }
                TimeUnit.NANOSECONDS.timedWait(assignment, left);
                int still = inFlight(going);
                if (still < held) {
                    held = still;
                    progressAt = System.nanoTime();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int inFlight(List<PartitionLedger> going) {
        int n = 0;
        for (PartitionLedger ledger : going) {
            n += ledger.inFlight();
        }
        return n;
    }

    private void drop(Collection<TopicPartition> gone) {
        synchronized (assignment) {
            assignment.drop(gone);
        }
    }

    /** The offsets to commit now for {@code of}: partitions with progress the group does not have yet. */
    private static Map<TopicPartition, OffsetAndMetadata> toCommit(Collection<PartitionLedger> of) {
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        for (PartitionLedger ledger : of) {
            long next = ledger.toCommit();
            if (next >= 0 && !ledger.isRemoved()) {
                commit.put(ledger.tp, new OffsetAndMetadata(next));
            }
        }
        return commit;
    }

    /**
     * Runs a blocking consumer call that must not be cut short by a {@link KafkaConsumer#wakeup()} meant for the poll
     * (a nack, a freed buffer or close): a wakeup is one-shot, so the call is simply made again (three tries).
     */
    static <T> T unwoken(Supplier<T> call) {
        for (int attempt = 1; ; attempt++) {
            try {
                return call.get();
            } catch (WakeupException e) {
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }
}
