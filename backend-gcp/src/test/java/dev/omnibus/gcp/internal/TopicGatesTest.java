package dev.omnibus.gcp.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

import static org.assertj.core.api.Assertions.assertThat;

/** The gate publishes wait behind until their topic is known: order, failure, re-check; no server, no threads. */
class TopicGatesTest {
    /** Runs the checks only when the test says so. */
    private static final class ManualExecutor implements Executor {
        final Queue<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable command) {
            tasks.add(command);
        }

        void runAll() {
            Runnable r;
            while ((r = tasks.poll()) != null) {
                r.run();
            }
        }
    }

    private final ManualExecutor admin = new ManualExecutor();
    private final List<String> checked = new ArrayList<>();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private RuntimeException checkFails;

    private final TopicGates gates = new TopicGates(admin, topic -> {
        checked.add(topic);
        if (checkFails != null) {
            throw checkFails;
        }
    });

    private TopicGates.Pending pending(String name) {
        return new TopicGates.Pending() {
            @Override
            public void publish() {
                log.add("published " + name);
            }

            @Override
            public void fail(RuntimeException error) {
                log.add("failed " + name + ": " + error.getMessage());
            }
        };
    }

    @Test
    void publishesWaitForTheirTopicsCheckWithoutBlockingAndGoInCallOrder() {
        gates.submit("orders", pending("a"));
        gates.submit("orders", pending("b"));
        gates.submit("orders", pending("c"));

        assertThat(log).as("nothing is published before the topic is known").isEmpty();
        assertThat(admin.tasks).as("one check for the topic, however many publishes wait").hasSize(1);

        admin.runAll();
        assertThat(log).containsExactly("published a", "published b", "published c");

        gates.submit("orders", pending("d"));
        assertThat(log).as("a known topic publishes at once").endsWith("published d");
        assertThat(checked).containsExactly("orders");
    }

    @Test
    void aFailedCheckFailsWhatWaitedAndTheNextPublishChecksAgain() {
        checkFails = new IllegalStateException("unreachable");
        gates.submit("orders", pending("a"));
        gates.submit("orders", pending("b"));
        admin.runAll();
        assertThat(log).containsExactly("failed a: unreachable", "failed b: unreachable");

        checkFails = null;
        gates.submit("orders", pending("c"));
        admin.runAll();
        assertThat(log).endsWith("published c");
        assertThat(checked).containsExactly("orders", "orders");
    }

    @Test
    void aForgottenTopicIsCheckedAgainBeforeItsNextPublish() {
        gates.submit("orders", pending("a"));
        admin.runAll();
        gates.forget("orders");

        gates.submit("orders", pending("b"));
        assertThat(log).containsExactly("published a");
        admin.runAll();
        assertThat(log).containsExactly("published a", "published b");
        assertThat(checked).containsExactly("orders", "orders");
    }

    @Test
    void topicsAreCheckedIndependently() {
        gates.submit("orders", pending("a"));
        admin.runAll();
        gates.submit("payments", pending("b"));
        gates.submit("orders", pending("c"));
        assertThat(log).containsExactly("published a", "published c");
        admin.runAll();
        assertThat(log).containsExactly("published a", "published c", "published b");
    }

    @Test
    void failAllFailsEveryWaitingPublish() {
        gates.submit("orders", pending("a"));
        gates.submit("payments", pending("b"));
        gates.failAll(new IllegalStateException("closed"));
        assertThat(log).containsExactlyInAnyOrder("failed a: closed", "failed b: closed");
    }
}
