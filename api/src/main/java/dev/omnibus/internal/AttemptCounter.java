package dev.omnibus.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts deliveries per message for brokers that keep no count. Bounded: the oldest keys are forgotten past
 * {@link #CAPACITY}, and counts restart with the process (documented per backend).
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

    synchronized int next(String key) {
        int n = counts.getOrDefault(key, 0) + 1;
        counts.put(key, n);
        return n;
    }

    synchronized void forget(String key) {
        counts.remove(key);
    }
}
