package dev.omnibus.spi;

import dev.omnibus.ConfigException;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The TLS settings of one connection, read from {@link TlsOptions}: which PEM files, and an {@link SSLContext} built
 * from them for clients that take one. Immutable and thread-safe.
 *
 * <p>Clients with their own PEM support (Lettuce, Kafka) may use the file paths instead; the context is still built
 * once at connect, so a file that does not parse fails {@code connect} with a {@link ConfigException} naming the
 * option, whichever client reads it later.
 */
public final class TlsSettings {
    private static final TlsSettings DISABLED = new TlsSettings(false, null, null, null, null);
    private static final Pattern PEM_KEY = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----([A-Za-z0-9+/=\\s]*)-----END \\1PRIVATE KEY-----");
    private static final String PKCS8_HINT = "convert it with: openssl pkcs8 -topk8 -nocrypt -in key.pem -out "
            + "key.pkcs8.pem";

    private final boolean enabled;
    private final Path caFile;
    private final Path certFile;
    private final Path keyFile;
    private final SSLContext sslContext;

    private TlsSettings(boolean enabled, Path caFile, Path certFile, Path keyFile, SSLContext sslContext) {
        this.enabled = enabled;
        this.caFile = caFile;
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.sslContext = sslContext;
    }

    /** No TLS. */
    public static TlsSettings disabled() {
        return DISABLED;
    }

    /**
     * TLS with the given files (each may be null: the JVM's trust store, no client certificate).
     *
     * @throws ConfigException when a file does not hold what its option needs
     */
    public static TlsSettings load(Path caFile, Path certFile, Path keyFile) {
        if ((certFile == null) != (keyFile == null)) {
            throw new ConfigException("options 'tls.cert.file' and 'tls.key.file' go together: give both for "
                    + "mutual TLS, or neither");
        }
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (caFile == null) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore trust = emptyStore();
                List<Certificate> cas = certificates(caFile, TlsOptions.CA_FILE.name());
                for (int i = 0; i < cas.size(); i++) {
                    trust.setCertificateEntry("ca-" + i, cas.get(i));
                }
                tmf.init(trust);
            }
            KeyManagerFactory kmf = null;
            if (certFile != null) {
                List<Certificate> chain = certificates(certFile, TlsOptions.CERT_FILE.name());
                PrivateKey key = privateKey(keyFile);
                if (!pairs(key, chain.get(0).getPublicKey())) {
                    throw new ConfigException("option 'tls.key.file' (" + keyFile + ") does not hold the private key "
                            + "of the certificate in 'tls.cert.file' (" + certFile + "): give the key the "
                            + "certificate was issued for");
                }
                KeyStore keys = emptyStore();
                char[] none = new char[0];
                try {
                    keys.setKeyEntry("client", key, none, chain.toArray(new Certificate[0]));
                } catch (GeneralSecurityException e) {
                    throw new ConfigException("option 'tls.key.file' (" + keyFile + ") does not hold the private key "
                            + "of the certificate in 'tls.cert.file' (" + certFile + "): " + e.getMessage());
                }
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, none);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return new TlsSettings(true, caFile, certFile, keyFile, context);
        } catch (GeneralSecurityException | IOException e) {
            throw new ConfigException("cannot set up TLS from tls.ca.file/tls.cert.file/tls.key.file: " + e);
        }
    }

    /** Whether TLS is on. */
    public boolean enabled() {
        return enabled;
    }

    /** The PEM file of trusted CA certificates; empty: the JVM's trust store. */
    public Optional<Path> caFile() {
        return Optional.ofNullable(caFile);
    }

    /** The PEM client certificate (chain) for mutual TLS. */
    public Optional<Path> certFile() {
        return Optional.ofNullable(certFile);
    }

    /** The PEM (PKCS#8) private key of {@link #certFile()}. */
    public Optional<Path> keyFile() {
        return Optional.ofNullable(keyFile);
    }

    /** Whether a client certificate is given (mutual TLS). */
    public boolean mutual() {
        return certFile != null;
    }

    /**
     * The TLS context: trusts the CA file (or the JVM's trust store) and presents the client certificate when given.
     * It does not verify host names by itself: a client using it must set the endpoint identification algorithm
     * ({@code HTTPS}) on its engine or socket.
     *
     * @throws IllegalStateException when TLS is off
     */
    public SSLContext sslContext() {
        if (!enabled) {
            throw new IllegalStateException("TLS is off");
        }
        return sslContext;
    }

    /** Whether {@code key} signs what {@code publicKey} verifies: a key file that belongs to another certificate. */
    private static boolean pairs(PrivateKey key, PublicKey publicKey) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "RSASSA-PSS" -> null;
            default -> key.getAlgorithm();
        };
        if (algorithm == null || !key.getAlgorithm().equals(publicKey.getAlgorithm())) {
            return algorithm == null;
        }
        try {
            byte[] probe = "omnibus key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    private static KeyStore emptyStore() throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }

    private static List<Certificate> certificates(Path file, String option) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Collection<? extends Certificate> certs;
        try (InputStream in = new ByteArrayInputStream(bytes)) {
            certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new ConfigException("option '" + option + "' names '" + file + "', which holds no readable PEM "
                    + "certificate (" + e.getClass().getSimpleName() + "): expected BEGIN CERTIFICATE blocks");
        }
        if (certs.isEmpty()) {
            throw new ConfigException("option '" + option + "' names '" + file + "', which holds no certificate: "
                    + "expected BEGIN CERTIFICATE blocks");
        }
        return new ArrayList<>(certs);
    }

    private static PrivateKey privateKey(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        Matcher m = PEM_KEY.matcher(text);
        String option = TlsOptions.KEY_FILE.name();
        if (!m.find()) {
            throw new ConfigException("option '" + option + "' names '" + file + "', which holds no PEM private key: "
                    + "expected an unencrypted PKCS#8 BEGIN PRIVATE KEY block");
        }
        if (!m.group(1).isEmpty()) {
            throw new ConfigException("option '" + option + "' names '" + file + "', which holds a BEGIN "
                    + m.group(1) + "PRIVATE KEY block; only unencrypted PKCS#8 (BEGIN PRIVATE KEY) is read: "
                    + PKCS8_HINT);
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("option '" + option + "' names '" + file + "', whose private key is not valid "
                    + "base64");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException | RuntimeException e) {
                // try the next algorithm
            }
        }
        throw new ConfigException("option '" + option + "' names '" + file + "', whose private key is not an RSA, "
                + "EC or EdDSA PKCS#8 key");
    }

    @Override
    public String toString() {
        return enabled ? "TlsSettings{ca=" + (caFile == null ? "jvm" : caFile) + ", mutual=" + mutual() + "}"
                : "TlsSettings{off}";
    }
}
