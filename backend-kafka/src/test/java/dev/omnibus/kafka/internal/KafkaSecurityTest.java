package dev.omnibus.kafka.internal;

import dev.omnibus.ConfigException;
import dev.omnibus.ConfigOption;
import dev.omnibus.ConnectionState;
import dev.omnibus.ReconnectPolicy;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BrokerAddress;
import dev.omnibus.tck.TestPki;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.security.JaasContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.security.auth.login.AppConfigurationEntry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How the URL, the security options and {@code kafka.*} pass-through become Kafka client settings; no broker. */
class KafkaSecurityTest {
    private static final Map<String, String> NONE = Map.of();

    @Test
    void noCredentialsAndNoTlsIsPlaintext() {
        Map<String, Object> s = resolve("127.0.0.1:9092", NONE, NONE).settings(ProducerConfig.configNames());
        assertThat(s).containsEntry("security.protocol", "PLAINTEXT").doesNotContainKeys("sasl.jaas.config",
                "ssl.endpoint.identification.algorithm");
    }

    @Test
    void credentialsWithoutAProtocolMeanSaslSslWithHostNameVerification() {
        Map<String, Object> s = resolve("alice:secret@127.0.0.1:9092", NONE, NONE)
                .settings(ProducerConfig.configNames());
        assertThat(s).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "PLAIN")
                .containsEntry("ssl.endpoint.identification.algorithm", "https");
        assertThat(s.get("sasl.jaas.config")).isInstanceOf(Password.class);
        assertThat(String.valueOf(s.get("sasl.jaas.config"))).doesNotContain("secret");
    }

    @Test
    void saslPlaintextOnlyWhenAskedFor() {
        Map<String, Object> s = resolve("alice:secret@h", Map.of("security.protocol", "sasl_plaintext"), NONE)
                .settings(ProducerConfig.configNames());
        assertThat(s).containsEntry("security.protocol", "SASL_PLAINTEXT")
                .doesNotContainKey("ssl.endpoint.identification.algorithm");
    }

    @Test
    void aPasswordWithQuotesAndBackslashesIsOneJaasValue() {
        String password = "p\"a\\ss\";x=\"y";
        Password jaas = KafkaSecurity.jaasConfig("SCRAM-SHA-512", "al\"ice", password);
        AppConfigurationEntry entry = JaasContext.loadClientContext(Map.of("sasl.jaas.config", jaas))
                .configurationEntries().get(0);
        assertThat(entry.getLoginModuleName()).isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule");
        assertThat(Map.copyOf(entry.getOptions())).isEqualTo(Map.of("username", "al\"ice", "password", password));
    }

    @Test
    void reservedCharactersInTheUserinfoReachTheJaasConfigRaw() {
        String password = "pa/ss?w@rd%+:x";
        Map<String, Object> s = resolve("alice:" + password + "@127.0.0.1:9092",
                Map.of("sasl.mechanism", "scram-sha-256"), NONE).settings(ProducerConfig.configNames());
        AppConfigurationEntry entry = JaasContext.loadClientContext(s).configurationEntries().get(0);
        assertThat(entry.getOptions().get("password")).isEqualTo(password);
        assertThat(s).containsEntry("sasl.mechanism", "SCRAM-SHA-256");
        assertThat(BrokerAddress.parse(context("alice:" + password + "@127.0.0.1:9092", NONE, NONE), 9092)
                .hostList()).isEqualTo("127.0.0.1:9092");
    }

    @Test
    void anUnknownProtocolOrMechanismNamesWhatIsAllowed() {
        assertThatThrownBy(() -> resolve("h", Map.of("security.protocol", "TLS"), NONE))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'security.protocol' is 'TLS'")
                .hasMessageContaining("SASL_SSL");
        assertThatThrownBy(() -> resolve("alice:secret@h", Map.of("sasl.mechanism", "GSSAPI"), NONE))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("[PLAIN, SCRAM-SHA-256, SCRAM-SHA-512]").hasMessageNotContaining("secret");
    }

    @Test
    void credentialsOverANonSaslProtocolAreRefused() {
        assertThatThrownBy(() -> resolve("alice:secret@h", Map.of("security.protocol", "SSL"), NONE))
                .isInstanceOf(ConfigException.class).hasMessageContaining("use SASL_SSL")
                .hasMessageNotContaining("secret");
    }

    @Test
    void saslWithoutCredentialsIsRefused() {
        assertThatThrownBy(() -> resolve("h", Map.of("security.protocol", "SASL_SSL"), NONE))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no credentials are given")
                .hasMessageContaining("kafka.sasl.jaas.config");
    }

    @Test
    void aUserWithoutAPasswordIsRefused() {
        assertThatThrownBy(() -> resolve("alice@h", NONE, NONE)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("user:password");
    }

    @Test
    void tlsOptionsBecomeKafkasPemSettings(@TempDir Path dir) {
        TestPki pki = TestPki.create(dir);
        Map<String, String> tls = Map.of("tls.ca.file", pki.caFile().toString(), "tls.cert.file",
                pki.clientCertFile().toString(), "tls.key.file", pki.clientKeyFile().toString());
        Map<String, Object> s = resolve("127.0.0.1:9093", tls, NONE).settings(ConsumerConfig.configNames());
        assertThat(s).containsEntry("security.protocol", "SSL").containsEntry("ssl.truststore.type", "PEM")
                .containsEntry("ssl.truststore.location", pki.caFile().toString())
                .containsEntry("ssl.keystore.type", "PEM").containsEntry("ssl.endpoint.identification.algorithm",
                        "https");
        assertThat(((Password) s.get("ssl.keystore.key")).value()).contains("BEGIN PRIVATE KEY");
        assertThat(((Password) s.get("ssl.keystore.certificate.chain")).value()).contains("BEGIN CERTIFICATE");
    }

    @Test
    void tlsWithAPlaintextProtocolIsRefused() {
        assertThatThrownBy(() -> resolve("h", Map.of("tls", "true", "security.protocol", "PLAINTEXT"), NONE))
                .isInstanceOf(ConfigException.class).hasMessageContaining("use SSL or SASL_SSL");
    }

    @Test
    void passThroughGoesToTheClientsThatKnowTheProperty() {
        KafkaSecurity security = resolve("h", NONE, Map.of("compression.type", "zstd", "isolation.level",
                "read_committed", "my.plugin.setting", "x", "default.api.timeout.ms", "1000"));
        assertThat(security.settings(ProducerConfig.configNames())).containsEntry("compression.type", "zstd")
                .doesNotContainKey("isolation.level").containsEntry("my.plugin.setting", "x");
        assertThat(security.settings(ConsumerConfig.configNames()))
                .containsEntry("isolation.level", "read_committed")
                .doesNotContainKey("compression.type").containsEntry("default.api.timeout.ms", "1000");
        assertThat(security.settings(AdminClientConfig.configNames())).doesNotContainKeys("compression.type",
                "isolation.level").containsEntry("my.plugin.setting", "x")
                .containsEntry("default.api.timeout.ms", "1000");
        assertThat(security.settings(ProducerConfig.configNames())).doesNotContainKey("default.api.timeout.ms");
        assertThat(security.toString()).doesNotContain("zstd");
    }

    @Test
    void aPassThroughJaasConfigMeansSaslSslWithTheGivenMechanism() {
        KafkaSecurity security = resolve("h", Map.of("sasl.mechanism", "OAUTHBEARER"), Map.of("sasl.jaas.config",
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;"));
        assertThat(security.settings(ProducerConfig.configNames())).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "OAUTHBEARER");
    }

    @Test
    void managedPropertiesAreRefusedNamingWhatToUseInstead() {
        assertThatThrownBy(() -> resolve("h", NONE, new TreeMap<>(Map.of("enable.auto.commit", "true",
                "group.id", "g", "value.serializer", "x", "ssl.endpoint.identification.algorithm", ""))))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(4))
                .hasMessageContaining("'kafka.enable.auto.commit' sets a property Omnibus manages")
                .hasMessageContaining("SubscribeOptions.group")
                .hasMessageContaining("always verifies the server's host name");
        assertThatThrownBy(() -> resolve("h", NONE, Map.of("linger.ms", "0"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("use option 'linger'");
    }

    @Test
    void aPassThroughOfWhatAnOptionSetsIsAConflict(@TempDir Path dir) {
        TestPki pki = TestPki.create(dir);
        assertThatThrownBy(() -> resolve("alice:secret@h", NONE, Map.of("sasl.jaas.config", "x required;")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("give the credentials one way")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> resolve("h", Map.of("tls.ca.file", pki.caFile().toString()),
                Map.of("ssl.truststore.location", "/x.jks")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("conflicts with option 'tls.ca.file'");
        // without tls.ca.file, a JKS trust store may be passed through
        assertThat(resolve("h", Map.of("security.protocol", "SSL"), Map.of("ssl.truststore.location", "/x.jks",
                "ssl.truststore.password", "changeit")).settings(ProducerConfig.configNames()))
                .containsEntry("ssl.truststore.location", "/x.jks");
    }

    @Test
    void kafkaClientsConfigurationLogShowsNoSecret(@TempDir Path dir) {
        TestPki pki = TestPki.create(dir);
        String jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" "
                + "password=\"pass-through-secret\";";
        Map<String, Object> fromUrl = resolve("alice:url-secret@127.0.0.1:9092", Map.of("tls.cert.file",
                pki.clientCertFile().toString(), "tls.key.file", pki.clientKeyFile().toString()), NONE)
                .settings(AdminClientConfig.configNames());
        Map<String, Object> passedThrough = resolve("127.0.0.1:9092", NONE, Map.of("sasl.jaas.config", jaas,
                "ssl.key.password", "key-secret")).settings(AdminClientConfig.configNames());
        for (Map<String, Object> settings : List.of(fromUrl, passedThrough)) {
            Map<String, Object> withBootstrap = new HashMap<>(settings);
            withBootstrap.put("bootstrap.servers", "127.0.0.1:9092");
            // AbstractConfig.logAll prints each parsed value's toString: a Password's is [hidden]
            String logged = new AdminClientConfig(withBootstrap).values().toString();
            assertThat(logged).doesNotContain("url-secret", "pass-through-secret", "key-secret", "PRIVATE KEY")
                    .contains("[hidden]");
        }
    }

    private static KafkaSecurity resolve(String address, Map<String, String> options, Map<String, String> pass) {
        return KafkaSecurity.resolve(context(address, options, pass));
    }

    private static BackendContext context(String address, Map<String, String> options, Map<String, String> pass) {
        Map<String, String> raw = new HashMap<>(options);
        return new BackendContext() {
            @Override
            public String scheme() {
                return "kafka";
            }

            @Override
            public String address() {
                return address;
            }

            @Override
            public String redactedUrl() {
                return "kafka://(redacted)";
            }

            @Override
            public <T> T get(ConfigOption<T> option) {
                String value = raw.get(option.name());
                return value == null ? option.defaultValue() : option.parse(value);
            }

            @Override
            public Map<String, String> passThrough() {
                return new TreeMap<>(pass);
            }

            @Override
            public Duration publishTimeout() {
                return Duration.ofSeconds(30);
            }

            @Override
            public ReconnectPolicy reconnectPolicy() {
                throw new UnsupportedOperationException();
            }

            @Override
            public void connectionState(ConnectionState state, Throwable cause) {
            }

            @Override
            public ScheduledExecutorService scheduler() {
                throw new UnsupportedOperationException();
            }

            @Override
            public void receiveNow() {
            }
        };
    }
}
