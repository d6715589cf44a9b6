package dev.omnibus.memory.internal;

import dev.omnibus.PublishReceipt;
import dev.omnibus.StartPosition;
import dev.omnibus.spi.ReceiverSpec;
import dev.omnibus.spi.Topics;
import io.cloudevents.CloudEvent;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A named in-process broker shared by every connection to {@code mem://name} in the JVM, reference-counted:
 * the last connection to close discards it. Lock order: broker monitor, then a topic's monitor, then a channel's
 * lock.
 */
public final class Broker {
    private static final Map<String, Broker> REGISTRY = new HashMap<>();

    final String name;
    final int retention;
    final boolean dedup;
    final int dedupWindow;
    private final ConcurrentHashMap<String, TopicLog> topics = new ConcurrentHashMap<>();
    private final List<Channel> channels = new ArrayList<>();
    /**
     * The channels of a wildcard pattern, which a new topic is matched against; a channel of a plain topic name is
     * found through {@link #exact}. Both guarded by this monitor. Why: with every channel matched against every
     * topic, opening or closing a subscription cost time in proportion to all topics (1,000 closes with 10,000 topics
     * took 6 s), and creating a topic in proportion to all subscriptions.
     */
    private final List<Channel> wildcards = new ArrayList<>();
    private final Map<String, List<Channel>> exact = new HashMap<>();
    private final Map<String, Channel> groups = new HashMap<>();
    private int connections;

    private Broker(String name, int retention, boolean dedup, int dedupWindow) {
        this.name = name;
        this.retention = retention;
        this.dedup = dedup;
        this.dedupWindow = dedupWindow;
    }

    static Broker acquire(String name, int retention, boolean dedup, int dedupWindow) {
        synchronized (REGISTRY) {
            Broker b = REGISTRY.computeIfAbsent(name, n -> new Broker(n, retention, dedup, dedupWindow));
            b.connections++;
            return b;
        }
    }

    static void release(Broker b) {
        synchronized (REGISTRY) {
            if (--b.connections == 0) {
                REGISTRY.remove(b.name, b);
            }
        }
    }

    /** The live broker called {@code name}, if a connection holds it. */
    public static Optional<Broker> lookup(String name) {
        synchronized (REGISTRY) {
            return Optional.ofNullable(REGISTRY.get(name == null || name.isEmpty() ? MemoryBackend.DEFAULT_NAME : name));
        }
    }

    private TopicLog topic(String topic) {
        TopicLog log = topics.get(topic);
        if (log != null) {
            return log;
        }
        synchronized (this) {
            return topics.computeIfAbsent(topic, t -> {
                TopicLog created = new TopicLog(t, retention, dedup, dedupWindow);
                for (Channel c : exact.getOrDefault(t, List.of())) {
                    attach(c, created);
                }
                for (Channel c : wildcards) {
                    if (Topics.matches(c.pattern, t)) {
                        attach(c, created);
                    }
                }
                return created;
            });
        }
    }

    PublishReceipt publish(String topic, CloudEvent event) {
        TopicLog log = topic(topic);
        synchronized (log) {
            long duplicate = log.duplicateOf(event.getId());
            if (duplicate >= 0) {
                return new PublishReceipt(topic, event.getId(), Long.toString(duplicate), true);
            }
            Entry e = Entry.event(topic, log.nextSequence(), System.currentTimeMillis(), event);
            append(log, e);
            return new PublishReceipt(topic, event.getId(), e.position, false);
        }
    }

    /** Puts a non-CloudEvents message on {@code topic}. */
    public void injectRaw(String topic, byte[] body, Map<String, String> headers) {
        Topics.validateTopic("topic", topic);
        TopicLog log = topic(topic);
        synchronized (log) {
            append(log, Entry.raw(topic, log.nextSequence(), System.currentTimeMillis(), body, headers));
        }
    }

    /** Retains {@code e} and offers it to every channel of its topic; caller holds the topic's monitor. */
    private static void append(TopicLog log, Entry e) {
        log.retain(e);
        for (Channel c : log.channels()) {
            c.offer(e);
        }
    }

    /** The channel for {@code spec}: the group's existing one, or a new one (replaying history as asked). */
    synchronized Channel open(ReceiverSpec spec) {
        String key = spec.group() == null ? null : spec.topic() + '\u0000' + spec.group();
        if (key != null) {
            Channel existing = groups.get(key);
            if (existing != null && !existing.isDisconnected()) {
                existing.join();
                return existing;
            }
        }
        Channel c = new Channel(this, spec.topic(), spec.group(), spec.ackDeadline().toNanos(), spec.overflow(),
                spec.bufferCapacity());
        c.join();
        channels.add(c);
        if (key != null) {
            groups.put(key, c);
        }
        boolean wildcard = Topics.isWildcard(spec.topic());
        if (wildcard) {
            wildcards.add(c);
        } else {
            exact.computeIfAbsent(spec.topic(), t -> new ArrayList<>()).add(c);
        }
        StartPosition start = spec.startPosition();
        TopicLog only = wildcard ? null : topics.get(spec.topic());
        for (TopicLog log : wildcard ? topics.values() : only == null ? List.<TopicLog>of() : List.of(only)) {
            if (!Topics.matches(spec.topic(), log.name)) {
                continue;
            }
            synchronized (log) {
                if (start.kind() != StartPosition.Kind.LATEST) {
                    long from = start.kind() == StartPosition.Kind.TIME ? start.time().toEpochMilli() : Long.MIN_VALUE;
                    for (Iterator<Entry> it = log.history(); it.hasNext(); ) {
                        Entry e = it.next();
                        if (e.publishedAtMillis >= from) {
                            c.replay(e);
                        }
                    }
                }
                attach(c, log);
            }
        }
        return c;
    }

    /** Attaches {@code c} to {@code log}; caller holds this monitor (and the topic's, where entries may flow). */
    private static void attach(Channel c, TopicLog log) {
        log.addChannel(c);
        c.attached.add(log);
    }

    /** Detaches {@code c} from every topic and forgets it. */
    void remove(Channel c) {
        c.close();
        synchronized (this) {
            channels.remove(c);
            if (c.group != null) {
                groups.remove(c.pattern + '\u0000' + c.group, c);
            }
            if (Topics.isWildcard(c.pattern)) {
                wildcards.remove(c);
            } else {
                List<Channel> same = exact.get(c.pattern);
                if (same != null && same.remove(c) && same.isEmpty()) {
                    exact.remove(c.pattern);
                }
            }
            for (TopicLog log : c.attached) {
                synchronized (log) {
                    log.removeChannel(c);
                }
            }
            c.attached.clear();
        }
    }

    /** Hands back everything in flight on every channel (see {@code MemoryBroker.simulateRestart}). */
    public void simulateRestart() {
        List<Channel> all;
        synchronized (this) {
            all = new ArrayList<>(channels);
        }
        for (Channel c : all) {
            c.handBackInFlight();
        }
    }

    /** Events buffered, delayed or in flight across all channels. */
    public synchronized long bufferedEvents() {
        long n = 0;
        for (Channel c : channels) {
            n += c.buffered();
        }
        return n;
    }
}
