package dev.omnibus.memory.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.OverflowPolicy;
import dev.omnibus.spi.ReceivedMessage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * The queue of one subscription, or of one group shared by its members. New events wait in a bounded buffer
 * (the overflow policy applies when it is full); delivered ones are in flight until acked, nacked (back to the
 * redelivery queue, or to the delayed queue for a delayed nack) or past their ack deadline. Redeliveries are
 * served before new events. Memory stays bounded: buffer capacity + what members hold in flight.
 */
final class Channel {
    private final Broker broker;
    final String pattern;
    final String group;
    /** The topics this channel is attached to, so closing it touches those only; guarded by the broker's monitor. */
    final List<TopicLog> attached = new ArrayList<>();
    private final long ackDeadlineNanos;
    private final OverflowPolicy overflow;
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final ArrayDeque<Pending> ready = new ArrayDeque<>();
    private final ArrayDeque<Pending> redeliver = new ArrayDeque<>();
    private final PriorityQueue<Pending> delayed = new PriorityQueue<>((a, b) -> Long.compare(a.dueNanos, b.dueNanos));
    private final InFlight inFlight = new InFlight();
    private final LongAdder dropped = new LongAdder();
    private static final long ACTIVE_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int YIELD_ROUNDS = 16;
    private static final int PARK_ROUNDS = 8;
    private static final long POLL_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    private long lastTakeNanos;
    private int waiting;
    private int consecutiveDrops;
    private int members;
    /** Members whose next (or current) receive returns at once: guarded by {@code lock}. */
    private final Set<Object> woken = new HashSet<>();
    private boolean closed;
    private String disconnectReason;

    Channel(Broker broker, String pattern, String group, long ackDeadlineNanos, OverflowPolicy overflow, int capacity) {
        this.broker = broker;
        this.pattern = pattern;
        this.group = group;
        this.ackDeadlineNanos = ackDeadlineNanos;
        this.overflow = overflow == null ? OverflowPolicy.block() : overflow;
        this.capacity = capacity;
    }

    /** One queued event and its current delivery. Guarded by the channel lock. */
    private static final class Pending {
        final Entry entry;
        int deliveries;
        long tag;
        long deadlineNanos;
        long dueNanos;
        Object owner;

        Pending(Entry entry) {
            this.entry = entry;
        }
    }

    /**
     * Messages in flight, by delivery tag. Tags are sequential per channel and every delivery gets the same deadline
     * offset, so a ring indexed by tag keeps deadline order: expiry scans from the oldest tag. A delivery whose
     * deadline was extended moves to a small insertion-ordered side map (its new deadline is the latest). Guarded by
     * the channel lock.
     */
    private static final class InFlight {
        private Pending[] ring = new Pending[256];
        private long head = 1;
        private long next = 1;
        private final LinkedHashMap<Long, Pending> extended = new LinkedHashMap<>();
        private int size;

        void add(Pending p) {
            if (next - head >= ring.length) {
                grow();
            }
            p.tag = next++;
            ring[index(p.tag)] = p;
            size++;
        }

        private int index(long tag) {
            return (int) (tag & (ring.length - 1));
        }

        private void grow() {
            Pending[] bigger = new Pending[ring.length * 2];
            for (long t = head; t < next; t++) {
                bigger[(int) (t & (bigger.length - 1))] = ring[index(t)];
            }
            ring = bigger;
        }

        /** Removes and returns the delivery with {@code tag}, or null if it is no longer in flight. */
        Pending remove(Long tag) {
            long t = tag;
            if (t >= head && t < next) {
                int i = index(t);
                Pending p = ring[i];
                if (p != null && p.tag == t) {
                    ring[i] = null;
                    size--;
                    while (head < next && ring[index(head)] == null) {
                        head++;
                    }
                    return p;
                }
            }
            Pending p = extended.remove(tag);
            if (p != null) {
                size--;
            }
            return p;
        }

