package dev.omnibus.spi;

import dev.omnibus.ConfigException;
import dev.omnibus.ConfigOption;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * The TLS options every network backend accepts, the same names and meaning on each: list {@link #ALL} in
 * {@link BackendProvider#options()} and call {@link #resolve(BackendContext, boolean)} when opening. Immutable and
 * thread-safe.
 *
 * <p>Host name verification is always on; there is no option to turn it off. Files are PEM: certificates as
 * {@code BEGIN CERTIFICATE} blocks, the private key as an unencrypted PKCS#8 {@code BEGIN PRIVATE KEY} block.
 */
public final class TlsOptions {
    /** Whether to use TLS; implied by any {@code tls.*.file} option and by schemes that mean TLS ({@code rediss}). */
    public static final ConfigOption<Boolean> TLS = ConfigOption.bool("tls", false,
            "connect over TLS, verifying the server's certificate and host name (implied by rediss:// and by any "
                    + "tls.*.file option)");
    /** A PEM bundle of certificates trusted for this connection instead of the JVM's trust store. */
    public static final ConfigOption<String> CA_FILE = ConfigOption.string("tls.ca.file", null,
            "path of a PEM file of CA certificates trusted for this connection (default: the JVM's trust store)");
    /** The client certificate chain for mutual TLS. */
    public static final ConfigOption<String> CERT_FILE = ConfigOption.string("tls.cert.file", null,
            "path of a PEM client certificate (chain) for mutual TLS; needs tls.key.file");
    /** The client certificate's private key for mutual TLS. */
    public static final ConfigOption<String> KEY_FILE = ConfigOption.string("tls.key.file", null,
            "path of the client certificate's private key, PEM, unencrypted PKCS#8 (BEGIN PRIVATE KEY); "
                    + "needs tls.cert.file");
    /** All of them, for {@link BackendProvider#options()}. */
    public static final List<ConfigOption<?>> ALL = List.of(TLS, CA_FILE, CERT_FILE, KEY_FILE);

    private TlsOptions() {
    }

    /**
     * Reads and validates the TLS options: the files must exist and parse, a certificate and key come together. The
     * returned settings hold a ready {@link javax.net.ssl.SSLContext}.
     *
     * @param impliedByScheme whether the URL's scheme itself means TLS ({@code rediss})
     * @throws ConfigException naming each option that is wrong and what is allowed (never a file's content)
     */
    public static TlsSettings resolve(BackendContext context, boolean impliedByScheme) {
        List<String> problems = new ArrayList<>();
        Path ca = file(context, CA_FILE, problems);
        Path cert = file(context, CERT_FILE, problems);
        Path key = file(context, KEY_FILE, problems);
        String certName = context.get(CERT_FILE);
        String keyName = context.get(KEY_FILE);
        if ((certName == null) != (keyName == null)) {
            problems.add("option '" + (certName == null ? KEY_FILE.name() : CERT_FILE.name()) + "' is set without '"
                    + (certName == null ? CERT_FILE.name() : KEY_FILE.name()) + "': mutual TLS needs both the client "
                    + "certificate and its key");
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        boolean enabled = impliedByScheme || Boolean.TRUE.equals(context.get(TLS)) || ca != null || cert != null;
        if (!enabled) {
            return TlsSettings.disabled();
        }
        return TlsSettings.load(ca, cert, key);
    }

    private static Path file(BackendContext context, ConfigOption<String> option, List<String> problems) {
        String value = context.get(option);
        if (value == null) {
            return null;
        }
        if (value.isBlank()) {
            problems.add("option '" + option.name() + "' is empty: expected the path of a readable PEM file");
            return null;
        }
        Path path;
        try {
            path = Paths.get(value.trim());
        } catch (RuntimeException e) {
            problems.add("option '" + option.name() + "' is not a valid path ('" + value + "'): expected the path of "
                    + "a readable PEM file");
            return null;
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            problems.add("option '" + option.name() + "' names '" + path + "', which is not a readable file: expected "
                    + "the path of a readable PEM file");
            return null;
        }
        return path;
    }
}
