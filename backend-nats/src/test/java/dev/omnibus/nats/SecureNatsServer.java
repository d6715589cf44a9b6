package dev.omnibus.nats;

import dev.omnibus.Config;
import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.tck.BrokerProcess;
import dev.omnibus.tck.TestPki;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A {@code nats-server -js} child process with security on, configured by a file written into its temporary dir:
 * the caller gives the configuration's body (TLS, authorization, accounts) as a function of the dir (where
 * {@link TestPki} files can be made), the harness adds {@code listen} on a free loopback port and a JetStream store
 * dir. Shared by {@code backend-jetstream}'s tests through the test jar. Not thread-safe; one per test class.
 */
public final class SecureNatsServer implements AutoCloseable {
    private final BrokerProcess server;

    private SecureNatsServer(BrokerProcess server) {
        this.server = server;
    }

    /**
     * Writes {@code nats.conf} ({@code body} plus listen and JetStream) and starts the server on it.
     *
     * @param body the configuration's security part, given the server's dir (for certificates and keys made there)
     */
    public static SecureNatsServer start(Function<Path, String> body) throws IOException, InterruptedException {
        BrokerProcess server = BrokerProcess.builder("nats-server")
                .command(p -> List.of("nats-server", "-c", p.dir().resolve("nats.conf").toString()))
                .probe("logs 'Server is ready' and greets with INFO", BrokerProcess.Probe.logShows("Server is ready")
                        .and(BrokerProcess.Probe.replies("", "INFO")))
                .startupTimeout(Duration.ofSeconds(20)).installHint("apt-get install -y nats-server").build();
        String conf = "listen: \"127.0.0.1:" + server.port() + "\"\n"
                + "jetstream { store_dir: " + quote(server.dir().resolve("store").toString()) + " }\n"
                + body.apply(server.dir());
        Files.writeString(server.dir().resolve("nats.conf"), conf);
        server.start();
        return new SecureNatsServer(server);
    }

    /** {@code value} as a quoted string of the NATS configuration format. */
    public static String quote(Object value) {
        return "\"" + String.valueOf(value).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** A URL query parameter {@code name=value}, the value percent-encoded. */
    public static String param(String name, Object value) {
        return name + "=" + URLEncoder.encode(String.valueOf(value), StandardCharsets.UTF_8);
    }

    /** The server's port. */
    public int port() {
        return server.port();
    }

    /** {@code scheme://[userinfo@]127.0.0.1:port[?query]}; {@code userinfo} raw (null: none). */
    public String url(String scheme, String userinfo, String query) {
        return scheme + "://" + (userinfo == null ? "" : userinfo + "@") + "127.0.0.1:" + port()
                + (query == null || query.isEmpty() ? "" : "?" + query);
    }

    /** Connects with {@code url} and no environment. */
    public static Omnibus connect(String url) {
        return Omnibus.connect(Config.builder().url(url).useEnvironment(false).build());
    }

    /**
     * Asserts that connecting with {@code url} fails with {@code code} at once, with a message holding
     * {@code fragment}, and returns the error.
     */
    public static OmnibusException connectFails(String url, ErrorCode code, String fragment) {
        long start = System.nanoTime();
        Throwable[] thrown = new Throwable[1];
        assertThatThrownBy(() -> connect(url).close()).isInstanceOfSatisfying(OmnibusException.class, e -> {
            thrown[0] = e;
            assertThat(e.code()).as("code of %s", e).isEqualTo(code);
            assertThat(e.isRetryable()).isFalse();
            assertThat(e.getMessage()).contains(fragment);
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("failed at once, no retry loop")
                .isLessThan(Duration.ofSeconds(15));
        return (OmnibusException) thrown[0];
    }

    /** Every message and {@code toString} along {@code error}'s cause chain, for checks that a secret is absent. */
    public static String everything(Throwable error) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            all.append(t).append('\n').append(t.getMessage()).append('\n');
            for (Throwable s : t.getSuppressed()) {
                all.append(s).append('\n');
            }
        }
        return all.toString();
    }

    /** Deletes {@code dir} and everything in it (test keys among them); null is ignored. */
    public static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** The server's log so far. */
    public String log() throws IOException {
        return Files.readString(server.log());
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }
}
