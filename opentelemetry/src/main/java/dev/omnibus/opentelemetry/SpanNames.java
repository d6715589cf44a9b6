package dev.omnibus.opentelemetry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Span names of one operation ({@code send <topic>}, {@code process <topic>}), made once per topic instead of once
 * per span; thread-safe. At most {@value #MAX} topics are kept (a connection publishing to more makes the names of
 * the others per span, as before), so a stream of distinct topics cannot grow it without bound.
 */
final class SpanNames {
    static final int MAX = 1024;
    private final String operation;
    private final Map<String, String> names = new ConcurrentHashMap<>();

    /** Names {@code operation + topic}; {@code operation} ends with its separator. */
    SpanNames(String operation) {
        this.operation = operation;
    }

    /** The span name for {@code topic}. */
    String of(String topic) {
        String name = names.get(topic);
        if (name == null) {
            name = operation + topic;
            if (names.size() < MAX) {
                names.putIfAbsent(topic, name);
            }
        }
        return name;
    }

    /** Topics whose name is kept (for tests). */
    int size() {
        return names.size();
    }
}
