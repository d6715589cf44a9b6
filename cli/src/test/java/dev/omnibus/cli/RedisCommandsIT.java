package dev.omnibus.cli;

import dev.omnibus.redis.RedisHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.assertj.core.api.Assertions.assertThat;

/** The commands against a real {@code redis-server}, started once for the class by the Redis kit's own harness. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisCommandsIT {
    private final RedisHarness server = new RedisHarness();

    @BeforeAll
    void startServer() throws Exception {
        server.start();
    }

    @AfterAll
    void stopServer() throws Exception {
        server.stop();
    }

    @Test
    void subscribeInAGroupReceivesWhatPublishSent() {
        Cli.Result published = Cli.run("publish", "--url", server.url(), "--topic", "cli.orders", "--data", "hello",
                "--id", "order", "--count", "2", "--partition-key", "k1");
        Cli.Result received = Cli.run("subscribe", "--url", server.url(), "--topic", "cli.orders", "--group",
                "billing", "--from", "earliest", "--count", "2", "--timeout", "15s");

        assertThat(published.exitCode()).as(published.err()).isZero();
        assertThat(published.out().lines()).hasSize(2).allMatch(l -> l.startsWith("published id=order-"));
        assertThat(received.exitCode()).as(received.err()).isZero();
        assertThat(received.out().lines()).containsExactly(
                "topic=cli.orders id=order-1 type=dev.omnibus.cli.message attempt=1 data=hello",
                "topic=cli.orders id=order-2 type=dev.omnibus.cli.message attempt=1 data=hello");
    }
}
