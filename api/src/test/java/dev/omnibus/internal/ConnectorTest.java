package dev.omnibus.internal;

import dev.omnibus.Config;
import dev.omnibus.ConfigException;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.ReconnectPolicy;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

class ConnectorTest {
    private static Config.Builder url(String url) {
        return Config.builder().url(url).useEnvironment(false);
    }

    @Test
    void malformedUrlIsRefusedWithTheExpectedShape() {
        assertThatThrownBy(() -> Connector.resolve(url("localhost:4222").build()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("malformed URL 'localhost:4222'")
                .hasMessageContaining("<scheme>://");
    }

    @Test
    void missingUrlNamesTheEnvironmentVariable() {
        assertThatThrownBy(() -> Connector.resolve(Config.builder().environment(Map.of()).build()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("OMNIBUS_URL");
    }

    @Test
    void unknownSchemeListsTheInstalledBackends() {
        assertThatThrownBy(() -> Connector.resolve(url("kafak://localhost:9092").build()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown scheme 'kafak'")
                .hasMessageContaining("installed backends: cfgtest");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        ConfigException e = (ConfigException) catchThrowable(() -> Connector.resolve(
                url("cfgtest://h?batch.size=0&colour=blue").property("publish.timeout", "later")
                        .property("shape", "round").build()));
        assertThat(e.problems()).hasSize(4);
        assertThat(e.getMessage())
                .contains("unknown option 'colour' in the URL query")
                .contains("unknown option 'shape' in the properties")
                .contains("valid options for cfgtest: batch.size, instrumentation, password, publish.timeout, reconnect.initial")
                .contains("option 'batch.size' has invalid value '0': expected an integer from 1 to 1000")
                .contains("option 'publish.timeout' has invalid value 'later'");
    }

    @Test
    void propertiesOverrideTheQueryWhichOverridesTheEnvironment() {
        Map<String, String> env = Map.of("OMNIBUS_BATCH_SIZE", "7", "OMNIBUS_PUBLISH_TIMEOUT", "3s",
                "OMNIBUS_RECONNECT_MAX", "2s");
        ResolvedConfig c = Connector.resolve(Config.builder().url("cfgtest://h?batch.size=8&reconnect.max=5s")
                .property("batch.size", "9").environment(env).build());
        assertThat(c.get(ConfigOnlyProvider.BATCH)).isEqualTo(9);
        assertThat(c.get(ReconnectPolicy.MAX)).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.get(CommonOptions.PUBLISH_TIMEOUT)).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.get(ReconnectPolicy.INITIAL)).isEqualTo(ReconnectPolicy.DEFAULT_INITIAL);
    }

    @Test
    void theUrlCanComeFromTheEnvironment() {
        ResolvedConfig c = Connector.resolve(Config.builder()
                .environment(Map.of("OMNIBUS_URL", "cfgtest://envhost?batch.size=3")).build());
        assertThat(c.get(ConfigOnlyProvider.BATCH)).isEqualTo(3);
        assertThat(c.address).isEqualTo("envhost");
    }

    @Test
    void badEnvironmentValuesNameTheirVariable() {
        assertThatThrownBy(() -> Connector.resolve(Config.builder().url("cfgtest://h")
                .environment(Map.of("OMNIBUS_RECONNECT_JITTER", "2")).build()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("reconnect.jitter").hasMessageContaining("OMNIBUS_RECONNECT_JITTER");
    }

    @Test
    void queryParametersMustBeWellFormed() {
        assertThatThrownBy(() -> Connector.resolve(url("cfgtest://h?batch.size=1&batch.size=2&password").build()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'batch.size' is given twice")
                .hasMessageContaining("'password' has no value");
    }

    @Test
    void secretsNeverAppearInErrorsOrToString() {
        String url = "cfgtest://alice:hunter2@h?password=s3cr3t&batch.size=x&token=abc";
        Config config = url(url).property("password", "pw-in-props").build();
        assertThat(config.toString()).doesNotContain("hunter2", "s3cr3t", "pw-in-props", "abc")
                .contains("alice:****@h");
        assertThatThrownBy(() -> Connector.resolve(config))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2", "s3cr3t", "pw-in-props", "abc"));
        assertThatThrownBy(() -> Omnibus.connect(url("cfgtest://bob:pa55@h?password=zz").build()))
                .isInstanceOf(OmnibusException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("pa55", "=zz"));
    }
}
