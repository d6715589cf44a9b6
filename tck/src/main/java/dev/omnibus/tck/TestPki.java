package dev.omnibus.tck;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A throwaway public-key infrastructure made at test time for harnesses of secured servers, so that no key material
 * is ever committed: a CA, a server certificate for {@code localhost} / {@code 127.0.0.1}, a client certificate, and an
 * unrelated second CA that a client can be told to trust instead (the "wrong CA" case). Files are PEM; private keys
 * are unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}), EC P-256; certificates are valid from an hour ago for a day.
 *
 * <pre>{@code
 * TestPki pki = TestPki.create(tempDir);
 * // server: pki.serverCertFile(), pki.serverKeyFile(), trusting pki.caFile() for client certificates
 * // client: ?tls.ca.file=<pki.caFile()>&tls.cert.file=<pki.clientCertFile()>&tls.key.file=<pki.clientKeyFile()>
 * }</pre>
 *
 * <p>Thread-safe: {@link #issue} may be called from any thread; the files never change once written.
 */
public final class TestPki {
    /** The subject of the client certificate {@link #create} issues. */
    public static final String CLIENT_SUBJECT = "CN=omnibus-client";

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final Path dir;
    private final KeyPair caKeys;
    private final X500Name caName;
    private final Path caFile;
    private final Leaf server;
    private final Leaf client;
    private final Path otherCaFile;

    private TestPki(Path dir) throws GeneralSecurityException, IOException, OperatorCreationException {
        this.dir = Files.createDirectories(dir);
        this.caKeys = keyPair();
        this.caName = new X500Name("CN=Omnibus Test CA " + SERIAL.incrementAndGet());
        this.caFile = write("ca.pem", certificatePem(selfSigned(caName, caKeys)));
        this.server = issue("server", "localhost", false);
        this.client = issue("client", CLIENT_SUBJECT.substring(3), true);
        KeyPair otherKeys = keyPair();
        this.otherCaFile = write("other-ca.pem", certificatePem(selfSigned(
                new X500Name("CN=Omnibus Unrelated CA " + SERIAL.incrementAndGet()), otherKeys)));
    }

    /**
     * Makes the CA, the server and client certificates and the unrelated CA, written into {@code dir} (created if
     * missing).
     *
     * @throws IllegalStateException when a key or certificate cannot be made (never expected on a JDK 17)
     */
    public static TestPki create(Path dir) {
        try {
            return new TestPki(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make test certificates: " + e, e);
        }
    }

    /** The CA certificate (PEM): trust it to trust the server, and servers trust it for client certificates. */
    public Path caFile() {
        return caFile;
    }

    /** The server certificate (PEM), for {@code localhost} and {@code 127.0.0.1}, signed by the CA. */
    public Path serverCertFile() {
        return server.certFile();
    }

    /** The server certificate's private key (PEM, PKCS#8). */
    public Path serverKeyFile() {
        return server.keyFile();
    }

    /** The client certificate (PEM), subject {@value #CLIENT_SUBJECT}, for client authentication, signed by the CA. */
    public Path clientCertFile() {
        return client.certFile();
    }

    /** The client certificate's private key (PEM, PKCS#8). */
    public Path clientKeyFile() {
        return client.keyFile();
    }

    /** A CA certificate that signed nothing here: a client trusting only it must refuse the server. */
    public Path otherCaFile() {
        return otherCaFile;
    }

    /**
     * Issues another certificate signed by the CA: for a server ({@code client} false) it names {@code commonName} as
     * its DNS subject alternative name (plus {@code 127.0.0.1} when that is {@code localhost}), so a server certificate
     * for another host name makes a client's host name check fail; for a client it allows client authentication.
     *
     * @param name file name stem, unique within this PKI
     */
    public synchronized Leaf issue(String name, String commonName, boolean client) {
        try {
            KeyPair keys = keyPair();
            X500Name subject = new X500Name("CN=" + commonName);
            Instant now = Instant.now();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caName, serial(),
                    Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject,
                    keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment
                    | KeyUsage.keyAgreement));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false,
                    ext.createAuthorityKeyIdentifier(caKeys.getPublic()));
            if (client) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            } else {
                List<GeneralName> names = new ArrayList<>();
                names.add(new GeneralName(GeneralName.dNSName, commonName));
                if (commonName.equals("localhost")) {
                    names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
                }
                b.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(new GeneralName[0])));
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                        new KeyPurposeId[]{KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            }
            X509CertificateHolder cert = b.build(new JcaContentSignerBuilder("SHA256withECDSA")
                    .build(caKeys.getPrivate()));
            Path certFile = write(name + ".pem", certificatePem(cert));
            Path keyFile = write(name + "-key.pem", pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
            return new Leaf(certFile, keyFile, "CN=" + commonName);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot issue test certificate " + name + ": " + e, e);
        }
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIAL.incrementAndGet());
    }

    private static X509CertificateHolder selfSigned(X500Name name, KeyPair keys)
            throws GeneralSecurityException, IOException, OperatorCreationException {
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), name,
                keys.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign
                | KeyUsage.digitalSignature));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
        return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
    }

    private static String certificatePem(X509CertificateHolder cert) throws IOException {
        return pem("CERTIFICATE", cert.getEncoded());
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content, StandardCharsets.US_ASCII);
        return file;
    }

    /** One issued certificate: its PEM file, its key's PEM file and its subject ({@code CN=...}). */
    public record Leaf(Path certFile, Path keyFile, String subject) {
    }
}
