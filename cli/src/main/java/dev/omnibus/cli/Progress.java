package dev.omnibus.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The live progress line of {@code omnibus bench}, printed on stderr once a second while a phase runs; thread-safe.
 * While a phase runs it owns one daemon thread, {@code omnibus-bench-progress}, which asks the phase for its line.
 *
 * <p>On a terminal the line is rewritten in place ({@code \r}) and ends with a newline when the phase ends;
 * elsewhere (when forced with {@code --progress}) each line is a line of its own, so a log keeps them readable.
 */
final class Progress {
    /** One phase's progress line, asked for once a second on the progress thread. */
    @FunctionalInterface
    interface Line {
        String get();
    }

    private final PrintWriter err;
    private final boolean enabled;
    private final boolean terminal;
    private ScheduledExecutorService ticker;
    private volatile int width;

    /** A progress line on {@code err} if {@code enabled}, rewritten in place if {@code terminal}. */
    Progress(PrintWriter err, boolean enabled, boolean terminal) {
        this.err = err;
        this.enabled = enabled;
        this.terminal = terminal;
    }

    /**
     * Whether this process's stderr is a terminal. Java 17 cannot ask about stderr itself ({@code System.console()}
     * looks at stdin and stdout), so on Linux the target of file descriptor 2 decides; elsewhere the console does.
     */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return System.console() != null;
        }
    }

    /** Starts printing {@code line} once a second (stops the previous one first). */
    synchronized void start(Line line) {
        stop();
        if (!enabled) {
            return;
        }
        ticker = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "omnibus-bench-progress");
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleAtFixedRate(() -> print(line.get()), 1, 1, TimeUnit.SECONDS);
    }

    /** Stops the line; idempotent. */
    synchronized void stop() {
        if (ticker == null) {
            return;
        }
        ticker.shutdown();
        try {
            ticker.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ticker = null;
        if (terminal && width > 0) {
            err.println();
            err.flush();
        }
        width = 0;
    }

    private void print(String line) {
        synchronized (err) {
            if (terminal) {
                // padded so that a shorter line covers the previous one
                err.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
                width = Math.max(width, line.length());
            } else {
                err.println(line);
            }
            err.flush();
        }
    }
}
