package dev.omnibus.cli;

import dev.omnibus.Omnibus;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code omnibus dlq} on the memory broker, in-process: list, show, filtered and full replay. */
class DlqCommandTest {
    private final String url = "mem://dlq-" + UUID.randomUUID().toString().substring(0, 8);
    private Omnibus bus;

    @BeforeEach
    void openBroker() {
        bus = Omnibus.connect(url);
    }

    @AfterEach
    void closeBroker() {
        bus.close();
    }

    @Test
    void listShowsEachDeadLetterAndTakesNothingOff() {
        DeadLetters.make(bus, "orders", 4);

        Cli.Result first = Cli.run("dlq", "list", "--url", url, "--topic", "orders.dlq", "--idle", "500ms");
        Cli.Result again = Cli.run("dlq", "list", "--url", url, "--topic", "orders.dlq", "--idle", "500ms", "--json");

        assertThat(first.exitCode()).as(first.err()).isZero();
        // the order is the order they were dead-lettered in, which the retry backoff's jitter decides
        List<String> lines = first.out().lines().toList();
        assertThat(lines).hasSize(5).last().isEqualTo("4 dead letters on orders.dlq");
        assertThat(lines.subList(0, 4)).allMatch(line -> line.matches("id=e-(\\d) topic=orders type=order attempts=2 "
                + "position=[1-4] reason=handler threw java.lang.IllegalStateException: bad order e-\\1 "
                + "\\((timeout|invalid)\\)"), "one line per dead letter")
                .extracting(line -> line.substring(0, 6))
                .containsExactlyInAnyOrder("id=e-0", "id=e-1", "id=e-2", "id=e-3");
        assertThat(again.out().lines().toList()).as("nothing was taken off").hasSize(4)
                .allMatch(line -> line.matches("\\{\"id\":\"e-\\d\",\"topic\":\"orders\",\"type\":\"order\","
                        + "\"attempts\":\"2\",\"position\":\"[1-4]\",\"reason\":\"handler threw "
                        + "java.lang.IllegalStateException: bad order e-\\d \\((timeout|invalid)\\)\"}"), "JSON lines");
    }

    @Test
    void showPrintsOneInFullWithControlCharactersEscaped() {
        DeadLetters.make(bus, "orders", 2);

        Cli.Result shown = Cli.run("dlq", "show", "--url", url, "--topic", "orders.dlq", "--id", "e-1", "--idle",
                "500ms");
        Cli.Result missing = Cli.run("dlq", "show", "--url", url, "--topic", "orders.dlq", "--id", "e-9", "--idle",
                "500ms");

        assertThat(shown.exitCode()).as(shown.err()).isZero();
        assertThat(shown.out()).contains("id: e-1\n", "source: /shop\n", "type: order\n",
                "datacontenttype: application/json\n", "extension deadlettertopic: orders\n",
                "extension deadletterattempts: 2\n",
                "extension deadletterreason: handler threw java.lang.IllegalStateException: bad order e-1 (invalid)\n",
                "data: {\"note\":\"red\\u001b[31m\"}\n").doesNotContain("\u001b");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).contains("no dead letter with id e-9 on orders.dlq");
    }

    @Test
    void replayPutsMatchingOnesBackOnTheOriginalTopicAndAcksThemOnlyThere() {
        DeadLetters.make(bus, "orders", 4);
        List<CloudEvent> back = new CopyOnWriteArrayList<>();
        // the group resumes after the events it dead-lettered: what it gets now is what replay put back
        Subscription billing = bus.subscriber().subscribe(SubscribeOptions.topic("orders").group("billing"),
                d -> back.add(d.event()));

        Cli.Result timeouts = Cli.run("dlq", "replay", "--url", url, "--topic", "orders.dlq", "--reason",
                "\\(timeout\\)$", "--idle", "500ms");
        await().atMost(Duration.ofSeconds(5)).until(() -> back.size() == 2);
        Cli.Result rest = Cli.run("dlq", "replay", "--url", url, "--topic", "orders.dlq", "--idle", "500ms");
        Cli.Result nothingLeft = Cli.run("dlq", "replay", "--url", url, "--topic", "orders.dlq", "--idle", "500ms");

        assertThat(timeouts.exitCode()).as(timeouts.err()).isZero();
        assertThat(timeouts.out().lines().toList()).hasSize(3).last().isEqualTo("replayed=2 skipped=2 not-replayed=0");
        assertThat(timeouts.out()).containsPattern("replayed id=e-0 from=[1-4] to=orders position=[56]\n")
                .containsPattern("replayed id=e-2 from=[1-4] to=orders position=[56]\n");
        assertThat(rest.out()).as(rest.err()).contains("replayed=2 skipped=0 not-replayed=0");
        assertThat(nothingLeft.out()).contains("replayed=0 skipped=0 not-replayed=0");
        await().atMost(Duration.ofSeconds(5)).until(() -> back.size() == 4);
        assertThat(back).extracting(CloudEvent::getId).containsExactlyInAnyOrder("e-0", "e-2", "e-1", "e-3");
        assertThat(back.subList(0, 2)).extracting(CloudEvent::getId).as("the filtered replay came first")
                .containsExactlyInAnyOrder("e-0", "e-2");
        assertThat(back.get(0).getExtensionNames()).as("the dead-letter extensions are gone").isEmpty();
        assertThat(back.get(0).getType()).isEqualTo("order");
        billing.close();
    }

    @Test
    void badInputIsRefused() {
        Cli.Result regex = Cli.run("dlq", "replay", "--url", url, "--topic", "orders.dlq", "--reason", "(");
        Cli.Result bare = Cli.run("dlq");

        assertThat(regex.exitCode()).isEqualTo(2);
        assertThat(regex.err()).contains("--reason '(' is not a regular expression");
        assertThat(bare.exitCode()).isEqualTo(2);
        assertThat(bare.err()).contains("list, show or replay");
    }
}