        void extend(Long tag, long deadline) {
            Pending p = remove(tag);
            if (p != null) {
                p.deadlineNanos = deadline;
                extended.put(tag, p);
                size++;
            }
        }

        /** Moves every delivery whose deadline passed to {@code out}. */
        void expire(long now, ArrayDeque<Pending> out) {
            while (head < next) {
                Pending p = ring[index(head)];
                if (p != null) {
                    if (p.deadlineNanos - now > 0) {
                        break;
                    }
                    ring[index(head)] = null;
                    size--;
                    out.addLast(p);
                }
                head++;
            }
            Iterator<Pending> it = extended.values().iterator();
            while (it.hasNext()) {
                Pending p = it.next();
                if (p.deadlineNanos - now > 0) {
                    break;
                }
                it.remove();
                size--;
                out.addLast(p);
            }
        }

        /** The earliest deadline in flight, or {@code otherwise} when nothing is. */
        long earliestDeadline(long otherwise) {
            long earliest = otherwise;
            for (long t = head; t < next; t++) {
                Pending p = ring[index(t)];
                if (p != null) {
                    earliest = Math.min(earliest, p.deadlineNanos);
                    break;
                }
            }
            Iterator<Pending> it = extended.values().iterator();
            if (it.hasNext()) {
                earliest = Math.min(earliest, it.next().deadlineNanos);
            }
            return earliest;
        }

        /** Removes and returns the deliveries in flight that {@code which} selects, oldest tag first. */
        List<Pending> removeIf(Predicate<Pending> which) {
            List<Pending> removed = new ArrayList<>();
            for (long t = head; t < next; t++) {
                Pending p = ring[index(t)];
                if (p != null && which.test(p)) {
                    removed.add(remove(t));
                }
            }
            Iterator<Pending> it = extended.values().iterator();
            while (it.hasNext()) {
                Pending p = it.next();
                if (which.test(p)) {
                    it.remove();
                    size--;
                    removed.add(p);
                }
            }
            return removed;
        }

        void clear() {
            Arrays.fill(ring, null);
            extended.clear();
            head = next;
            size = 0;
        }

        int size() {
            return size;
        }
    }

    /**
     * Appends a replayed entry, ignoring capacity (history is bounded by retention). Caller holds the topic monitor.
     */
    void replay(Entry e) {
        lock.lock();
        try {
            ready.addLast(new Pending(e));
        } finally {
            lock.unlock();
        }
    }

