package dev.omnibus.redis.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import org.junit.jupiter.api.Test;

import java.nio.channels.ClosedChannelException;
import java.security.cert.CertificateException;
import java.util.concurrent.CompletionException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which connect and reconnect failures are the server refusing us (or we it), as {@code RedisSecurityIT} and
 * {@code RedisMutualTlsIT} meet them against a real server, and which only look alike: a handshake that broke off must
 * stay a connection failure, or a server restarting during a TLS handshake would end every subscription.
 */
class RefusalTest {
    private static final String SERVER = "rediss://****@127.0.0.1:6380";

    private static RedisConnectionException atConnect(Throwable cause) {
        return new RedisConnectionException("Unable to connect to 127.0.0.1/<unresolved>:6380", cause);
    }

    private static ErrorCode code(Throwable error) {
        OmnibusException e = RedisBackend.refusal(SERVER, error);
        return e == null ? null : e.code();
    }

    @Test
    void wrongPasswordAndMissingAuthenticationAreUnauthenticated() {
        assertThat(code(atConnect(new RedisCommandExecutionException("WRONGPASS invalid username-password pair"))))
                .isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(code(new CompletionException(new RedisCommandExecutionException("NOAUTH HELLO must be called"))))
                .isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(code(new RedisCommandExecutionException("NOPERM no permissions"))).isNull();
    }

    @Test
    void anUntrustedServerCertificateIsUnauthenticatedAndNamesTheCaFile() {
        SSLHandshakeException pkix = new SSLHandshakeException("PKIX path building failed");
        pkix.initCause(new CertificateException("unable to find valid certification path to requested target"));
        OmnibusException e = RedisBackend.refusal(SERVER, atConnect(new DecoderException(pkix)));
        assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).contains("not trusted", "tls.ca.file", "unable to find valid certification path");
    }

    @Test
    void aCertificateAlertFromTheServerIsUnauthenticatedAndNamesTheCertFile() {
        OmnibusException e = RedisBackend.refusal(SERVER,
                atConnect(new SSLException("Received fatal alert: certificate_required")));
        assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHENTICATED);
        assertThat(e.getMessage()).contains("tls.cert.file");
        assertThat(code(new SSLHandshakeException("Received fatal alert: unknown_ca")))
                .isEqualTo(ErrorCode.UNAUTHENTICATED);
    }

    @Test
    void handshakesThatBrokeOffStayConnectionFailures() {
        SSLHandshakeException closed = new SSLHandshakeException(
                "Connection closed while SSL/TLS handshake was in progress");
        closed.initCause(new ClosedChannelException());
        assertThat(code(atConnect(closed))).isNull();
        assertThat(code(atConnect(new SSLHandshakeException("Received fatal alert: protocol_version")))).isNull();
        assertThat(code(atConnect(new SslHandshakeTimeoutException("handshake timed out after 10000ms"))))
                .isEqualTo(ErrorCode.UNAVAILABLE);
        OmnibusException plaintext = RedisBackend.refusal(SERVER,
                atConnect(new NotSslRecordException("not an SSL/TLS record: 2d455252")));
        assertThat(plaintext.code()).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(plaintext.getMessage()).contains("TLS port");
        assertThat(code(atConnect(new java.io.IOException("Connection reset by peer")))).isNull();
    }
}
