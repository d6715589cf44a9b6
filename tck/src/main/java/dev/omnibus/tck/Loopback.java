package dev.omnibus.tck;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The loopback network side of {@link BrokerProcess}: free ports for a broker, and the socket checks behind
 * {@link BrokerProcess.Probe#listens()} and {@link BrokerProcess.Probe#replies}. Stateless; any thread.
 */
final class Loopback {
    /** A probe's connect timeout: a broker on loopback that is listening accepts at once. */
    private static final int CONNECT_MS = 200;
    /** How long a reply probe waits for the first bytes back. */
    private static final int READ_MS = 500;

    private Loopback() {
    }

    /**
     * {@code count} different free loopback ports. All are bound at once before any is released, so they differ;
     * another process may still take one before the broker binds it, which a broker's start then reports.
     */
    static int[] freePorts(int count) throws IOException {
        List<ServerSocket> held = new ArrayList<>();
        try {
            int[] found = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                held.add(s);
                found[i] = s.getLocalPort();
            }
            return found;
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }

    /** True once a TCP connection to {@code address} succeeds; throws (not yet) otherwise. */
    static boolean accepts(InetSocketAddress address) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(address, CONNECT_MS);
            return true;
        }
    }

    /** Connects, sends {@code request} (if any), and tells whether the first bytes back are {@code expected}. */
    static boolean replies(InetSocketAddress address, byte[] request, byte[] expected) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(address, CONNECT_MS);
            s.setSoTimeout(READ_MS);
            if (request.length > 0) {
                OutputStream out = s.getOutputStream();
                out.write(request);
                out.flush();
            }
            InputStream in = s.getInputStream();
            return Arrays.equals(in.readNBytes(expected.length), expected);
        }
    }
}
