package dev.omnibus.tck;

import dev.omnibus.ConfigException;
import dev.omnibus.spi.TlsSettings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link TlsSettings} from {@link TestPki}'s files: real TLS handshakes on loopback sockets (server side built from
 * the server certificate, trusting the CA for client certificates), so both the PEM loading and the PKI are proven.
 */
class TlsSettingsTest {
    @TempDir
    static Path dir;
    static TestPki pki;

    @BeforeAll
    static void pki() {
        pki = TestPki.create(dir.resolve("pki"));
    }

    @Test
    void mutualTlsHandshakeWithTheCaAndTheClientCertificate() throws Exception {
        TlsSettings client = TlsSettings.load(pki.caFile(), pki.clientCertFile(), pki.clientKeyFile());
        assertThat(client.mutual()).isTrue();
        assertThat(handshake(client.sslContext(), "localhost", true)).isEqualTo(TestPki.CLIENT_SUBJECT);
    }

    @Test
    void anUntrustedServerOrAWrongHostNameFailsTheHandshake() {
        TlsSettings wrongCa = TlsSettings.load(pki.otherCaFile(), null, null);
        assertThatThrownBy(() -> handshake(wrongCa.sslContext(), "localhost", false))
                .isInstanceOf(SSLHandshakeException.class);
        TlsSettings right = TlsSettings.load(pki.caFile(), null, null);
        assertThatThrownBy(() -> handshake(right.sslContext(), "elsewhere.invalid", false))
                .isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void badFilesNameTheOptionAndWhatIsExpected() throws IOException {
        assertThatThrownBy(() -> TlsSettings.load(pki.caFile(), pki.clientCertFile(), pki.serverKeyFile()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tls.key.file")
                .hasMessageContaining("does not hold the private key");
        Path pkcs1 = Files.writeString(dir.resolve("rsa.pem"),
                "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> TlsSettings.load(null, pki.clientCertFile(), pkcs1))
                .isInstanceOf(ConfigException.class).hasMessageContaining("BEGIN RSA PRIVATE KEY")
                .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
        assertThatThrownBy(() -> TlsSettings.load(pki.clientKeyFile(), null, null))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tls.ca.file")
                .hasMessageContaining("BEGIN CERTIFICATE");
        assertThatThrownBy(() -> TlsSettings.load(null, pki.clientCertFile(), null))
                .isInstanceOf(ConfigException.class).hasMessageContaining("go together");
    }

    /** Handshakes with a server using the server certificate; returns the client certificate's subject it saw. */
    private static String handshake(SSLContext clientContext, String hostName, boolean needClientAuth)
            throws Exception {
        SSLContext serverContext = TlsSettings.load(pki.caFile(), pki.serverCertFile(), pki.serverKeyFile())
                .sslContext();
        try (SSLServerSocket server = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setNeedClientAuth(needClientAuth);
            CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.startHandshake();
                    return needClientAuth ? s.getSession().getPeerPrincipal().getName() : "";
                } catch (IOException e) {
                    return "server: " + e;
                }
            });
            // layered over a plain socket so that the host name the client checks is hostName, not the loopback's
            try (java.net.Socket plain = new java.net.Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                 SSLSocket socket = (SSLSocket) clientContext.getSocketFactory().createSocket(plain, hostName,
                         server.getLocalPort(), true)) {
                SSLParameters p = socket.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(p);
                socket.setSoTimeout(10_000);
                socket.startHandshake();
                // TLS 1.3: the server checks the client certificate after the client's handshake is done
                socket.getOutputStream().write(1);
                socket.getOutputStream().flush();
            }
            return seen.get(10, TimeUnit.SECONDS);
        }
    }
}
