package dev.omnibus.tck;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on a free loopback port between a client and its broker, to cut, stall or slow the connection;
 * thread-safe. Creates an accept thread and two pump threads per connection ({@code omnibus-fault-proxy-*}), all
 * stopped by {@link #close()}.
 *
 * <p>Modes: {@link Mode#PASS} forwards; {@link Mode#CUT} resets every open connection and refuses new ones (they
 * are accepted and closed at once) until set back; {@link Mode#STALL} keeps connections open but forwards nothing;
 * {@link Mode#SLOW} forwards each chunk after {@link #slowDelay(Duration)}.
 */
public final class FaultProxy implements AutoCloseable {
    /** How the proxy treats traffic. */
    public enum Mode {
        /** Forward everything. */
        PASS,
        /** Close every connection and refuse new ones. */
        CUT,
        /** Keep connections, forward nothing. */
        STALL,
        /** Forward with a delay per chunk. */
        SLOW
    }

    private static final AtomicLong IDS = new AtomicLong();

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Thread acceptor;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Set<Thread> pumps = ConcurrentHashMap.newKeySet();
    private final Object modeChanged = new Object();
    private volatile Mode mode = Mode.PASS;
    private volatile Duration slowDelay = Duration.ofMillis(200);
    private volatile boolean closed;

    /** Starts a proxy to {@code target} on a free loopback port. */
    public FaultProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "omnibus-fault-proxy-accept-" + IDS.incrementAndGet());
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    /** Where clients connect. */
    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
    }

    /** The current mode. */
    public Mode mode() {
        return mode;
    }

    /** Switches mode; {@link Mode#CUT} resets open connections at once. */
    public void mode(Mode next) {
        this.mode = next;
        if (next == Mode.CUT) {
            for (Socket s : sockets) {
                closeQuietly(s);
            }
        }
        synchronized (modeChanged) {
            modeChanged.notifyAll();
        }
    }

    /** The delay per chunk in {@link Mode#SLOW}. */
    public void slowDelay(Duration delay) {
        this.slowDelay = delay;
    }

    /** Open client connections. */
    public int connections() {
        return sockets.size() / 2;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (mode == Mode.CUT) {
                closeQuietly(client);
                continue;
            }
            Socket upstream = new Socket();
            try {
                upstream.connect(target, 5_000);
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(upstream);
                continue;
            }
            sockets.add(client);
            sockets.add(upstream);
            long id = IDS.incrementAndGet();
            startPump(client, upstream, "omnibus-fault-proxy-up-" + id);
            startPump(upstream, client, "omnibus-fault-proxy-down-" + id);
        }
    }

    private void startPump(Socket from, Socket to, String name) {
        Thread t = new Thread(() -> pump(from, to), name);
        t.setDaemon(true);
        pumps.add(t);
        t.start();
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                awaitForwarding();
                if (mode == Mode.CUT || closed) {
                    break;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException ignored) {
            // a cut or close ends the pump
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            sockets.remove(from);
            sockets.remove(to);
            pumps.remove(Thread.currentThread());
        }
    }

    private void awaitForwarding() throws InterruptedException, SocketException {
        synchronized (modeChanged) {
            while (mode == Mode.STALL && !closed) {
                modeChanged.wait(100);
            }
        }
        if (mode == Mode.SLOW) {
            long end = System.nanoTime() + slowDelay.toNanos();
            synchronized (modeChanged) {
                long left;
                while (mode == Mode.SLOW && !closed && (left = end - System.nanoTime()) > 0) {
                    modeChanged.wait(Math.max(1, left / 1_000_000));
                }
            }
        }
    }

    /** Stops the proxy, closes every connection and joins its threads. */
    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        synchronized (modeChanged) {
            modeChanged.notifyAll();
        }
        try {
            acceptor.join(5_000);
            for (Thread t : pumps) {
                t.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing is best effort
        }
    }
}
