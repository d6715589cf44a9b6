package dev.omnibus.memory.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.OverflowPolicy;
import dev.omnibus.spi.ReceivedMessage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

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
    private final long ackDeadlineNanos;
    private final OverflowPolicy overflow;
    private final int capacity;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private final Condition notFull = lock.newCondition();
    private final ArrayDeque<Pending> ready = new ArrayDeque<>();
    private final ArrayDeque<Pending> redeliver = new ArrayDeque<>();
    private final PriorityQueue<Pending> delayed = new PriorityQueue<>((a, b) -> Long.compare(a.dueNanos, b.dueNanos));
    private final LinkedHashMap<Long, Pending> inFlight = new LinkedHashMap<>();
    private final LongAdder dropped = new LongAdder();
    private static final long ACTIVE_WINDOW_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int YIELD_ROUNDS = 16;
    private static final int PARK_ROUNDS = 8;
    private static final long POLL_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
    private long nextTag = 1;
    private long lastTakeNanos;
    private int waiting;
    private int consecutiveDrops;
    private int members;
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

    /** Appends a replayed entry, ignoring capacity (history is bounded by retention). Caller holds the topic monitor. */
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
            lock.lockInterruptibly();
            try {
                if (disconnectReason != null) {
                    throw new OmnibusException(ErrorCode.RESOURCE_EXHAUSTED, describe() + " was " + disconnectReason,
                            null, false);
                }
                if (closed) {
                    return List.of();
                }
                long now = System.nanoTime();
                requeueDue(now);
                if (!redeliver.isEmpty() || !ready.isEmpty()) {
                    lastTakeNanos = now;
                    return take(member, max, now);
                }
                long wait = end - now;
                if (wait <= 0) {
                    return List.of();
                }
                if (now - lastTakeNanos > ACTIVE_WINDOW_NANOS || idleRounds >= YIELD_ROUNDS + PARK_ROUNDS) {
                    Pending nextDelayed = delayed.peek();
                    if (nextDelayed != null) {
                        wait = Math.min(wait, nextDelayed.dueNanos - now);
                    }
                    Iterator<Pending> it = inFlight.values().iterator();
                    if (it.hasNext()) {
                        wait = Math.min(wait, it.next().deadlineNanos - now);
                    }
                    waiting++;
                    try {
                        notEmpty.awaitNanos(Math.max(wait, TimeUnit.MICROSECONDS.toNanos(100)));
                    } finally {
                        waiting--;
                    }
                    idleRounds = 0;
                    continue;
                }
            } finally {
                lock.unlock();
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

    private List<ReceivedMessage> take(Object member, int max, long now) {
        int n = Math.min(max, redeliver.size() + ready.size());
        List<ReceivedMessage> out = new ArrayList<>(n);
        boolean tookNew = false;
        while (out.size() < n) {
            Pending p = redeliver.pollFirst();
            if (p == null) {
                p = ready.pollFirst();
                tookNew = true;
            }
            p.deliveries++;
            p.tag = nextTag++;
            p.deadlineNanos = now + ackDeadlineNanos;
            p.owner = member;
            inFlight.put(p.tag, p);
            out.add(message(p));
        }
        if (tookNew) {
            notFull.signalAll();
        }
        return out;
    }

    private static ReceivedMessage message(Pending p) {
        Entry e = p.entry;
        if (e.event == null) {
            return ReceivedMessage.invalid(e.topic, e.rawBody, e.rawHeaders,
                    "not a CloudEvent (no specversion, id, source or type)", p.deliveries, e.key, e.position, p.tag);
        }
        return ReceivedMessage.of(e.topic, e.event, p.deliveries, e.key, e.orderingKey, e.position, p.tag);
    }

    /** Moves expired in-flight and due delayed messages to the redelivery queue. Caller holds the lock. */
    private void requeueDue(long now) {
        Iterator<Pending> it = inFlight.values().iterator();
        while (it.hasNext()) {
            Pending p = it.next();
            if (p.deadlineNanos - now > 0) {
                break;
            }
            it.remove();
            redeliver.addLast(p);
        }
        while (!delayed.isEmpty() && delayed.peek().dueNanos - now <= 0) {
            redeliver.addLast(delayed.poll());
        }
    }

    void ack(long tag) {
        lock.lock();
        try {
            inFlight.remove(tag);
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
                Pending p = inFlight.remove(tag);
                if (p != null) {
                    p.deadlineNanos = deadline;
                    inFlight.put(tag, p);
                }
            }
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

    /** A member leaves: what it held in flight is redelivered to the others. Returns whether the channel is now unused. */
    boolean leave(Object member) {
        lock.lock();
        try {
            Iterator<Map.Entry<Long, Pending>> it = inFlight.entrySet().iterator();
            List<Pending> back = new ArrayList<>();
            while (it.hasNext()) {
                Pending p = it.next().getValue();
                if (p.owner == member) {
                    it.remove();
                    back.add(p);
                }
            }
            for (int i = back.size() - 1; i >= 0; i--) {
                redeliver.addFirst(back.get(i));
            }
            members--;
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
