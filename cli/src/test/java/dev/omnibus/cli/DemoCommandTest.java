package dev.omnibus.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DemoCommandTest {
    @Test
    void tellsTheStoryAndAccountsForEveryOrder() {
        Cli.Result result = Cli.run("demo");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.err()).isEmpty();
        // 20 orders: 7 and 14 fail once, 10 (the middle one) is poison: 3 attempts, then the dead-letter topic
        assertThat(result.out())
                .contains("publisher -> order-0001 for customer-01")
                .contains("shipping  <- order-0007 attempt 1 shipped")
                .contains("billing   <- order-0007 attempt 1 failed: card issuer timed out")
                .contains("billing   <- order-0007 attempt 2 billed")
                .contains("billing   <- order-0010 attempt 3 failed: payment declined -> dead letter")
                .contains("dlq       <- order-0010 attempt 1 deadletterreason=\"handler threw "
                        + "java.lang.IllegalStateException: payment declined for order-0010\"")
                .doesNotContain("order-0010 attempt 4")
                .containsPattern("published +20 to orders\\.created")
                .containsPattern("delivered +44 \\(billing 24, shipping 20\\)")
                .containsPattern("(?m)redelivered +4$")
                .containsPattern("dead-lettered +1 to orders\\.created\\.dlq");
    }

    @Test
    void scalesTheStoryToTheNumberOfEvents() {
        Cli.Result result = Cli.run("demo", "--events", "3", "--url", "mem://demo-small");

        // order 2 is the poison one; no order is a 7th
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out())
                .contains("dlq       <- order-0002")
                .doesNotContain("card issuer")
                .containsPattern("published +3 to")
                .containsPattern("delivered +8 \\(billing 5, shipping 3\\)")
                .containsPattern("(?m)redelivered +2$")
                .containsPattern("dead-lettered +1 to");
    }

    @Test
    void rejectsANonPositiveNumberOfEvents() {
        Cli.Result result = Cli.run("demo", "--events", "0");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--events must be at least 1, was 0");
        assertThat(result.out()).isEmpty();
    }
}
