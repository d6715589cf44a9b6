package dev.omnibus.cli;

import dev.omnibus.Extensions;
import dev.omnibus.Omnibus;
import dev.omnibus.Publisher;
import dev.omnibus.StartPosition;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.kafka.KafkaHarness;
import dev.omnibus.nats.NatsHarness;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code omnibus bridge} from Kafka to JetStream, both started by their harnesses, run as its own process as an
 * operator runs it: the destination is killed with SIGKILL mid-way and started again, and every event still arrives,
 * once (JetStream drops the bridge's re-publishes by {@code Nats-Msg-Id}), each key in order; SIGTERM drains the
 * bridge and it prints its counters.
 */
class BridgeCommandIT {
    private static final int EVENTS = 400;
    private static final String TOPIC = "orders.created";
    private static final KafkaHarness kafka = new KafkaHarness();
    private static final NatsHarness nats = new NatsHarness("jetstream", "publish.timeout=3s");

    @BeforeAll
    static void startBrokers() throws Exception {
        CompletableFuture<Void> natsUp = CompletableFuture.runAsync(() -> {
            try {
                nats.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        kafka.start();
        natsUp.join();
    }

    @AfterAll
    static void stopBrokers() throws Exception {
        try {
            kafka.stop();
        } finally {
            nats.stop();
        }
    }

    private static void publish(Publisher p, int from, int to) {
        List<CompletableFuture<?>> sent = new ArrayList<>();
        for (int i = from; i < to; i++) {
            sent.add(p.publish(TOPIC, CloudEventBuilder.v1().withId("o-" + i).withSource(URI.create("/shop"))
                    .withType("order").withExtension(Extensions.PARTITION_KEY, "customer-" + i % 7)
                    .withExtension("tenant", "acme")
                    .withData("application/json", ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)).build())
                    .toCompletableFuture());
        }
        sent.forEach(CompletableFuture::join);
    }

    @Test
    void everyEventArrivesOnceAndInKeyOrderThoughTheDestinationIsKilledMidway(@TempDir Path dir) throws Exception {
        List<CloudEvent> arrived = new CopyOnWriteArrayList<>();
        try (Omnibus source = Omnibus.connect(kafka.url()); Omnibus destination = Omnibus.connect(nats.url())) {
            Publisher p = source.publisher();
            publish(p, 0, EVENTS / 2);
            Process bridge = new ProcessBuilder(java(), "-cp", System.getProperty("java.class.path"),
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", Main.class.getName(), "bridge",
                    "--from", kafka.url(), "--to", nats.url(), "--topic", TOPIC, "--group", "to-nats",
                    "--start", "earliest", "--json")
                    .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile()).start();
            try {
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> stored() >= EVENTS / 8);
                long storedAtKill = stored();
                nats.killBroker();
                System.out.println("stored when the destination was killed: " + storedAtKill + " of " + EVENTS);
                publish(p, EVENTS / 2, EVENTS);
                nats.startBroker();
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> stored() >= EVENTS);
            } finally {
                bridge.destroy();
                assertThat(bridge.waitFor(40, TimeUnit.SECONDS)).as("the bridge drains and exits on SIGTERM").isTrue();
            }
            String out = Files.readString(dir.resolve("out"));
            String err = Files.readString(dir.resolve("err"));
            System.out.println("bridge counters: " + out.strip());
            assertThat(bridge.exitValue()).as(err).isEqualTo(128 + 15);
            assertThat(out).as(err).containsPattern("\\{\"consumed\":\\d+,\"published\":\\d+,\"duplicates\":\\d+,"
                    + "\"failed\":\\d+,\"inFlight\":0,\"elapsedMillis\":\\d+}");
            long published = Long.parseLong(out.replaceAll("(?s).*\"published\":(\\d+).*", "$1"));
            assertThat(published).as("every event confirmed at least once: " + out).isGreaterThanOrEqualTo(EVENTS);
            assertThat(stored()).as("JetStream dropped the re-publishes by Nats-Msg-Id: each event stored once")
                    .isEqualTo(EVENTS);

            Subscription check = destination.subscriber().subscribe(SubscribeOptions.topic(TOPIC)
                    .startAt(StartPosition.earliest()), d -> arrived.add(d.event()));
            await().atMost(Duration.ofSeconds(20)).until(() -> arrived.size() >= EVENTS);
            check.close();
        }
        assertThat(distinctIds(arrived)).as("every event arrived").hasSize(EVENTS);
        Map<Object, List<Integer>> perKey = arrived.stream().collect(Collectors.groupingBy(
                e -> e.getExtension(Extensions.PARTITION_KEY),
                Collectors.mapping(e -> Integer.parseInt(e.getId().substring(2)), Collectors.toList())));
        assertThat(perKey).hasSize(7);
        perKey.forEach((key, order) -> assertThat(order).as("order of " + key).isSorted());
        CloudEvent sample = arrived.get(0);
        assertThat(sample.getExtension("tenant")).isEqualTo("acme");
        assertThat(sample.getType()).isEqualTo("order");
        assertThat(sample.getSource()).isEqualTo(URI.create("/shop"));
    }

    /** Messages in the stream the destination created for {@link #TOPIC} (stream {@code orders}). */
    private static long stored() throws Exception {
        return nats.rawConnection().jetStreamManagement().getStreamInfo("orders").getStreamState().getMsgCount();
    }

    @Test
    void dlqOnCoreNatsSaysItKeepsNothing() {
        Cli.Result r = Cli.run("dlq", "list", "--url", nats.url().replace("jetstream://", "nats://")
                .replace("?publish.timeout=3s", ""), "--topic", "orders.dlq");

        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("nats keeps no events (it is at most once");
    }

    private static Set<String> distinctIds(List<CloudEvent> events) {
        Set<String> ids = ConcurrentHashMap.newKeySet();
        events.forEach(e -> ids.add(e.getId()));
        return ids;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
