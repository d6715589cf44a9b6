package dev.omnibus.cli;

import dev.omnibus.tck.OmnibusTck;
import dev.omnibus.tck.TckHarness;
import dev.omnibus.tck.UrlHarness;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;

import java.time.Duration;

/**
 * The kit run by {@code omnibus tck}: the build's {@link OmnibusTck}, unchanged, as a backend's {@code *TckTest}
 * subclass runs it, with a {@link UrlHarness} for the broker named by the launcher's configuration parameters
 * {@value #URL} and {@value #TIMEOUT}. JUnit makes it and calls it from its own thread, one test at a time.
 */
@ExtendWith(UrlTck.FromConfiguration.class)
final class UrlTck extends OmnibusTck {
    /** Configuration parameter: the broker's URL. */
    static final String URL = "omnibus.tck.url";
    /** Configuration parameter: how long the kit waits for an expected delivery, in milliseconds. */
    static final String TIMEOUT = "omnibus.tck.timeoutMillis";

    private TckHarness harness;

    @Override
    protected TckHarness createHarness() {
        return harness;
    }

    /**
     * Gives the kit instance its harness before the kit's {@code @BeforeAll} asks for it: JUnit makes the instance
     * with no arguments, and its configuration parameters are how a launcher passes settings to one run (a static
     * field would leak from one run into the next).
     */
    static final class FromConfiguration implements TestInstancePostProcessor {
        @Override
        public void postProcessTestInstance(Object instance, ExtensionContext context) {
            if (instance instanceof UrlTck tck) {
                String url = context.getConfigurationParameter(URL).orElseThrow(
                        () -> new IllegalStateException("the launcher gave no " + URL + " configuration parameter"));
                Duration timeout = context.getConfigurationParameter(TIMEOUT).map(Long::parseLong)
                        .map(Duration::ofMillis).orElse(UrlHarness.DEFAULT_TIMEOUT);
                tck.harness = new UrlHarness(url, timeout);
            }
        }
    }
}
