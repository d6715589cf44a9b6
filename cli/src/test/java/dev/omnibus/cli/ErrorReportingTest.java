package dev.omnibus.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorReportingTest {
    static Stream<Arguments> badInput() {
        return Stream.of(
                Arguments.of(new String[] {"publish", "--url", "foo://x", "--topic", "t"},
                        "unknown scheme 'foo' in URL 'foo://x'; installed backends: amqp, amqps, gcppubsub, jetstream, "
                                + "kafka, mem, nats, redis, rediss"),
                Arguments.of(new String[] {"publish", "--topic", "t", "--bogus"}, "Unknown option: '--bogus'"),
                Arguments.of(new String[] {"subscribe", "--topic", "t", "-o", "nosuch=1"},
                        "unknown option 'nosuch' in the properties"),
                Arguments.of(new String[] {"publish", "--topic", "not a topic"}, "topic 'not a topic'"),
                Arguments.of(new String[] {"publish", "--topic", "t", "--count", "0"},
                        "--count must be at least 1, was 0"),
                Arguments.of(new String[] {"publish", "--topic", "t", "--data-file", "no/such/file"},
                        "cannot read --data-file 'no/such/file' (NoSuchFileException)"),
                Arguments.of(new String[] {"subscribe", "--topic", "t", "--timeout", "soon"},
                        "'soon' is not a duration"),
                Arguments.of(new String[] {"publish"}, "Missing required option: '--topic=TOPIC'"),
                Arguments.of(new String[] {}, "Missing required subcommand"));
    }

    @ParameterizedTest
    @MethodSource
    void badInput(String[] args, String message) {
        Cli.Result result = Cli.run(args);

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("omnibus: ").contains(message).doesNotContain("\tat ");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void verbosePrintsTheStackTrace() {
        Cli.Result result = Cli.run("publish", "--url", "foo://x", "--topic", "t", "--verbose");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("unknown scheme 'foo'").contains("\tat dev.omnibus.");
    }

    @Test
    void omnibusUrlFromTheEnvironmentIsUsedUnlessUrlIsGiven() {
        Map<String, String> env = Map.of("OMNIBUS_URL", "bar://env");

        Cli.Result fromEnvironment = Cli.run(env, "publish", "--topic", "t");
        Cli.Result overridden = Cli.run(env, "publish", "--topic", "t", "--url", "mem://", "--id", "e-1");

        assertThat(fromEnvironment.exitCode()).isEqualTo(2);
        assertThat(fromEnvironment.err()).contains("unknown scheme 'bar'");
        assertThat(overridden.exitCode()).as(overridden.err()).isZero();
        assertThat(overridden.out()).startsWith("published id=e-1 topic=t ");
    }
}
