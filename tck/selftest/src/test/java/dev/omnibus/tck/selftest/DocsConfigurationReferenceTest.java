package dev.omnibus.tck.selftest;

import dev.omnibus.ConfigOption;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.gcp.PubSubBackendProvider;
import dev.omnibus.internal.CommonOptions;
import dev.omnibus.jetstream.JetStreamBackendProvider;
import dev.omnibus.kafka.KafkaBackendProvider;
import dev.omnibus.memory.MemoryBackendProvider;
import dev.omnibus.nats.NatsBackendProvider;
import dev.omnibus.rabbitmq.RabbitBackendProvider;
import dev.omnibus.rabbitmq.RabbitTlsBackendProvider;
import dev.omnibus.redis.RedisBackendProvider;
import dev.omnibus.redis.RedissBackendProvider;
import dev.omnibus.spi.BackendProvider;
import dev.omnibus.spi.TlsOptions;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration reference says what the code declares, where a reader looks for it: the options every backend
 * accepts in {@code docs/configuration.md}, each backend's own options on that backend's page
 * ({@code docs/backends/<scheme>.md}), each with its environment variable and no option a page's code lacks; and
 * every {@link SubscribeOptions} method in the configuration page's subscription options table, and nothing else.
 */
class DocsConfigurationReferenceTest {
    private static final Path DOCS = Path.of("../../docs");
    private static final Path CONFIGURATION = DOCS.resolve("configuration.md");
    /** A row of an options table: {@code | `name` | `OMNIBUS_NAME` | ...}. */
    private static final Pattern OPTION_ROW = Pattern.compile("(?m)^\\| `([^`]+)` \\| `(OMNIBUS_[A-Z0-9_]+)` \\|");
    /** A row of the subscription options table: {@code | `method(...)` | ...}. */
    private static final Pattern METHOD_ROW = Pattern.compile("(?m)^\\| `([a-zA-Z]+)\\(");
    private static final String SUBSCRIPTION_OPTIONS = "## Subscription options (`SubscribeOptions`)";

    static Stream<Named<BackendProvider>> backends() {
        return Stream.of(new MemoryBackendProvider(), new RedisBackendProvider(), new RedissBackendProvider(),
                        new NatsBackendProvider(), new JetStreamBackendProvider(), new KafkaBackendProvider(),
                        new PubSubBackendProvider(), new RabbitBackendProvider(), new RabbitTlsBackendProvider())
                .map(backend -> Named.of(backend.scheme() + "://", backend));
    }

    @Test
    void theConfigurationPageDocumentsExactlyTheOptionsEveryBackendAccepts() throws IOException {
        List<ConfigOption<?>> shared = new ArrayList<>(CommonOptions.ALL);
        shared.addAll(TlsOptions.ALL);
        assertThat(documentedOptions(CONFIGURATION))
                .as("options tables of %s (name and environment variable) against CommonOptions.ALL and "
                        + "TlsOptions.ALL", CONFIGURATION)
                .isEqualTo(declared(shared));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void eachBackendPageDocumentsExactlyThatBackendsOptions(BackendProvider backend) throws IOException {
        // rediss:// is Redis over TLS, with Redis' options: one page for both; amqp:// and amqps:// share rabbitmq.md
        String page = backend.scheme().equals(RedisBackendProvider.TLS_SCHEME) ? RedisBackendProvider.SCHEME
                : backend.scheme().startsWith(RabbitBackendProvider.SCHEME) ? "rabbitmq" : backend.scheme();
        Path file = DOCS.resolve("backends").resolve(page + ".md");
        assertThat(file).as("page of backend %s://", backend.scheme()).exists();
        assertThat(Files.readString(file, StandardCharsets.UTF_8)).as("%s names its URL scheme", file)
                .contains("`" + backend.scheme() + "://");
        // the TLS options are the same on every network backend: documented once, in configuration.md, and linked
        List<ConfigOption<?>> own = new ArrayList<>(backend.options());
        if (own.removeAll(TlsOptions.ALL)) {
            assertThat(own).as("%s lists every TLS option or none", backend.getClass().getSimpleName())
                    .doesNotContainAnyElementsOf(TlsOptions.ALL);
            assertThat(backend.options()).as("%s lists every TLS option or none", backend.getClass().getSimpleName())
                    .containsAll(TlsOptions.ALL);
            assertThat(Files.readString(file, StandardCharsets.UTF_8)).as("%s links the TLS options", file)
                    .contains("../configuration.md#tls-options");
        }
        assertThat(documentedOptions(file))
                .as("options tables of %s (name and environment variable) against %s.options() without the TLS "
                        + "options", file, backend.getClass().getSimpleName())
                .isEqualTo(declared(own));
    }

    @Test
    void theSubscriptionOptionsTableHasExactlyTheMethodsOfSubscribeOptions() throws IOException {
        String text = Files.readString(CONFIGURATION, StandardCharsets.UTF_8);
        int start = text.indexOf(SUBSCRIPTION_OPTIONS);
        assertThat(start).as("%s has the section %s", CONFIGURATION, SUBSCRIPTION_OPTIONS).isNotNegative();
        int end = text.indexOf("\n#", start + 1);
        Set<String> documented = new TreeSet<>();
        Matcher row = METHOD_ROW.matcher(end < 0 ? text.substring(start) : text.substring(start, end));
        while (row.find()) {
            documented.add(row.group(1));
        }
        Set<String> withers = new TreeSet<>();
        for (Method m : SubscribeOptions.class.getMethods()) {
            if (m.getReturnType() == SubscribeOptions.class && !Modifier.isStatic(m.getModifiers())) {
                withers.add(m.getName());
            }
        }
        assertThat(documented).as("methods in the subscription options table of %s against SubscribeOptions",
                CONFIGURATION).isEqualTo(withers);
    }

    /** Option name to environment variable, as the page's options tables give them. */
    private static Map<String, String> documentedOptions(Path page) throws IOException {
        Map<String, String> rows = new TreeMap<>();
        Matcher row = OPTION_ROW.matcher(Files.readString(page, StandardCharsets.UTF_8));
        while (row.find()) {
            assertThat(rows.put(row.group(1), row.group(2))).as("option %s documented twice in %s", row.group(1), page)
                    .isNull();
        }
        return rows;
    }

    private static Map<String, String> declared(Collection<ConfigOption<?>> options) {
        Map<String, String> declared = new TreeMap<>();
        for (ConfigOption<?> option : options) {
            declared.put(option.name(), option.environmentVariable());
        }
        return declared;
    }
}
