package dev.omnibus.cli;

import dev.omnibus.internal.Redaction;
import dev.omnibus.tck.RuleCatalogue;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestTag;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Prints one line per rule of a kit run as the rule ends ({@code R07 PASSED  nack and ... (2 tests, 1.3 s)}), with
 * the same verdict as the report ({@code TckReporter}: FAILED if a test failed, PASSED if one passed, else SKIPPED
 * with the reasons), and remembers whether the kit itself could not run. JUnit calls it from the thread that runs the
 * kit, one event at a time; {@link #kitFailure()} is read after the run.
 */
final class TckProgress implements TestExecutionListener {
    /** A failure message is cut here on the progress line; the report keeps it whole. */
    private static final int MAX_DETAIL = 400;

    private final PrintWriter out;
    private final UnaryOperator<String> scrub;
    private final Map<String, Tally> tallies = new HashMap<>();
    private TestPlan plan;
    private Throwable kitFailure;
    private int failedRules;

    /** Prints on {@code out}, every line passed through {@code scrub} (which takes secrets out). */
    TckProgress(PrintWriter out, UnaryOperator<String> scrub) {
        this.out = out;
        this.scrub = scrub;
    }

    /** One rule's tests so far. */
    private static final class Tally {
        final long startNanos = System.nanoTime();
        int passed;
        int failed;
        int skipped;
        String firstFailure;
        final Set<String> skipReasons = new LinkedHashSet<>();
    }

    @Override
    public void testPlanExecutionStarted(TestPlan testPlan) {
        plan = testPlan;
    }

    @Override
    public void executionStarted(TestIdentifier id) {
        ruleOf(id).filter(rule -> id.isContainer()).ifPresent(rule -> tallies.put(rule, new Tally()));
    }

    @Override
    public void executionSkipped(TestIdentifier id, String reason) {
        if (id.isTest()) {
            tally(id).ifPresent(t -> {
                t.skipped++;
                t.skipReasons.add(reason);
            });
        }
    }

    @Override
    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        if (id.isTest()) {
            tally(id).ifPresent(t -> count(t, result));
            return;
        }
        Optional<String> rule = ruleOf(id);
        if (rule.isPresent()) {
            Tally t = tallies.remove(rule.get());
            if (t != null) {
                print(rule.get(), t);
            }
        } else if (result.getStatus() == TestExecutionResult.Status.FAILED && kitFailure == null) {
            // the kit class (or the engine) failed around the rules: the broker could not be reached, say
            kitFailure = result.getThrowable().orElseGet(() -> new IllegalStateException("the kit failed"));
        }
    }

    /** What made the kit itself fail (its set-up, not a rule), if anything. */
    Optional<Throwable> kitFailure() {
        return Optional.ofNullable(kitFailure);
    }

    /** How many rules failed. */
    int failedRules() {
        return failedRules;
    }

    private static void count(Tally t, TestExecutionResult result) {
        switch (result.getStatus()) {
            case SUCCESSFUL -> t.passed++;
            case ABORTED -> {
                t.skipped++;
                t.skipReasons.add(result.getThrowable().map(Throwable::getMessage).map(String::valueOf)
                        .orElse("aborted").replaceFirst("^Assumption failed: ", ""));
            }
            default -> {
                t.failed++;
                if (t.firstFailure == null) {
                    t.firstFailure = result.getThrowable().map(e -> String.valueOf(e.getMessage()).strip())
                            .orElse("failed");
                }
            }
        }
    }

    private void print(String rule, Tally t) {
        int tests = t.passed + t.failed + t.skipped;
        String timing = String.format(Locale.ROOT, "%d test%s, %.1f s", tests, tests == 1 ? "" : "s",
                (System.nanoTime() - t.startNanos) / 1e9);
        String line;
        if (t.failed > 0) {
            failedRules++;
            line = rule + " FAILED  " + RuleCatalogue.RULES.get(rule) + " (" + timing + "): " + t.firstFailure;
        } else if (t.passed > 0) {
            line = rule + " PASSED  " + RuleCatalogue.RULES.get(rule) + " (" + timing
                    + (t.skipped == 0 ? ")" : ", " + t.skipped + " skipped: " + String.join("; ", t.skipReasons) + ")");
        } else {
            line = rule + " SKIPPED " + RuleCatalogue.RULES.get(rule) + ": " + String.join("; ", t.skipReasons);
        }
        // failure messages quote events, topics and broker errors: escaped so that they cannot forge lines
        out.println(Redaction.printable(scrub.apply(line), MAX_DETAIL));
        out.flush();
    }

    private Optional<Tally> tally(TestIdentifier test) {
        return plan.getParent(test).flatMap(this::ruleOf).map(tallies::get);
    }

    /** The rule id a kit container (a rule's nested class) is tagged with. */
    private Optional<String> ruleOf(TestIdentifier id) {
        if (!id.isContainer()) {
            return Optional.empty();
        }
        return id.getTags().stream().map(TestTag::getName).filter(RuleCatalogue.RULES::containsKey).findFirst();
    }
}
