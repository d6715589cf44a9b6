package dev.omnibus.tck.selftest;

import dev.omnibus.ConfigOption;
import dev.omnibus.gcp.PubSubBackendProvider;
import dev.omnibus.internal.CommonOptions;
import dev.omnibus.jetstream.JetStreamBackendProvider;
import dev.omnibus.kafka.KafkaBackendProvider;
import dev.omnibus.memory.MemoryBackendProvider;
import dev.omnibus.nats.NatsBackendProvider;
import dev.omnibus.redis.RedisBackendProvider;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every option the code declares is in the README's configuration reference, with its environment variable. */
class ReadmeConfigurationReferenceTest {
    @Test
    void everyDeclaredOptionIsDocumented() throws IOException {
        String readme = Files.readString(Path.of("../../README.md"), StandardCharsets.UTF_8);
        List<ConfigOption<?>> options = new ArrayList<>(CommonOptions.ALL);
        options.addAll(new MemoryBackendProvider().options());
        options.addAll(new RedisBackendProvider().options());
        options.addAll(new NatsBackendProvider().options());
        options.addAll(new JetStreamBackendProvider().options());
        options.addAll(new KafkaBackendProvider().options());
        options.addAll(new PubSubBackendProvider().options());
        for (ConfigOption<?> option : options) {
            assertThat(readme).as("README configuration reference documents option %s", option.name())
                    .contains("| `" + option.name() + "` | `" + option.environmentVariable() + "` |");
        }
    }

    @Test
    void everySubscribeOptionIsInTheSubscriptionOptionsTable() throws IOException {
        String readme = Files.readString(Path.of("../../README.md"), StandardCharsets.UTF_8);
        for (java.lang.reflect.Method m : dev.omnibus.SubscribeOptions.class.getMethods()) {
            if (m.getReturnType() == dev.omnibus.SubscribeOptions.class
                    && !java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                assertThat(readme).as("README's subscription options table has %s", m.getName())
                        .contains("| `" + m.getName() + "(");
            }
        }
    }
}
