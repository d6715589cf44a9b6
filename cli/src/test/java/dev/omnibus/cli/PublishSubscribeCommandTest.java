package dev.omnibus.cli;

import dev.omnibus.Omnibus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each command opens its own connection; a named memory broker lives while any connection to it is open, so each
 * test holds one open across its publish and subscribe, and the subscribe replays from the earliest event.
 */
class PublishSubscribeCommandTest {
    private static final String URL = "mem://cli-test";

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
    void subscribeReceivesWhatPublishSent() {
        Cli.Result published = Cli.run("publish", "--url", URL, "--topic", "greetings", "--data", "hello",
                "--id", "greeting", "--count", "3", "--partition-key", "k1");
        Cli.Result received = Cli.run("subscribe", "--url", URL, "--topic", "greetings", "--from", "earliest",
                "--count", "3", "--timeout", "10s");

        assertThat(published.exitCode()).as(published.err()).isZero();
        assertThat(published.out().lines()).containsExactly(
                "published id=greeting-1 topic=greetings position=1",
                "published id=greeting-2 topic=greetings position=2",
                "published id=greeting-3 topic=greetings position=3");
        assertThat(received.exitCode()).as(received.err()).isZero();
        assertThat(received.out().lines()).containsExactly(
                "topic=greetings id=greeting-1 type=dev.omnibus.cli.message attempt=1 data=hello",
                "topic=greetings id=greeting-2 type=dev.omnibus.cli.message attempt=1 data=hello",
                "topic=greetings id=greeting-3 type=dev.omnibus.cli.message attempt=1 data=hello");
    }

    @Test
    void controlCharactersAProducerSentArePrintedEscaped() {
        Cli.Result published = Cli.run("publish", "--url", URL, "--topic", "raw", "--id", "fake\nline",
                "--data", "red\u001b[31m\rover");
        Cli.Result received = Cli.run("subscribe", "--url", URL, "--topic", "raw", "--from", "earliest",
                "--count", "1", "--timeout", "10s");

        assertThat(published.exitCode()).as(published.err()).isZero();
        assertThat(received.exitCode()).as(received.err()).isZero();
        assertThat(received.out().lines()).containsExactly(
                "topic=raw id=fake\\nline type=dev.omnibus.cli.message attempt=1 data=red\\u001b[31m\\rover");
    }

    @Test
    void publishesAFileAndHonoursOmnibusUrlWhenNoUrlIsGiven(@TempDir Path dir) throws IOException {
        Path order = Files.writeString(dir.resolve("order.json"), "{\"orderId\":\"o-1\"}");
        Map<String, String> env = Map.of("OMNIBUS_URL", URL);
        Cli.Result published = Cli.run(env, "publish", "--topic", "orders.created", "--id", "o-1",
                "--type", "com.example.order.created", "--data-file", order.toString(),
                "--content-type", "application/json");
        Cli.Result received = Cli.run(env, "subscribe", "--topic", "orders.*", "--group", "audit",
                "--from", "earliest", "--count", "1");

        assertThat(published.exitCode()).as(published.err()).isZero();
        assertThat(published.out().lines()).containsExactly("published id=o-1 topic=orders.created position=1");
        assertThat(received.exitCode()).as(received.err()).isZero();
        assertThat(received.out().lines()).containsExactly(
                "topic=orders.created id=o-1 type=com.example.order.created attempt=1 data={\"orderId\":\"o-1\"}");
    }

    @Test
    void subscribeFailsWhenFewerThanCountArriveInTime() {
        Cli.Result result = Cli.run("subscribe", "--topic", "quiet", "--count", "2", "--timeout", "200ms");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEmpty();
        assertThat(result.err().lines()).containsExactly("omnibus: received 0 of 2 events within 0.2s");
    }

    @Test
    void subscribeWithoutCountEndsQuietlyAtTheTimeout() {
        Cli.Result result = Cli.run("subscribe", "--topic", "quiet", "--timeout", "100ms");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).isEmpty();
    }
}
