package dev.omnibus.tck;

import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A kit wait that times out prints the library's threads' stacks, and only theirs. */
class ThreadsAtTimeoutTest {
    @Test
    void aTimedOutWaitPrintsWhereTheLibrarysThreadsAre() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        Thread library = new Thread(() -> awaitQuietly(release), "omnibus-test-recv-t");
        Thread other = new Thread(() -> awaitQuietly(release), "not-the-library");
        library.start();
        other.start();
        Awaitility.await("both threads waiting").atMost(Duration.ofSeconds(10)).until(() ->
                library.getState() == Thread.State.WAITING && other.getState() == Thread.State.WAITING);
        PrintStream err = System.err;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(printed, true, StandardCharsets.UTF_8));
            assertThatThrownBy(() -> Awaitility.await("the marker delivered").atMost(Duration.ofMillis(200))
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).conditionEvaluationListener(ThreadsAtTimeout.INSTANCE).until(() -> false))
                    .isInstanceOf(ConditionTimeoutException.class);
        } finally {
            System.setErr(err);
            release.countDown();
            library.join();
            other.join();
        }
        String dump = printed.toString(StandardCharsets.UTF_8);
        assertThat(dump).contains("when 'the marker delivered' timed out", "\"omnibus-test-recv-t\" WAITING",
                "awaitQuietly").doesNotContain("not-the-library");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
