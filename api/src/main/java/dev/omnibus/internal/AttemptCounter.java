package dev.omnibus.internal;

import dev.omnibus.spi.ReceivedMessage;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts deliveries per message for brokers that keep no count. Bounded: the oldest keys are forgotten past
 * {@link #CAPACITY}, and counts restart with the process (documented per backend). Thread-safe: counted on the
 * receive thread, forgotten by whichever thread settles.
 */
final class AttemptCounter {
    static final int CAPACITY = 65_536;

    private final Map<String, Integer> counts = new LinkedHashMap<>(256, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
            return size() > CAPACITY;
        }
    };

    /**
     * The attempt {@code m} is: the broker's count where it keeps one, else this counter's (1 for a message without a
     * key to count under).
     */
    int attempt(ReceivedMessage m) {
        int attempt = m.deliveryCount();
        if (attempt == 0) {
            String key = key(m);
            attempt = key == null ? 1 : next(key);
        }
        return attempt;
    }

    /** Stops counting attempts of {@code m}: it is settled for good. */
    void forget(ReceivedMessage m) {
        if (m.deliveryCount() == 0) {
            String key = key(m);
            if (key != null) {
                forget(key);
            }
        }
    }

    /**
     * The key attempts are counted under when the broker keeps no count: the driver's redelivery key, else the topic
     * and event id (a raw message's position). {@code null} when there is none: never counted.
     */
    private static String key(ReceivedMessage m) {
        if (m.redeliveryKey() != null) {
            return m.redeliveryKey();
        }
        String id = m.isInvalid() ? m.position() : m.event().getId();
        return id == null ? null : m.topic() + "/" + id;
    }

    private synchronized int next(String key) {
        int n = counts.getOrDefault(key, 0) + 1;
        counts.put(key, n);
        return n;
    }

    private synchronized void forget(String key) {
        counts.remove(key);
    }
}
