package dev.omnibus.internal;

import dev.omnibus.Config;
import dev.omnibus.ConfigException;
import dev.omnibus.instrument.Instrumentation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** How the {@code instrumentation} option and instrumentations given in code combine. */
class InstrumentationOptionTest {
    private static Config.Builder url(String url) {
        return Config.builder().url(url).useEnvironment(false);
    }

    private static List<String> names(Config config) {
        return Connector.resolve(config).instrumentations.stream().map(Instrumentation::name).toList();
    }

    @AfterEach
    void reset() {
        TestInstrumentationProvider.failing = false;
    }

    @Test
    void autoTurnsOnEveryDiscoveredInstrumentation() {
        assertThat(names(url("cfgtest://h").build())).containsExactly("recording");
    }

    @Test
    void noneTurnsDiscoveryOffButKeepsTheOnesGivenInCode() {
        Config config = url("cfgtest://h?instrumentation=none")
                .instrumentation(new TestInstrumentationProvider.Named("mine")).build();
        assertThat(names(config)).containsExactly("mine");
    }

    @Test
    void aListPicksByNameAndAnUnknownNameListsWhatIsThere() {
        assertThat(names(url("cfgtest://h?instrumentation=recording").build())).containsExactly("recording");
        assertThatThrownBy(() -> Connector.resolve(url("cfgtest://h?instrumentation=recording,prometheus").build()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown instrumentation 'prometheus'")
                .hasMessageContaining("found on the classpath: recording");
    }

    @Test
    void oneGivenInCodeReplacesTheDiscoveredOneOfItsName() {
        Instrumentation mine = new TestInstrumentationProvider.Named("recording");
        List<Instrumentation> resolved = Connector.resolve(url("cfgtest://h").instrumentation(mine).build())
                .instrumentations;
        assertThat(resolved).containsExactly(mine);
    }

    @Test
    void badNamesAndDuplicatesInCodeAreRefused() {
        ConfigException e = (ConfigException) catchThrowable(() -> Connector.resolve(
                url("cfgtest://h").instrumentation(new TestInstrumentationProvider.Named("Has Space"))
                        .instrumentation(new TestInstrumentationProvider.Named("twice"))
                        .instrumentation(new TestInstrumentationProvider.Named("twice")).build()));
        assertThat(e.problems()).hasSize(2);
        assertThat(e.getMessage()).contains("has the name 'Has Space'; a name is 1 to 64 characters")
                .contains("instrumentation 'twice' is given twice");
    }

    @Test
    void aProviderThatCannotCreateFailsTheConnectionNamingIt() {
        TestInstrumentationProvider.failing = true;
        assertThatThrownBy(() -> Connector.resolve(url("cfgtest://h").build()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("instrumentation 'recording' (" + TestInstrumentationProvider.class.getName()
                        + ") could not be created")
                .hasMessageContaining("no registry configured")
                .hasMessageContaining("set instrumentation=none");
        assertThat(names(url("cfgtest://h?instrumentation=none").build())).isEmpty();
    }
}
