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
import java.util.stream.Stream;

/**
 * A throw-away {@code redis-server} child process for benchmarks: a free loopback port, a temporary dir, no
 * persistence ({@code --save "" --appendonly no}); never the machine's own Redis. Not thread-safe: start and close
 * it from one thread.
 */
final class RedisServerProcess implements AutoCloseable {
    private static final long STARTUP_NANOS = TimeUnit.SECONDS.toNanos(20);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final Path dir;
    private final int port;
    private final Process server;
    private final Thread reaper;

    private RedisServerProcess(Path dir, int port, Process server) {
        this.dir = dir;
        this.port = port;
        this.server = server;
        this.reaper = new Thread(server::destroyForcibly, "redis-server-reaper-" + port);
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** Starts a server and returns once it answers {@code PING}. */
    static RedisServerProcess start() throws IOException {
        Path dir = Files.createTempDirectory("omnibus-bench-redis-");
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        File log = dir.resolve("redis.log").toFile();
        Process p;
        try {
            p = new ProcessBuilder(List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--daemonize", "no"))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start redis-server (is it installed? `apt-get install -y "
                    + "redis-server`): " + e.getMessage(), e);
        }
        RedisServerProcess server = new RedisServerProcess(dir, port, p);
        long start = System.nanoTime();
        while (!server.pongs()) {
            if (!p.isAlive()) {
                String out = Files.readString(log.toPath());
                server.close();
                throw new IllegalStateException("redis-server exited with " + p.exitValue() + ": " + out);
            }
            if (System.nanoTime() - start > STARTUP_NANOS) {
                server.close();
                throw new IllegalStateException("redis-server on port " + port + " did not answer PING in 20 s");
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return server;
    }

    /** {@code redis://127.0.0.1:<port>}. */
    String url() {
        return "redis://127.0.0.1:" + port;
    }

    private boolean pongs() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            s.setSoTimeout(500);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] reply = in.readNBytes(5);
            return new String(reply, StandardCharsets.US_ASCII).equals("+PONG");
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
}
