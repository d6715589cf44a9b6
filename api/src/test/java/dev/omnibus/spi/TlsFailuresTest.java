package dev.omnibus.spi;

import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import java.io.IOException;
import java.security.cert.CertificateException;

import static org.assertj.core.api.Assertions.assertThat;

class TlsFailuresTest {
    @Test
    void aCertificateProblemUnderTheHandshakeIsAnUntrustedServer() {
        Throwable e = new IOException("connect failed", new SSLHandshakeException("PKIX path building failed"));
        e.getCause().initCause(new CertificateException("No name matching elsewhere.test found"));
        assertThat(TlsFailures.explain(e)).hasValueSatisfying(s -> assertThat(s)
                .startsWith("the server's certificate is not trusted (check tls.ca.file and the host name)")
                .contains("No name matching elsewhere.test"));
    }

    @Test
    void aCertificateAlertFromTheServerIsARefusedClient() {
        Throwable e = new RuntimeException(new SSLException("Received fatal alert: certificate_required"));
        assertThat(TlsFailures.explain(e)).hasValueSatisfying(s -> assertThat(s)
                .contains("refused the client certificate").contains("tls.cert.file"));
    }

    @Test
    void aHandshakeThatBrokeOffIsNotAnAuthenticationFailure() {
        assertThat(TlsFailures.explain(new SSLException("Connection reset"))).isEmpty();
        assertThat(TlsFailures.explain(new SSLHandshakeException("Remote host terminated the handshake"))).isEmpty();
        assertThat(TlsFailures.explain(new IOException("Connection refused"))).isEmpty();
        assertThat(TlsFailures.explain(null)).isEmpty();
    }
}
