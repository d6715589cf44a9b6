package dev.omnibus.cli;

import dev.omnibus.redis.RedisHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The commands against a real {@code redis-server} (one per class, started by {@link RedisHarness}). */
class RedisBenchAndShellIT {
    private static final String PASSWORD = "Hunter2-not-printed";

    private static final RedisHarness REDIS = new RedisHarness();

    @BeforeAll
    static void startRedis() throws Exception {
        REDIS.start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        REDIS.stop();
    }

    @Test
    void benchMeasuresEveryEventItPublished() {
        Cli.Result result = Cli.run("bench", "--url", REDIS.url(), "--size", "100", "--duration", "1s",
                "--warmup", "300ms", "--rate", "500", "--json");

        // latency events due at 0, 2, ... 998 ms
        BenchJson.assertComplete(result, "redis", 500);
    }

    @Test
    void tckRunsItsRulesAgainstAServerItDidNotStart(@TempDir Path dir) {
        Cli.Result result = Cli.run("tck", "--url", REDIS.url(), "--rules", "R01,R06,R07,R17", "--report",
                dir.toString());

        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        List<String> progress = result.out().lines().filter(l -> l.matches("R\\d\\d .*")).toList();
        assertThat(progress).as(result.out()).hasSize(4);
        assertThat(progress).filteredOn(l -> l.matches("R(01|06|07) PASSED  .*")).hasSize(3);
        assertThat(progress).contains("R17 SKIPPED broker restart mid-stream: redis: the kit did not start this "
                + "broker, so it cannot restart it (kill -9) or cut its connections");
        assertThat(dir.resolve("report-partial.json")).exists();
    }

    @Test
    void publishAndSubscribeJsonAgainstRedis() {
        Cli.Result published = Cli.run("publish", "--url", REDIS.url(), "--topic", "cli.json", "--id", "r",
                "--count", "2", "--data", "hi", "--json");
        Cli.Result received = Cli.run("subscribe", "--url", REDIS.url(), "--topic", "cli.json", "--group", "g",
                "--from", "earliest", "--count", "2", "--timeout", "20s", "--json");

        assertThat(published.exitCode()).as(published.err()).isZero();
        assertThat(published.out().lines()).hasSize(2).allSatisfy(line -> assertThat(JsonText.object(line))
                .containsEntry("topic", "cli.json").containsEntry("duplicate", false).containsKey("position"));
        assertThat(received.exitCode()).as(received.err()).isZero();
        assertThat(received.out().lines().map(JsonText::object).map(m -> (Map<?, ?>) m.get("event"))
                .map(e -> e.get("id") + "=" + e.get("data"))).containsExactly("r-1=hi", "r-2=hi");
    }

    @Test
    void thePasswordOfAUrlFileIsNeverPrintedEvenWithVerboseOnAFailure(@TempDir Path dir) throws IOException {
        // the server wants another password for the while: AUTH fails, the client's error and stack trace are printed
        Path file = Files.writeString(dir.resolve("url"), REDIS.url().replace("redis://", "redis://:" + PASSWORD
                + "@") + "\n");
        redis(List.of("CONFIG", "SET", "requirepass", "the-right-one"));
        Cli.Result result;
        try {
            result = Cli.run("publish", "--url-file", file.toString(), "--topic", "t", "--verbose");
        } finally {
            redis(List.of("AUTH", "the-right-one"), List.of("CONFIG", "SET", "requirepass", ""));
        }

        assertThat(result.exitCode()).as(result.err()).isEqualTo(1);
        assertThat(result.err()).startsWith("omnibus: ").contains("WRONGPASS").contains("\tat ")
                .doesNotContain(PASSWORD);
        assertThat(result.out()).isEmpty();
    }

    /** Sends {@code commands} on one new connection, one at a time, each expecting {@code +OK}. */
    @SafeVarargs
    private static void redis(List<String>... commands) throws IOException {
        try (Socket socket = new Socket(REDIS.brokerAddress().getAddress(), REDIS.brokerAddress().getPort())) {
            BufferedReader replies = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            for (List<String> command : commands) {
                StringBuilder resp = new StringBuilder("*" + command.size() + "\r\n");
                for (String part : command) {
                    resp.append('$').append(part.getBytes(StandardCharsets.UTF_8).length).append("\r\n")
                            .append(part).append("\r\n");
                }
                socket.getOutputStream().write(resp.toString().getBytes(StandardCharsets.UTF_8));
                assertThat(replies.readLine()).as(String.join(" ", command)).isEqualTo("+OK");
            }
        }
    }
}
