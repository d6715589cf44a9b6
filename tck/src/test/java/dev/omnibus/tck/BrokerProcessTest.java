package dev.omnibus.tck;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link BrokerProcess} with {@link TinyBroker} as the broker, a child JVM. */
class BrokerProcessTest {
    private static final List<String> SMALL_JVM = List.of("-Xmx32m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    private static final BrokerProcess.Probe GREETS = BrokerProcess.Probe.logShows("tiny broker listening")
            .and(BrokerProcess.Probe.replies("", "HELLO"));

    private BrokerProcess broker;

    @AfterEach
    void stopBroker() throws Exception {
        if (broker != null) {
            broker.stop();
        }
    }

    private static BrokerProcess.Builder tiny(String mode) {
        return BrokerProcess.builder("tiny broker")
                .command(p -> BrokerProcess.javaMain(SMALL_JVM, TinyBroker.class.getName(), String.valueOf(p.port()),
                        mode))
                .probe("greets with HELLO", GREETS)
                .startupTimeout(Duration.ofSeconds(60));
    }

    @Test
    void startsKillsNineAndRestartsOnTheSamePortAndDirThenStopDeletesTheDir() throws Exception {
        broker = tiny("serve").start();
        int port = broker.port();
        Path dir = broker.dir();
        assertThat(broker.isAlive()).isTrue();
        assertThat(broker.toString()).isEqualTo("tiny broker on 127.0.0.1:" + port);
        assertThat(broker.log()).isEqualTo(dir.resolve("tiny-broker.log"));
        assertThat(dir.getFileName().toString()).startsWith("omnibus-tiny-broker-");
        assertThat(Files.readAllLines(dir.resolve("starts"))).hasSize(1);

        broker.kill();
        assertThat(broker.isAlive()).isFalse();
        assertThatThrownBy(() -> BrokerProcess.Probe.listens().ready(broker)).isInstanceOf(ConnectException.class);
        assertThat(dir.resolve("graceful")).as("kill -9 runs no shutdown hook").doesNotExist();
        assertThat(broker.logSinceStart()).contains("tiny broker listening on " + port);

        broker.restart();
        assertThat(broker.isAlive()).isTrue();
        assertThat(broker.port()).isEqualTo(port);
        assertThat(broker.dir()).isEqualTo(dir);
        assertThat(BrokerProcess.Probe.replies("", "HELLO").ready(broker)).isTrue();
        assertThat(Files.readAllLines(dir.resolve("starts"))).as("the same dir across the restart").hasSize(2);
        assertThat(broker.logSinceStart()).as("only what the second start logged").contains("tiny broker listening")
                .doesNotContain("[BrokerProcess] start");
        assertThat(Files.readString(broker.log())).contains("[BrokerProcess] start 1", "[BrokerProcess] start 2");

        broker.kill();
        broker.start();
        assertThat(broker.isAlive()).isTrue();
        assertThatThrownBy(broker::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tiny broker is running");

        broker.stop();
        assertThat(broker.isAlive()).isFalse();
        assertThat(dir).doesNotExist();
        broker.stop();
        assertThatThrownBy(broker::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("was stopped");
    }

    @Test
    void aProbeThatTimesOutNamesTheCommandAndShowsItsLastErrorAndTheLogTailAndTheChildIsKilled() throws Exception {
        broker = tiny("mute").probe("greets with HELLO", b -> {
            throw new IOException("no HELLO from " + b);
        }).startupTimeout(Duration.ofSeconds(2)).build();
        assertThatThrownBy(broker::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tiny broker on 127.0.0.1:" + broker.port() + " was not ready within 2 s")
                .hasMessageContaining("(greets with HELLO)")
                .hasMessageContaining("the probe's last error: java.io.IOException: no HELLO from tiny broker on")
                .hasMessageContaining("command: " + String.join(" ", broker.command()))
                .hasMessageContaining(TinyBroker.class.getName())
                .hasMessageContaining("log (" + broker.log() + "), last lines:\n[BrokerProcess] start 1 at ");
        assertThat(broker.isAlive()).isFalse();
        assertThat(broker.log()).as("kept for a look until stop").exists();
    }

    @Test
    void theBuildersStartDeletesTheDirOfABrokerThatFailed() throws Exception {
        BrokerProcess.Builder builder = tiny("mute").startupTimeout(Duration.ofMillis(1500));
        Set<Path> before = tempDirs();
        assertThatThrownBy(builder::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("was not ready within 1500 ms");
        assertThat(tempDirs()).isSubsetOf(before);
    }

    @Test
    void aChildThatExitsIsReportedWithItsExitCodeAndLog() throws Exception {
        broker = tiny("fail").build();
        assertThatThrownBy(broker::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tiny broker exited with code 3 before it was ready (greets with HELLO)")
                .hasMessageContaining("command: ")
                .hasMessageContaining("bad config");
    }

    @Test
    void aMissingBinaryIsNamedWithTheInstallHint() throws Exception {
        broker = BrokerProcess.builder("nowhere-server")
                .command(p -> List.of("omnibus-no-such-binary", "--port", String.valueOf(p.port())))
                .probe("listens", BrokerProcess.Probe.listens()).installHint("apt-get install -y nowhere-server")
                .build();
        assertThatThrownBy(broker::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot run nowhere-server")
                .hasMessageContaining("omnibus-no-such-binary")
                .hasMessageContaining("is it installed? apt-get install -y nowhere-server");
    }

    @Test
    void severalPortsAreDistinctAndAFailedStepShowsItsLog() throws Exception {
        broker = tiny("serve").ports(3).build();
        assertThat(Set.of(broker.port(0), broker.port(1), broker.port(2))).hasSize(3);
        assertThat(broker.port()).isEqualTo(broker.port(0));
        assertThatThrownBy(() -> broker.port(3)).isInstanceOf(IndexOutOfBoundsException.class);
        List<String> failing = BrokerProcess.javaMain(SMALL_JVM, TinyBroker.class.getName(), "0", "fail");
        assertThatThrownBy(() -> broker.run("format", failing, Duration.ofSeconds(60)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("format for tiny broker failed with exit code 3")
                .hasMessageContaining("command: " + String.join(" ", failing))
                .hasMessageContaining("bad config");
        assertThat(broker.dir().resolve("format.log")).exists();
        assertThat(broker.isAlive()).isFalse();
    }

    private static Set<Path> tempDirs() throws Exception {
        try (var dirs = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return dirs.filter(d -> d.getFileName().toString().startsWith("omnibus-tiny-broker-"))
                    .collect(Collectors.toSet());
        }
    }
}
