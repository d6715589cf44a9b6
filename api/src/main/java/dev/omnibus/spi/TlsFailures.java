package dev.omnibus.spi;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Tells a TLS handshake that failed over a certificate (an authentication failure: {@code UNAUTHENTICATED}, not
 * retried) from one that broke off (closed, timed out: a connection failure, retried), the same way on every
 * backend. Stateless and thread-safe.
 */
public final class TlsFailures {
    /** Alerts a server sends when it refuses the client's certificate, or its absence. */
    private static final Pattern CERTIFICATE_ALERT = Pattern.compile("certificate|unknown_ca|access_denied");
    private static final int MAX_DEPTH = 16;

    private TlsFailures() {
    }

    /**
     * What went wrong, in words that name the options to check, when {@code error}'s causes hold a TLS authentication
     * failure: the server's certificate is not trusted or does not name the host (a certificate exception under the
     * handshake), or the server ended the handshake with a certificate alert (it wants a client certificate, or does
     * not trust the one sent). Empty for anything else, a handshake that merely broke off included.
     */
    public static Optional<String> explain(Throwable error) {
        String alert = null;
        int depth = 0;
        for (Throwable c = error; c != null && depth < MAX_DEPTH; c = c.getCause(), depth++) {
            if (c instanceof CertificateException || c instanceof CertPathValidatorException
                    || c instanceof SSLPeerUnverifiedException) {
                return Optional.of("the server's certificate is not trusted (check tls.ca.file and the host name): "
                        + c.getMessage());
            }
            String message = String.valueOf(c.getMessage());
            if (alert == null && c instanceof SSLException && message.contains("alert")
                    && CERTIFICATE_ALERT.matcher(message).find()) {
                alert = message;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        if (alert != null) {
            return Optional.of("the server refused the client certificate, or its absence (" + alert + "): check "
                    + "tls.cert.file and tls.key.file, and that the server trusts their CA");
        }
        return Optional.empty();
    }
}
