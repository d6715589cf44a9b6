package dev.omnibus.nats.shared;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyManagementException;
import java.security.SecureRandom;

/**
 * An {@link SSLContext} that turns host name verification on ({@code HTTPS} endpoint identification) on every
 * client socket and engine it makes, wrapping an initialised context; thread-safe as the wrapped one. Not API.
 *
 * <p>Why: jnats (2.26.2, {@code SocketDataPort.upgradeToSecure}) layers an {@link SSLSocket} over its TCP socket with
 * {@code createSocket(socket, host, port, true)} and only sets client mode: with a context of our own it checks the
 * certificate chain but never that the certificate names the host, so any certificate the CA signed would be
 * accepted for any server. jnats offers no option for it; this wrapper is the one place every TLS socket of the
 * connection comes from, so the check cannot be bypassed. jnats must connect by host name for the check to see it
 * (see {@link NatsConnector}: TLS connections do not let jnats re-host the URL to a resolved address).
 */
final class HostCheckingSslContext extends SSLContext {
    static final String ENDPOINT_IDENTIFICATION = "HTTPS";

    HostCheckingSslContext(SSLContext delegate) {
        super(new Spi(delegate), delegate.getProvider(), delegate.getProtocol());
    }

    private static <T extends SSLSocket> T verifying(T socket) {
        SSLParameters p = socket.getSSLParameters();
        p.setEndpointIdentificationAlgorithm(ENDPOINT_IDENTIFICATION);
        socket.setSSLParameters(p);
        return socket;
    }

    private static Socket verifying(Socket socket) {
        return socket instanceof SSLSocket ? verifying((SSLSocket) socket) : socket;
    }

    private static SSLEngine verifying(SSLEngine engine) {
        SSLParameters p = engine.getSSLParameters();
        p.setEndpointIdentificationAlgorithm(ENDPOINT_IDENTIFICATION);
        engine.setSSLParameters(p);
        return engine;
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext delegate;
        private final SSLSocketFactory sockets;

        Spi(SSLContext delegate) {
            this.delegate = delegate;
            this.sockets = new Sockets(delegate.getSocketFactory());
        }

        @Override
        protected void engineInit(javax.net.ssl.KeyManager[] km, javax.net.ssl.TrustManager[] tm, SecureRandom sr)
                throws KeyManagementException {
            throw new KeyManagementException("already initialised");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return sockets;
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return delegate.getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return verifying(delegate.createSSLEngine());
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return verifying(delegate.createSSLEngine(host, port));
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return delegate.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return delegate.getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            SSLParameters p = delegate.getDefaultSSLParameters();
            p.setEndpointIdentificationAlgorithm(ENDPOINT_IDENTIFICATION);
            return p;
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return delegate.getSupportedSSLParameters();
        }
    }

    private static final class Sockets extends SSLSocketFactory {
        private final SSLSocketFactory delegate;

        Sockets(SSLSocketFactory delegate) {
            this.delegate = delegate;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return delegate.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return delegate.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return verifying(delegate.createSocket(s, host, port, autoClose));
        }

        @Override
        public Socket createSocket(Socket s, InputStream consumed, boolean autoClose) throws IOException {
            // the server side of a connection: there is no host name to check
            return delegate.createSocket(s, consumed, autoClose);
        }

        @Override
        public Socket createSocket() throws IOException {
            return verifying(delegate.createSocket());
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return verifying(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return verifying(delegate.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return verifying(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return verifying(delegate.createSocket(address, port, localAddress, localPort));
        }
    }
}
