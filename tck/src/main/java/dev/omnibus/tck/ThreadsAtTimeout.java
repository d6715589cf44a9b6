package dev.omnibus.tck;

import org.awaitility.core.ConditionEvaluationListener;
import org.awaitility.core.EvaluatedCondition;
import org.awaitility.core.TimeoutEvent;

import java.util.Comparator;
import java.util.Map;

/**
 * Prints where the library's threads are when one of the kit's waits times out: the stacks of every thread whose name
 * starts with {@code omnibus-} (receive loops, flushers, schedulers) to standard error, which the test report keeps.
 * Why: a wait that times out says what did not happen ("marker delivered after the restart"), not why; a receive
 * loop stuck in a broker call and one idling in its backoff fail the same way, and only the stacks tell them apart
 * (RabbitMQ's R17 failed so about once in seven runs, the receive thread silent after the connection recovered).
 * Standard error, not slf4j: a backend's tests may log through a binding that is off, filtered or elsewhere, and
 * this must reach the test's output whatever the logging set-up (as JUnit's and Awaitility's own reports do).
 * Stateless and thread-safe; called on Awaitility's thread.
 */
final class ThreadsAtTimeout implements ConditionEvaluationListener<Object> {
    /** The one instance the kit's waits use. */
    static final ThreadsAtTimeout INSTANCE = new ThreadsAtTimeout();
    /** Frames printed per thread: enough to reach the library's own frames below the driver's. */
    private static final int DEPTH = 40;

    private ThreadsAtTimeout() {
    }

    @Override
    public void conditionEvaluated(EvaluatedCondition<Object> condition) {
        // only the timeout matters
    }

    @Override
    public void onTimeout(TimeoutEvent event) {
        System.err.print(dump(event.getAlias() != null ? event.getAlias() : event.getDescription()));
    }

    /** The stacks of the library's threads, by name, headed by {@code what} timed out. */
    static String dump(String what) {
        StringBuilder s = new StringBuilder("[omnibus-tck] the library's threads when '").append(what)
                .append("' timed out:\n");
        Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getName().startsWith("omnibus-"))
                .sorted(Comparator.comparing((Map.Entry<Thread, StackTraceElement[]> e) -> e.getKey().getName()))
                .forEach(e -> {
                    s.append("  \"").append(e.getKey().getName()).append("\" ").append(e.getKey().getState())
                            .append('\n');
                    StackTraceElement[] stack = e.getValue();
                    for (int i = 0; i < Math.min(DEPTH, stack.length); i++) {
                        s.append("      at ").append(stack[i]).append('\n');
                    }
                    if (stack.length > DEPTH) {
                        s.append("      ... ").append(stack.length - DEPTH).append(" more\n");
                    }
                });
        return s.toString();
    }
}
