package dev.omnibus.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * A throw-away broker child process for benchmarks ({@code redis-server}, {@code nats-server}): a free loopback port,
 * a temporary dir, killed and deleted on {@link #close()}; never the machine's own broker. Not thread-safe: start and
 * close it from one thread.
 */
final class ServerProcess implements AutoCloseable {
    private static final long STARTUP_NANOS = TimeUnit.SECONDS.toNanos(20);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final String binary;
    private final Path dir;
    private final int port;
    private final Process server;
    private final Thread reaper;

    private ServerProcess(String binary, Path dir, int port, Process server) {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
        this.server = server;
        this.reaper = new Thread(server::destroyForcibly, binary + "-reaper-" + port);
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** {@code redis-server} without persistence; ready once it answers {@code PING}. */
    static ServerProcess redis() throws IOException {
        return start("redis-server", (port, dir) -> List.of("redis-server", "--port", String.valueOf(port), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no"),
                "PING\r\n", "+PONG");
    }

    /** {@code nats-server -js} with its store in the temporary dir; ready once it greets with {@code INFO}. */
    static ServerProcess nats() throws IOException {
        return start("nats-server", (port, dir) -> List.of("nats-server", "-a", "127.0.0.1", "-p",
                String.valueOf(port), "-js", "-sd", dir.resolve("store").toString()), "", "INFO");
    }

    /**
     * Starts {@code binary} with the arguments {@code command} gives for a free port and a fresh dir, and returns once a
     * connection that sends {@code probe} reads a reply starting with {@code reply}.
     */
    private static ServerProcess start(String binary, BiFunction<Integer, Path, List<String>> command, String probe,
                                       String reply) throws IOException {
        Path dir = Files.createTempDirectory("omnibus-bench-" + binary + "-");
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        File log = dir.resolve(binary + ".log").toFile();
        Process p;
        try {
            p = new ProcessBuilder(command.apply(port, dir)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + binary + " (is it installed? `apt-get install -y "
                    + binary + "`): " + e.getMessage(), e);
        }
        ServerProcess server = new ServerProcess(binary, dir, port, p);
        long start = System.nanoTime();
        while (!server.answers(probe, reply)) {
            if (!p.isAlive()) {
                String out = Files.readString(log.toPath());
                server.close();
                throw new IllegalStateException(binary + " exited with " + p.exitValue() + ": " + out);
            }
            if (System.nanoTime() - start > STARTUP_NANOS) {
                server.close();
                throw new IllegalStateException(binary + " on port " + port + " did not answer in 20 s");
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return server;
    }

    /** The loopback port the server listens on. */
    int port() {
        return port;
    }

    private boolean answers(String probe, String reply) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            s.setSoTimeout(500);
            if (!probe.isEmpty()) {
                OutputStream out = s.getOutputStream();
                out.write(probe.getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            InputStream in = s.getInputStream();
            byte[] got = in.readNBytes(reply.length());
            return new String(got, StandardCharsets.US_ASCII).equals(reply);
        } catch (IOException e) {
            return false;
        }
    }

    /** Kills the server and deletes its dir. */
    @Override
    public void close() {
        server.destroyForcibly();
        try {
            server.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs anyway
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind is harmless
        }
    }

    @Override
    public String toString() {
        return binary + " on 127.0.0.1:" + port;
    }
}
