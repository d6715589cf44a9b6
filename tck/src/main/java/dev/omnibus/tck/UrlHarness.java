package dev.omnibus.tck;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A harness for a broker the kit did not start, known only by its URL ({@code omnibus tck --url ...} runs the kit
 * with one); immutable and thread-safe, creates no threads.
 *
 * <p>It has nothing to start or stop, and none of the hooks that need the broker in hand: it cannot restart it or
 * cut its connections, so R17, R18 and R23 are skipped with {@link #faultsUnsupportedReason()}, and it has no raw
 * client of the broker to publish a foreign message with, so the tests of R15 and R22 that need one are skipped with
 * {@link #rawUnsupportedReason()}. Everything else runs as in the build, on the same kit.
 */
public final class UrlHarness implements TckHarness {
    /** How long the kit waits for an expected delivery by default, as for a harness-started broker. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(15);

    private static final Pattern SCHEME = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*)://");

    private final String url;
    private final String backendName;
    private final Duration timeout;

    /**
     * A harness for the broker at {@code url}, reported under the URL's scheme, waiting up to {@code timeout} for each
     * expected delivery.
     *
     * @throws IllegalArgumentException when {@code url} has no scheme
     */
    public UrlHarness(String url, Duration timeout) {
        this.url = Objects.requireNonNull(url, "url");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.backendName = schemeOf(url);
    }

    private static String schemeOf(String url) {
        // not java.net.URI: it refuses URLs the backends take, such as mem:// (no authority)
        Matcher m = SCHEME.matcher(url);
        if (!m.lookingAt()) {
            // the message leaves the URL out: it may hold a password
            throw new IllegalArgumentException("the broker URL has no scheme (expected e.g. jetstream://host:4222)");
        }
        return m.group(1).toLowerCase(Locale.ROOT);
    }

    /** The URL's scheme ({@code jetstream}, {@code redis}, ...). */
    @Override
    public String backendName() {
        return backendName;
    }

    @Override
    public String url() {
        return url;
    }

    @Override
    public Duration timeout() {
        return timeout;
    }

    /** Always fails: see {@link #rawUnsupportedReason()}. */
    @Override
    public void injectRaw(String topic, byte[] body, Map<String, String> headers) {
        throw new UnsupportedOperationException(rawUnsupportedReason());
    }

    @Override
    public String rawUnsupportedReason() {
        return "the kit did not start this broker and holds no raw client of it to publish a message from a "
                + "foreign producer";
    }

    @Override
    public String faultsUnsupportedReason() {
        return "the kit did not start this broker, so it cannot restart it (kill -9) or cut its connections";
    }
}