    /** Offers a live entry, applying the overflow policy. Caller holds the topic monitor. */
    void offer(Entry e) {
        lock.lock();
        try {
            if (closed || disconnectReason != null) {
                return;
            }
            if (ready.size() >= capacity) {
                switch (overflow.kind()) {
                    case DROP:
                        dropped.increment();
                        return;
                    case DISCONNECT:
                        dropped.increment();
                        if (++consecutiveDrops >= overflow.maxConsecutiveDrops()) {
                            disconnectReason = "disconnected after " + consecutiveDrops + " consecutive drops: its "
                                    + "buffer of " + capacity + " events stayed full (overflow DISCONNECT)";
                            notEmpty.signalAll();
                        }
                        return;
                    default:
                        awaitRoom();
                        if (closed) {
                            return;
                        }
                }
            }
            consecutiveDrops = 0;
            ready.addLast(new Pending(e));
            if (waiting > 0) {
                notEmpty.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    private void awaitRoom() {
        long nanos = overflow.blockTimeout().toNanos();
        try {
            while (ready.size() >= capacity && !closed) {
                if (nanos <= 0) {
                    throw new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED, "the buffer of " + describe() + " is full ("
                            + capacity + " events) and stayed full for " + overflow.blockTimeout().toMillis()
                            + " ms: its consumers are slow or absent; publish again later, or subscribe with a larger "
                            + "bufferCapacity or overflow DROP");
                }
                nanos = notFull.awaitNanos(nanos);
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new OmnibusException(ErrorCode.UNAVAILABLE, "interrupted while waiting for room in " + describe(), ie);
        }
    }

    /**
     * Up to {@code max} messages for {@code member}, waiting up to {@code maxWaitNanos} for the first.
     *
     * <p>Idle strategy: while events are flowing (the last take was recent), an empty channel is polled a few times,
     * yielding and then parking briefly, without registering as a waiter, so publishers never pay a thread wake-up
     * per event and consumers take events in batches. Once idle for {@link #ACTIVE_WINDOW_NANOS}, the consumer
     * waits on the condition and the first offer signals it.
     */
    List<ReceivedMessage> receive(Object member, int max, long maxWaitNanos) throws InterruptedException {
        long end = System.nanoTime() + maxWaitNanos;
        int idleRounds = 0;
        while (true) {
            Taken taken = null;
            lock.lockInterruptibly();
            try {
                if (disconnectReason != null) {
                    throw new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED, describe() + " was " + disconnectReason,
                            null, false);
                }
                if (closed || woken.remove(member)) {
                    return List.of();
                }
                long now = System.nanoTime();
                requeueDue(now);
                if (!redeliver.isEmpty() || !ready.isEmpty()) {
                    lastTakeNanos = now;
                    taken = take(member, max, now);
                } else if (end - now <= 0) {
                    return List.of();
                } else if (now - lastTakeNanos > ACTIVE_WINDOW_NANOS || idleRounds >= YIELD_ROUNDS + PARK_ROUNDS) {
                    awaitOffer(now, end);
                    idleRounds = 0;
                    continue;
                }
            } finally {
                lock.unlock();
            }
            if (taken != null) {
                return messages(taken);
            }
            if (idleRounds++ < YIELD_ROUNDS) {
                Thread.yield();
            } else {
                LockSupport.parkNanos(this, POLL_PARK_NANOS);
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    /**
     * {@code member}'s receive in progress returns empty now, or its next one at once (Receiver.wakeup: its
     * subscription is closing). Wakes every waiter: the others find nothing new and wait again.
     */
    void wakeup(Object member) {
        lock.lock();
        try {
            woken.add(member);
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits as a registered waiter until an offer signals, the next deadline or delay is due, or {@code end}. */
    private void awaitOffer(long now, long end) throws InterruptedException {
        long wait = end - now;
        Pending nextDelayed = delayed.peek();
        if (nextDelayed != null) {
            wait = Math.min(wait, nextDelayed.dueNanos - now);
        }
        wait = Math.min(wait, inFlight.earliestDeadline(now + wait) - now);
        waiting++;
        try {
            notEmpty.awaitNanos(Math.max(wait, TimeUnit.MICROSECONDS.toNanos(100)));
        } finally {
            waiting--;
        }
    }

    /** What one receive took: entries with the tag and count of this delivery, captured under the lock. */
    private static final class Taken {
        final Entry[] entries;
        final long[] tags;
        final int[] deliveries;

        Taken(int n) {
            entries = new Entry[n];
            tags = new long[n];
            deliveries = new int[n];
        }
    }

    /** Moves up to {@code max} messages in flight; caller holds the lock. Messages are built after unlocking. */
    private Taken take(Object member, int max, long now) {
        int n = Math.min(max, redeliver.size() + ready.size());
        Taken out = new Taken(n);
        boolean tookNew = false;
        for (int i = 0; i < n; i++) {
            Pending p = redeliver.pollFirst();
            if (p == null) {
                p = ready.pollFirst();
                tookNew = true;
            }
            p.deliveries++;
            p.deadlineNanos = now + ackDeadlineNanos;
            p.owner = member;
            inFlight.add(p);
            out.entries[i] = p.entry;
            out.tags[i] = p.tag;
            out.deliveries[i] = p.deliveries;
        }
        if (tookNew) {
            notFull.signalAll();
        }
        return out;
    }

    private static List<ReceivedMessage> messages(Taken taken) {
        int n = taken.entries.length;
        List<ReceivedMessage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Entry e = taken.entries[i];
            Long tag = taken.tags[i];
            int deliveries = taken.deliveries[i];
            if (e.event == null) {
                out.add(ReceivedMessage.invalid(e.topic, e.rawBody, e.rawHeaders,
                        "not a CloudEvent (no specversion, id, source or type)").deliveryCount(deliveries)
                        .redeliveryKey(e.key).position(e.position).handle(tag).build());
            } else {
                out.add(ReceivedMessage.event(e.topic, e.event).deliveryCount(deliveries).redeliveryKey(e.key)
                        .orderingKey(e.orderingKey).position(e.position).handle(tag).build());
            }
        }
        return out;
    }

    /** Moves expired in-flight and due delayed messages to the redelivery queue. Caller holds the lock. */
    private void requeueDue(long now) {
        inFlight.expire(now, redeliver);
        while (!delayed.isEmpty() && delayed.peek().dueNanos - now <= 0) {
            redeliver.addLast(delayed.poll());
        }
    }

    void ack(Long tag) {
        lock.lock();
        try {
            inFlight.remove(tag);
        } finally {
            lock.unlock();
        }
    }

    void ackAll(List<ReceivedMessage> messages) {
        lock.lock();
        try {
            for (ReceivedMessage m : messages) {
                inFlight.remove((Long) m.handle());
            }
        } finally {
            lock.unlock();
        }
    }

    void nack(long tag, long delayNanos) {
        lock.lock();
        try {
            Pending p = inFlight.remove(tag);
            if (p == null) {
                return;
            }
            if (delayNanos <= 0) {
                redeliver.addLast(p);
            } else {
                p.dueNanos = System.nanoTime() + delayNanos;
                delayed.add(p);
            }
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void extend(List<Long> tags) {
        lock.lock();
        try {
            long deadline = System.nanoTime() + ackDeadlineNanos;
            for (Long tag : tags) {
                inFlight.extend(tag, deadline);
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A simulated broker restart: every delivery in flight goes back to the front of the redelivery queue, with a new
     * tag when it is delivered again, so late acks of the old delivery find nothing.
     */
    void handBackInFlight() {
        lock.lock();
        try {
            List<Pending> back = inFlight.removeIf(p -> true);
            for (int i = back.size() - 1; i >= 0; i--) {
                redeliver.addFirst(back.get(i));
            }
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void join() {
        lock.lock();
        try {
            members++;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A member leaves: what it held in flight is redelivered to the others. Returns whether the channel is now unused.
     */
    boolean leave(Object member) {
        lock.lock();
        try {
            List<Pending> back = inFlight.removeIf(p -> p.owner == member);
            for (int i = back.size() - 1; i >= 0; i--) {
                redeliver.addFirst(back.get(i));
            }
            members--;
            woken.remove(member);
            notEmpty.signalAll();
            return members <= 0 && (group == null || disconnectReason != null);
        } finally {
            lock.unlock();
        }
    }

    void close() {
        lock.lock();
        try {
            closed = true;
            ready.clear();
            redeliver.clear();
            delayed.clear();
            inFlight.clear();
            notEmpty.signalAll();
            notFull.signalAll();
        } finally {
            lock.unlock();
        }
    }

    boolean isDisconnected() {
        lock.lock();
        try {
            return disconnectReason != null;
        } finally {
            lock.unlock();
        }
    }

    long dropped() {
        return dropped.sum();
    }

    /** Events waiting to be (re)delivered to the channel's members: its consumer lag. */
    long lag() {
        lock.lock();
        try {
            return ready.size() + redeliver.size() + delayed.size();
        } finally {
            lock.unlock();
        }
    }

    long buffered() {
        lock.lock();
        try {
            return ready.size() + redeliver.size() + delayed.size() + inFlight.size();
        } finally {
            lock.unlock();
        }
    }

    Broker broker() {
        return broker;
    }

    private String describe() {
        return "subscription '" + pattern + "'" + (group == null ? "" : " of group '" + group + "'");
    }
}
