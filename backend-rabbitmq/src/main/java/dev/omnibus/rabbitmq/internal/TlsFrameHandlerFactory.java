package dev.omnibus.rabbitmq.internal;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.SocketConfigurator;
import com.rabbitmq.client.impl.FrameHandler;
import com.rabbitmq.client.impl.SocketFrameHandlerFactory;

import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;

/**
 * The client's blocking-I/O frame handlers over TLS, with one difference that makes a refused client certificate
 * readable: each TLS socket is layered over a {@link AlertKeepingSocket}, which lets the server's alert be read
 * when a write fails first.
 *
 * <p>Why: with TLS 1.3 the client's handshake ends when it has <em>sent</em> its certificate (or none) and its
 * Finished; the server checks the certificate only then. A server that refuses it (RabbitMQ with
 * {@code fail_if_no_peer_cert}, or a certificate from a CA it does not trust) sends a {@code certificate_required}
 * or {@code unknown_ca} alert and closes at once, while the client is still writing (its Finished, then the AMQP
 * header): that write fails with "connection reset", and the JDK reports the reset and never reads the alert
 * waiting in the socket's receive buffer. The caller then sees a retryable network error instead of the
 * authentication failure it is. Here a write that fails is held back until the next read, which returns the
 * alert (reported by the JDK as an {@link javax.net.ssl.SSLException} naming it) or the same reset; the caller
 * sees the server's reason when there was one and the reset otherwise.
 *
 * <p>Thread-safety: as {@link SocketFrameHandlerFactory}; a socket's failure state is guarded by the socket.
 */
final class TlsFrameHandlerFactory extends SocketFrameHandlerFactory {
    /** What the client's own factory passes for the socket frame handler's buffer size. */
    private static final int BUFFER_SIZE = 8192;

    private final SSLSocketFactory tls;

    TlsFrameHandlerFactory(int connectionTimeout, SSLSocketFactory tls, SocketConfigurator configurator) {
        super(connectionTimeout, tls, configurator, true, null, null, BUFFER_SIZE);
        this.tls = tls;
    }

    @Override
    public FrameHandler create(Address address, String connectionName) throws IOException {
        int port = ConnectionFactory.portOrDefault(address.getPort(), true);
        Socket plain = new AlertKeepingSocket();
        try {
            plain.connect(address.toInetSocketAddress(port), connectionTimeout);
            // the host name given here is the one SNI carries and the configurator's host name check verifies
            SSLSocket socket = (SSLSocket) tls.createSocket(plain, address.getHost(), port, true);
            configurator.configure(socket);
            return create(socket);
        } catch (IOException | RuntimeException e) {
            try {
                plain.close();
            } catch (IOException ignored) {
                // already failing
            }
            throw e;
        }
    }

    /**
     * A plain socket whose failed write ({@link SocketException}: reset, broken pipe) is held back until a read has
     * been made after it: the failing write and the ones after it return as if written (the peer is gone, nothing
     * more can reach it), a read goes ahead and returns what the peer sent before it went (a TLS alert) or fails,
     * and from then on every write throws the held-back failure. The client always has a read pending on its
     * connection, so a lost connection is seen as soon as before.
     */
    static final class AlertKeepingSocket extends Socket {
        private IOException writeFailure;
        private boolean readSinceFailure;
        private OutputStream out;
        private InputStream in;

        private synchronized void failed(IOException e) {
            if (writeFailure == null) {
                writeFailure = e;
            }
        }

        private synchronized void reading() {
            if (writeFailure != null) {
                readSinceFailure = true;
            }
        }

        /** True when the write should be skipped; throws when a read has already been made since the failure. */
        private synchronized boolean skipWrite() throws IOException {
            if (writeFailure == null) {
                return false;
            }
            if (readSinceFailure) {
                throw writeFailure;
            }
            return true;
        }

        @Override
        public synchronized OutputStream getOutputStream() throws IOException {
            if (out == null) {
                OutputStream raw = super.getOutputStream();
                out = new FilterOutputStream(raw) {
                    @Override
                    public void write(int b) throws IOException {
                        write(new byte[]{(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        if (skipWrite()) {
                            return;
                        }
                        try {
                            raw.write(b, off, len);
                        } catch (SocketException e) {
                            failed(e);
                        }
                    }

                    @Override
                    public void flush() throws IOException {
                        if (skipWrite()) {
                            return;
                        }
                        try {
                            raw.flush();
                        } catch (SocketException e) {
                            failed(e);
                        }
                    }
                };
            }
            return out;
        }

        @Override
        public synchronized InputStream getInputStream() throws IOException {
            if (in == null) {
                in = new FilterInputStream(super.getInputStream()) {
                    @Override
                    public int read() throws IOException {
                        try {
                            return super.read();
                        } finally {
                            reading();
                        }
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        try {
                            return super.read(b, off, len);
                        } finally {
                            reading();
                        }
                    }
                };
            }
            return in;
        }
    }
}
