package dev.omnibus.gcp.internal;

import dev.omnibus.ConfigException;
import dev.omnibus.ConfigOption;
import dev.omnibus.ConnectionState;
import dev.omnibus.ReconnectPolicy;
import dev.omnibus.gcp.PubSubBackendProvider;
import dev.omnibus.spi.BackendContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where a connection goes and what configuration it refuses, from the URL, the options and the emulator host. */
class PubSubTargetTest {
    /** The address and raw option values of a URL, parsed by the options themselves; nothing else is used. */
    private static final class Context implements BackendContext {
        final String address;
        final Map<String, String> options = new HashMap<>();

        Context(String address, String... options) {
            this.address = address;
            for (String o : options) {
                int eq = o.indexOf('=');
                this.options.put(o.substring(0, eq), o.substring(eq + 1));
            }
        }

        @Override
        public String scheme() {
            return PubSubBackendProvider.SCHEME;
        }

        @Override
        public String address() {
            return address;
        }

        @Override
        public String redactedUrl() {
            return "gcppubsub://" + (address == null ? "" : address);
        }

        @Override
        public <T> T get(ConfigOption<T> option) {
            String raw = options.get(option.name());
            return raw == null ? option.defaultValue() : option.parse(raw);
        }

        @Override
        public Duration publishTimeout() {
            throw new UnsupportedOperationException();
        }

        @Override
        public ReconnectPolicy reconnectPolicy() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void connectionState(ConnectionState state, Throwable cause) {
            throw new UnsupportedOperationException();
        }

        @Override
        public ScheduledExecutorService scheduler() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void receiveNow() {
            throw new UnsupportedOperationException();
        }
    }

    private static PubSubTarget resolve(String address, String emulatorHost, String... options) {
        return PubSubTarget.resolve(new Context(address, options), emulatorHost);
    }

    @Test
    void anAddressInTheUrlIsTheEndpointAndWinsOverTheEmulatorHost() {
        assertThat(resolve("pubsub.example.com:443", "localhost:8085", "project=my-project"))
                .isEqualTo(new PubSubTarget("my-project", "pubsub.example.com:443", false));
        assertThat(resolve("localhost:8085/", null, "project=my-project", "emulator=true"))
                .as("a trailing slash is dropped; the emulator option marks it an emulator")
                .isEqualTo(new PubSubTarget("my-project", "localhost:8085", true));
    }

    @Test
    void withoutAnAddressTheEmulatorHostIsTheEndpointAndAnEmulator() {
        assertThat(resolve(null, " localhost:8085 ", "project=my-project"))
                .isEqualTo(new PubSubTarget("my-project", "localhost:8085", true));
        assertThat(resolve("", "localhost:8085", "project=my-project"))
                .isEqualTo(new PubSubTarget("my-project", "localhost:8085", true));
    }

    @Test
    void withNeitherAnAddressNorAnEmulatorHostItIsGooglesService() {
        assertThat(resolve(null, null, "project=my-project"))
                .isEqualTo(new PubSubTarget("my-project", PubSubBackendProvider.DEFAULT_ENDPOINT, false));
        assertThat(resolve(null, "  ", "project=my-project"))
                .isEqualTo(new PubSubTarget("my-project", PubSubBackendProvider.DEFAULT_ENDPOINT, false));
    }

    @Test
    void theEmulatorHostSystemPropertyStandsForTheEnvironmentVariable() {
        String variable = PubSubBackendProvider.EMULATOR_HOST_VARIABLE;
        String before = System.getProperty(variable);
        System.setProperty(variable, "emulator.test:9999");
        try {
            assertThat(PubSubTarget.resolve(new Context(null, "project=my-project")))
                    .isEqualTo(new PubSubTarget("my-project", "emulator.test:9999", true));
        } finally {
            if (before == null) {
                System.clearProperty(variable);
            } else {
                System.setProperty(variable, before);
            }
        }
    }

    @Test
    void anAddressNamingMoreThanOneEndpointIsRefused() {
        for (String address : new String[] {"a:1,b:2", "user@host:1", "host:1/path"}) {
            assertThatThrownBy(() -> resolve(address, null, "project=my-project")).as(address)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("'gcppubsub://" + address + "' names no single endpoint")
                    .hasMessageContaining("gcppubsub://[host:port]?project=<id>");
        }
    }

    @Test
    void theProjectIsRequiredAndMustBeAProjectId() {
        assertThatThrownBy(() -> resolve("localhost:8085", null)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("option 'project' is missing");
        assertThatThrownBy(() -> resolve("localhost:8085", null, "project= ")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("option 'project' is missing");
        for (String bad : new String[] {"No_Such", "abcde", "1project", "my-project-", "a".repeat(31)}) {
            assertThatThrownBy(() -> resolve("localhost:8085", null, "project=" + bad)).as(bad)
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("'project' = '" + bad + "' is not a Google Cloud project id")
                    .hasMessageContaining("6 to 30 of a-z 0-9 -");
        }
        for (String good : new String[] {"abcdef", "my-project-42", "a".repeat(30)}) {
            assertThat(resolve("localhost:8085", null, "project=" + good).project()).isEqualTo(good);
        }
    }

    @Test
    void anEmulatorTakesNoCredentialsFile() {
        assertThatThrownBy(() -> resolve("localhost:8085", null, "project=my-project", "emulator=true",
                "credentials.file=/keys/key.json")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'emulator' and 'credentials.file' cannot both be set");
        assertThatThrownBy(() -> resolve(null, "localhost:8085", "project=my-project",
                "credentials.file=/keys/key.json")).as("the emulator host implies an emulator")
                .isInstanceOf(ConfigException.class).hasMessageContaining("cannot both be set");
        assertThat(resolve("pubsub.example.com:443", "localhost:8085", "project=my-project",
                "credentials.file=/keys/key.json").emulator()).isFalse();
    }

    @Test
    void aSubscriptionTemplateNeedsTheGroup() {
        assertThatThrownBy(() -> resolve("localhost:8085", null, "project=my-project",
                "subscription.template={topic}-sub")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'subscription.template' = '{topic}-sub' has no {group}");
        assertThat(resolve("localhost:8085", null, "project=my-project", "subscription.template=g-{group}"))
                .isNotNull();
    }

    @Test
    void topicRetentionIsNoneOrAtLeastTenMinutes() {
        assertThatThrownBy(() -> resolve("localhost:8085", null, "project=my-project", "topic.retention=9m"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'topic.retention' = PT9M is below Pub/Sub's minimum of 10 minutes");
        for (String ok : new String[] {"0s", "10m", "31d"}) {
            assertThat(resolve("localhost:8085", null, "project=my-project", "topic.retention=" + ok)).as(ok)
                    .isNotNull();
        }
    }

    @Test
    void aKeyFileThatCannotBeReadIsAConfigErrorThatNeverShowsItsContent(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.json");
        assertThatThrownBy(() -> PubSubTarget.credentials(missing.toString())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'credentials.file' = '" + missing + "' is not a readable service account "
                        + "key file");
        Path garbage = dir.resolve("key.json");
        Files.writeString(garbage, "{\"type\": \"service_account\", \"private_key\": \"TOP-SECRET-KEY\"}",
                StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PubSubTarget.credentials(garbage.toString())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'" + garbage + "' is not a readable service account key file")
                .hasMessageNotContaining("TOP-SECRET-KEY");
    }
}
