package dev.omnibus.cli;

import dev.omnibus.Omnibus;
import dev.omnibus.OverflowPolicy;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What scripts rely on: exit codes, {@code --json} output, {@code --url-file}, and {@code --help} with examples and
 * the exit codes. Each test holds the named memory broker open across its commands, as PublishSubscribeCommandTest
 * does.
 */
class ShellBehaviourTest {
    private static final String URL = "mem://shell-test";

    private Omnibus keepBrokerAlive;

    @BeforeEach
    void openBroker() {
        keepBrokerAlive = Omnibus.connect(URL);
    }

    @AfterEach
    void closeBroker() {
        keepBrokerAlive.close();
    }

    @Test
    void publishJsonPrintsOneReceiptObjectPerLine() {
        Cli.Result result = Cli.run("publish", "--url", URL, "--topic", "orders.created", "--id", "o",
                "--count", "2", "--json");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out().lines()).containsExactly(
                "{\"id\":\"o-1\",\"topic\":\"orders.created\",\"position\":\"1\",\"duplicate\":false}",
                "{\"id\":\"o-2\",\"topic\":\"orders.created\",\"position\":\"2\",\"duplicate\":false}");
    }

    @Test
    void subscribeJsonPrintsTheEventWithControlCharactersEscapedAndBinaryDataInBase64(@TempDir Path dir)
            throws IOException {
        byte[] binary = {(byte) 0xff, 0, 1, (byte) 0xfe};
        Path file = Files.write(dir.resolve("data.bin"), binary);
        Cli.Result text = Cli.run("publish", "--url", URL, "--topic", "raw", "--id", "fake\nline\u001b[31m",
                "--data", "red\u001b[31m\r\"quoted\"\u2028", "--partition-key", "k1");
        Cli.Result bytes = Cli.run("publish", "--url", URL, "--topic", "raw", "--id", "bin", "--data-file",
                file.toString(), "--content-type", "application/octet-stream");
        Cli.Result received = Cli.run("subscribe", "--url", URL, "--topic", "raw", "--from", "earliest",
                "--count", "2", "--timeout", "10s", "--json");

        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(bytes.exitCode()).as(bytes.err()).isZero();
        assertThat(received.exitCode()).as(received.err()).isZero();
        List<String> lines = received.out().lines().toList();
        assertThat(lines).hasSize(2);
        // nothing a producer sent reaches the terminal raw: every control character is a JSON escape
        assertThat(received.out()).doesNotContain("\u001b", "\r", "\u2028");
        assertThat(lines.get(0)).contains("\"id\":\"fake\\nline\\u001b[31m\"")
                .contains("\"data\":\"red\\u001b[31m\\r\\\"quoted\\\"\\u2028\"");
        Map<String, Object> first = JsonText.object(lines.get(0));
        assertThat(first).containsEntry("topic", "raw").containsEntry("attempt", BigDecimal.ONE)
                .containsEntry("position", "1").containsEntry("group", null);
        @SuppressWarnings("unchecked")
        Map<String, Object> event = (Map<String, Object>) first.get("event");
        assertThat(event).containsEntry("specversion", "1.0").containsEntry("id", "fake\nline\u001b[31m")
                .containsEntry("source", "/omnibus-cli").containsEntry("type", "dev.omnibus.cli.message")
                .containsEntry("datacontenttype", "text/plain").containsEntry("partitionkey", "k1")
                .containsEntry("data", "red\u001b[31m\r\"quoted\"\u2028");
        @SuppressWarnings("unchecked")
        Map<String, Object> second = (Map<String, Object>) JsonText.object(lines.get(1)).get("event");
        assertThat(second).containsEntry("id", "bin").doesNotContainKey("data")
                .containsEntry("data_base64", Base64.getEncoder().encodeToString(binary));
    }

    @Test
    void publishExitsThreeWhenSomeEventsAreNotConfirmed() throws InterruptedException {
        // one subscriber whose handler holds the first event and whose buffer holds one more: the third publish
        // waits 300 ms for room, then fails
        CountDownLatch release = new CountDownLatch(1);
        Subscription stuck = keepBrokerAlive.subscriber().subscribe(SubscribeOptions.topic("jammed").bufferCapacity(1)
                .overflow(OverflowPolicy.block(Duration.ofMillis(300))), delivery -> release.await());
        try {
            Cli.Result result = Cli.run("publish", "--url", URL, "--topic", "jammed", "--id", "j", "--count", "3");
            Cli.Result json = Cli.run("publish", "--url", URL, "--topic", "jammed", "--id", "k", "--json");

            assertThat(result.exitCode()).as(result.err()).isEqualTo(3);
            assertThat(result.out().lines()).containsExactly(
                    "published id=j-1 topic=jammed position=1", "published id=j-2 topic=jammed position=2");
            assertThat(result.err().lines()).hasSize(2);
            assertThat(result.err().lines().toList().get(0)).contains("is full")
                    .startsWith("omnibus: event j-3 not confirmed: [RESOURCE_EXHAUSTED] the buffer of ");
            assertThat(result.err().lines().toList().get(1)).isEqualTo("omnibus: 1 of 3 events not confirmed");
            // the only event not confirmed: a failure, not partial; with --json its outcome is a line on stdout
            assertThat(json.exitCode()).isEqualTo(1);
            Map<String, Object> failure = JsonText.object(json.out().strip());
            assertThat(failure).containsEntry("id", "k").containsEntry("topic", "jammed");
            assertThat(failure.get("error")).asInstanceOf(InstanceOfAssertFactories.MAP)
                    .containsEntry("code", "RESOURCE_EXHAUSTED").containsEntry("retryable", true)
                    .containsKey("message");
            assertThat(json.err()).isEqualTo("omnibus: the event was not confirmed" + System.lineSeparator());
        } finally {
            release.countDown();
            stuck.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void subscribeExitsThreeWhenFewerThanCountButSomeArrived() {
        Cli.run("publish", "--url", URL, "--topic", "sparse", "--id", "only");

        Cli.Result result = Cli.run("subscribe", "--url", URL, "--topic", "sparse", "--from", "earliest",
                "--count", "2", "--timeout", "300ms");

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.out().lines()).hasSize(1);
        assertThat(result.err().lines()).containsExactly("omnibus: received 1 of 2 events within 0.3s");
    }

    @Test
    void urlFileGivesTheUrl(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("url"), URL + "\n");

        Cli.Result published = Cli.run("publish", "--url-file", file.toString(), "--topic", "t", "--id", "f");

        assertThat(published.exitCode()).as(published.err()).isZero();
        assertThat(published.out()).isEqualTo("published id=f topic=t position=1" + System.lineSeparator());
    }

    @Test
    void urlFileIsBadInputWhenMissingEmptyMultiLineOrGivenWithUrl(@TempDir Path dir) throws IOException {
        Path empty = Files.writeString(dir.resolve("empty"), " \n");
        Path twoLines = Files.writeString(dir.resolve("two"), URL + "\nredis://:hunter22@x\n");

        assertThat(Cli.run("publish", "--url-file", dir.resolve("none").toString(), "--topic", "t"))
                .satisfies(r -> assertThat(r.exitCode()).isEqualTo(2))
                .satisfies(r -> assertThat(r.err()).contains("cannot read --url-file '" + dir.resolve("none")
                        + "' (NoSuchFileException)"));
        assertThat(Cli.run("publish", "--url-file", empty.toString(), "--topic", "t").err())
                .contains("--url-file '" + empty + "' must hold the URL on one line, it is empty");
        Cli.Result two = Cli.run("publish", "--url-file", twoLines.toString(), "--topic", "t");
        assertThat(two.exitCode()).isEqualTo(2);
        assertThat(two.err()).contains("must hold the URL on one line, it has 2 lines").doesNotContain("hunter22");
        assertThat(Cli.run("publish", "--url-file", empty.toString(), "--url", URL, "--topic", "t").err())
                .contains("give the URL with --url or --url-file, not both");
    }

    @ParameterizedTest
    @ValueSource(strings = {"publish", "subscribe", "demo", "bench"})
    void helpShowsAnExampleAndTheExitCodes(String command) {
        Cli.Result help = Cli.run(command, "--help");

        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("Examples:", "  omnibus " + command)
                .contains("Exit codes:", "0   success", "1   failed", "2   bad input", "3   partial")
                .contains("--url-file=FILE");
    }
}
