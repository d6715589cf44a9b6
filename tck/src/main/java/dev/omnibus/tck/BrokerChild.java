package dev.omnibus.tck;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The running side of a {@link BrokerProcess}: {@link #start} launches the command in the dir, its output appended to
 * the log, and waits until the probe says ready, the child exits or the startup timeout passes (then kills it);
 * {@link #kill} is {@code kill -9} of the child and its descendants. The settings are copied from the builder, so a
 * builder changed after {@code build()} changes nothing here.
 *
 * <p>Threads: {@link #start} and {@link #kill} run under the BrokerProcess's lock, one at a time; {@link #isAlive}
 * and {@link #destroy} (the JVM shutdown hook) may run on any thread and only read the volatile process.
 */
final class BrokerChild {
    private static final Duration KILL_WAIT = Duration.ofSeconds(20);

    private final BrokerProcess broker;
    private final BrokerLog log;
    private final String name;
    private final String probeDescription;
    private final BrokerProcess.Probe probe;
    private final Duration startupTimeout;
    private final Duration pollInterval;
    private final String installHint;
    private volatile Process process;
    private int starts;

    /** Copies what a start needs from {@code settings}; starts nothing. */
    BrokerChild(BrokerProcess broker, BrokerLog log, BrokerProcess.Builder settings) {
        this.broker = broker;
        this.log = log;
        this.name = settings.name;
        this.probe = settings.probe;
        this.probeDescription = settings.probeDescription;
        this.startupTimeout = settings.startupTimeout;
        this.pollInterval = settings.pollInterval;
        this.installHint = settings.installHint;
    }

    /** See {@link BrokerProcess#start()}; the caller has checked that the broker was not stopped. */
    void start() throws IOException, InterruptedException {
        if (isAlive()) {
            throw new IllegalStateException(name + " is running (pid " + process.pid() + "); kill it first");
        }
        starts++;
        List<String> command = broker.command();
        log.markStart(starts, command);
        try {
            process = launch(command, broker.dir(), log.file());
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + name + ": " + e.getMessage()
                    + (installHint == null ? "" : " (is it installed? " + installHint + ")") + log.describe(command),
                    e);
        }
        boolean ready = false;
        try {
            awaitReady();
            ready = true;
        } finally {
            if (!ready) {
                kill();
            }
        }
    }

    /**
     * Probes until ready. The process's exit is checked before each probe, and the wait between two probes is a
     * wait for that exit, so a child that fails at once is reported at once with its exit code rather than as a
     * probe timeout. The deadline is checked between probes only: a probe bounds its own blocking.
     */
    private void awaitReady() throws InterruptedException {
        Process p = process;
        long deadline = System.nanoTime() + startupTimeout.toNanos();
        Exception lastError = null;
        while (true) {
            if (!p.isAlive()) {
                throw new IllegalStateException(name + " exited with code " + p.exitValue()
                        + " before it was ready (" + probeDescription + ")" + log.describe(broker.command()));
            }
            try {
                if (probe.ready(broker)) {
                    return;
                }
                lastError = null;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                lastError = e;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException(broker + " was not ready within " + seconds(startupTimeout) + " ("
                        + probeDescription + ")" + (lastError == null ? "" : "; the probe's last error: " + lastError)
                        + log.describe(broker.command()));
            }
            p.waitFor(Math.min(left, pollInterval.toNanos()), TimeUnit.NANOSECONDS);
        }
    }

    /** See {@link BrokerProcess#kill()}. */
    void kill() throws InterruptedException {
        Process p = process;
        if (p == null) {
            return;
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        if (!p.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(name + " (pid " + p.pid() + ") was still running " + seconds(KILL_WAIT)
                    + " after kill -9");
        }
        process = null;
    }

    boolean isAlive() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** Kills the child without waiting: the JVM shutdown hook, which must not block the JVM's exit. */
    void destroy() {
        Process p = process;
        if (p != null) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    /**
     * See {@link BrokerProcess#run}: runs a one-off {@code command} in the dir to completion, its output in
     * {@code out}; the broker's own process is not involved.
     */
    void runStep(String what, List<String> command, Path out, Duration timeout) throws InterruptedException {
        String context = "\ncommand: " + String.join(" ", command) + "\nlog (" + out + "):\n";
        Process p;
        try {
            p = launch(command, broker.dir(), out);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + what + " for " + name + ": " + e.getMessage()
                    + "\ncommand: " + String.join(" ", command), e);
        }
        boolean done = false;
        try {
            done = p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } finally {
            if (!done) {
                p.destroyForcibly();
                p.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        if (!done) {
            throw new IllegalStateException(what + " for " + name + " did not finish within " + seconds(timeout)
                    + context + BrokerLog.tail(out, BrokerProcess.TAIL_LINES));
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(what + " for " + name + " failed with exit code " + p.exitValue()
                    + context + BrokerLog.tail(out, BrokerProcess.TAIL_LINES));
        }
    }

    /** Starts {@code command} in {@code dir} with its standard output and error appended to {@code output}. */
    private static Process launch(List<String> command, Path dir, Path output) throws IOException {
        return new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
    }

    /** {@code 20 s} or {@code 1500 ms}, for messages. */
    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
