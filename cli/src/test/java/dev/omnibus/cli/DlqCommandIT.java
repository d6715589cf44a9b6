package dev.omnibus.cli;

import dev.omnibus.Omnibus;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.redis.RedisHarness;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code omnibus dlq} on a Redis started by its harness: dead letters listed, shown, and replayed once. */
class DlqCommandIT {
    private static final RedisHarness redis = new RedisHarness();

    @BeforeAll
    static void startRedis() throws Exception {
        redis.start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.stop();
    }

    @Test
    void deadLettersAreListedShownAndReplayedToTheirTopicOnce() {
        String url = redis.url();
        try (Omnibus bus = Omnibus.connect(url)) {
            DeadLetters.make(bus, "payments", 3);

            Cli.Result list = Cli.run("dlq", "list", "--url", url, "--topic", "payments.dlq", "--idle", "1s");
            Cli.Result show = Cli.run("dlq", "show", "--url", url, "--topic", "payments.dlq", "--id", "e-1",
                    "--idle", "1s");
            List<CloudEvent> back = new CopyOnWriteArrayList<>();
            Subscription billing = bus.subscriber().subscribe(SubscribeOptions.topic("payments").group("billing"),
                    d -> back.add(d.event()));
            Cli.Result replay = Cli.run("dlq", "replay", "--url", url, "--topic", "payments.dlq", "--idle", "1s");
            Cli.Result again = Cli.run("dlq", "replay", "--url", url, "--topic", "payments.dlq", "--idle", "1s");

            assertThat(list.exitCode()).as(list.err()).isZero();
            assertThat(list.out().lines().toList()).hasSize(4).last().isEqualTo("3 dead letters on payments.dlq");
            assertThat(list.out()).containsPattern("id=e-1 topic=payments type=order attempts=2 position=\\d+-\\d+ "
                    + "reason=handler threw java.lang.IllegalStateException: bad order e-1 \\(invalid\\)\n");
            assertThat(show.exitCode()).as(show.err()).isZero();
            assertThat(show.out()).contains("id: e-1\n", "extension deadlettertopic: payments\n",
                    "data: {\"note\":\"red\\u001b[31m\"}\n");
            assertThat(replay.exitCode()).as(replay.err()).isZero();
            assertThat(replay.out()).containsPattern("replayed id=e-0 from=\\d+-\\d+ to=payments position=\\d+-\\d+\n")
                    .contains("replayed=3 skipped=0 not-replayed=0");
            assertThat(again.out()).as("the first replay acked what it replayed")
                    .contains("replayed=0 skipped=0 not-replayed=0");
            await().atMost(Duration.ofSeconds(10)).until(() -> back.size() == 3);
            assertThat(back).extracting(CloudEvent::getId).containsExactlyInAnyOrder("e-0", "e-1", "e-2");
            billing.close();
        }
    }
}
