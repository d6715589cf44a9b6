package dev.omnibus.cli;

import dev.omnibus.Extensions;
import dev.omnibus.Omnibus;
import dev.omnibus.Publisher;
import dev.omnibus.StartPosition;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code omnibus bridge} between two memory brokers, in-process: stop conditions, counters, bad input. */
class BridgeCommandTest {
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String from = "mem://from-" + run;
    private final String to = "mem://to-" + run;
    private Omnibus source;
    private Omnibus destination;

    @BeforeEach
    void openBrokers() {
        // a named memory broker lives while a connection to it is open: these outlive the command's own
        source = Omnibus.connect(from);
        destination = Omnibus.connect(to);
    }

    @AfterEach
    void closeBrokers() {
        source.close();
        destination.close();
    }

    private void publish(int n) {
        Publisher p = source.publisher();
        for (int i = 0; i < n; i++) {
            p.publish("orders", CloudEventBuilder.v1().withId("o-" + i).withSource(URI.create("/test"))
                    .withType("order").withExtension(Extensions.PARTITION_KEY, "k" + i % 3).build())
                    .toCompletableFuture().join();
        }
    }

    @Test
    void stopsAfterCountAndPrintsTheCountersAsJson() {
        publish(20);
        List<CloudEvent> copied = new CopyOnWriteArrayList<>();
        Subscription check = destination.subscriber().subscribe(SubscribeOptions.topic("copy.orders")
                .startAt(StartPosition.earliest()), d -> copied.add(d.event()));

        Cli.Result r = Cli.run("bridge", "--from", from, "--to", to, "--topic", "orders", "--group", "g",
                "--to-topic", "copy.{topic}", "--start", "earliest", "--count", "20", "--timeout", "10s", "--json");

        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out().strip()).matches("\\{\"consumed\":20,\"published\":20,\"duplicates\":0,\"failed\":0,"
                + "\"inFlight\":0,\"elapsedMillis\":\\d+}");
        await().atMost(Duration.ofSeconds(5)).until(() -> copied.size() == 20);
        assertThat(copied).extracting(CloudEvent::getId).doesNotHaveDuplicates();
        check.close();
    }

    @Test
    void aRestartedBridgeOfTheSameGroupResumesAndTheTextOutputNamesTheRoute() {
        publish(5);
        Cli.Result first = Cli.run("bridge", "--from", from, "--to", to, "--topic", "orders", "--group", "g",
                "--start", "earliest", "--count", "5", "--timeout", "10s");
        publish(10);
        Cli.Result second = Cli.run("bridge", "--from", from, "--to", to, "--topic", "orders", "--group", "g",
                "--count", "10", "--timeout", "10s");

        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out().lines().toList()).hasSize(2);
        assertThat(first.out().lines().findFirst()).hasValue(
                "bridging " + from + " topic orders group g -> " + to + " topic {topic}");
        assertThat(second.out()).as(second.err()).as("the group resumed after the first 5")
                .contains("consumed=10 published=10 duplicates=0 failed=0 in-flight=0");
    }

    @Test
    void fewerThanCountByTheTimeoutFails() {
        publish(3);
        Cli.Result r = Cli.run("bridge", "--from", from, "--to", to, "--topic", "orders", "--start", "earliest",
                "--count", "5", "--timeout", "1s");

        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).contains("published=3");
        assertThat(r.err()).contains("published 3 of 5 events within 1s");
    }

    @Test
    void badInputIsRefusedWithoutPrintingASecret() {
        Cli.Result loop = Cli.run("bridge", "--from", from, "--to", from, "--topic", "orders");
        Cli.Result secret = Cli.run("bridge", "--from", from, "--to", "mem://x?password=hunter2&nonsense=1",
                "--topic", "orders");
        Cli.Result placeholder = Cli.run("bridge", "--from", from, "--to", to, "--topic", "orders",
                "--to-topic", "x.{group}");

        assertThat(loop.exitCode()).isEqualTo(2);
        assertThat(loop.err()).contains("back where it came from");
        assertThat(secret.exitCode()).isEqualTo(2);
        assertThat(secret.err() + secret.out()).doesNotContain("hunter2");
        assertThat(placeholder.exitCode()).isEqualTo(2);
        assertThat(placeholder.err()).contains("{group}").contains("{topic}");
    }
}
