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
                .contains("cfgtest://****@h");
        assertThatThrownBy(() -> Connector.resolve(config))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2", "s3cr3t", "pw-in-props", "abc"));
        assertThatThrownBy(() -> Omnibus.connect(url("cfgtest://bob:pa55@h?password=zz").build()))
                .isInstanceOf(OmnibusException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("pa55", "=zz"));
    }

    @Test
    void passwordsWithReservedCharactersParseRawAndNeverShow() {
        // the userinfo ends at the last '@': '/', '?', '#', ':' and '@' may be raw in a password
        String password = "p/a?s#s@w:o%rd+";
        ResolvedConfig c = Connector.resolve(url("cfgtest://alice:" + password + "@h1:1,h2:2?batch.size=4").build());
        assertThat(c.address).isEqualTo("alice:" + password + "@h1:1,h2:2");
        assertThat(c.get(ConfigOnlyProvider.BATCH)).isEqualTo(4);
        assertThat(c.redactedUrl).isEqualTo("cfgtest://****@h1:1,h2:2?batch.size=4").doesNotContain("rd+");
        Throwable bad = catchThrowable(() -> Connector.resolve(url("cfgtest://alice:" + password
                + "@h?batch.size=zero").build()));
        assertThat(bad).isInstanceOf(ConfigException.class);
        assertThat(bad.getMessage()).doesNotContain("p/a", "w:o", "rd+").contains("batch.size");
    }

    @Test
    void passThroughOptionsReachTheBackendWithoutTheirPrefix() {
        ResolvedConfig c = Connector.resolve(url("cfgtest://h?client.rack=r1&client.linger.ms=5")
                .property("client.linger.ms", "7")
                .environment(Map.of("OMNIBUS_CLIENT_SASL_JAAS_CONFIG", "secret-jaas", "OMNIBUS_CLIENT_RACK", "env"))
                .build());
        assertThat(c.passThrough).containsExactly(Map.entry("linger.ms", "7"), Map.entry("rack", "r1"),
                Map.entry("sasl.jaas.config", "secret-jaas"));
        assertThat(c.toString()).doesNotContain("secret-jaas");
    }

    @Test
    void passThroughNamesMustBeClientPropertyNames() {
        assertThatThrownBy(() -> Connector.resolve(url("cfgtest://h").property("client.", "x")
                .property("client.Bad Name", "y").build()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("option 'client.' (from the properties) does not name a client property")
                .hasMessageContaining("'client.Bad Name'");
        assertThatThrownBy(() -> Connector.resolve(url("cfgtest://h?other.x=1").build()))
                .hasMessageContaining("unknown option 'other.x'")
                .hasMessageContaining("client.<client property> passed to the client as it is");
    }

    @Test
    void aClientExceptionQuotingTheSecretsIsScrubbedWhenConnectFails() {
        Throwable e = catchThrowable(() -> Omnibus.connect(url("cfgtest://alice:pa/ss?#w0rd@h?batch.size=999")
                .property("client.sasl.jaas.config", "jaas-s3cret").property("client.rack", "r1").build()));
        assertThat(e).isInstanceOf(OmnibusException.class);
        assertThat(e.getMessage()).contains("client could not reach ****@h").contains("r1")
                .doesNotContain("pa/ss", "w0rd", "jaas-s3cret");
    }
}
