package dev.omnibus.tck;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A throw-away broker child process for harnesses and benchmarks: free loopback ports, a temporary dir, a log file,
 * a command line (a binary, or a JVM main on this JVM's {@code java}) and a readiness probe; never a broker already
 * running on the machine. {@link #kill()} is {@code kill -9}; {@link #start()} after it, or {@link #restart()},
 * brings the broker back on the same ports and dir; {@link #stop()} kills it and deletes the dir.
 *
 * <pre>{@code
 * BrokerProcess redis = BrokerProcess.builder("redis-server")
 *         .command(p -> List.of("redis-server", "--port", String.valueOf(p.port()), "--dir", p.dir().toString()))
 *         .probe("answers PING", BrokerProcess.Probe.replies("PING\r\n", "+PONG"))
 *         .installHint("apt-get install -y redis-server")
 *         .start();
 * }</pre>
 *
 * <p>The child runs in the dir, with its standard output and error appended to {@link #log()}; each start first
 * appends a line {@code [BrokerProcess] start N ...} to it. Failures to start are {@link IllegalStateException}s
 * naming the broker, the command, the reason (not installed, exited with a code, not ready by the deadline, with the
 * probe's last error) and the log's last {@value #TAIL_LINES} lines. A JVM shutdown hook kills the child if the
 * JVM exits before {@link #stop()}.
 *
 * <p>Thread-safe: {@link #start()}, {@link #kill()}, {@link #restart()} and {@link #stop()} are synchronized (one at
 * a time; a start holds the lock until the broker is ready or has failed); ports, dir, log and command never change
 * and never block.
 */
public final class BrokerProcess {
    /** How many lines of the log a failure message shows. */
    public static final int TAIL_LINES = 40;

    /**
     * Whether a started broker is ready: called repeatedly, from the thread starting the broker, until it returns
     * {@code true} or the start deadline passes. {@code false}, or an exception, means not yet; the last exception
     * is shown if the deadline passes. A probe should bound its own blocking (a connect or read timeout of well under
     * a second), as the deadline is checked between calls.
     */
    @FunctionalInterface
    public interface Probe {
        /**
         * {@code true} once {@code broker} is ready.
         *
         * @param broker the process being started (its ports, dir and log)
         * @return whether the broker is ready
         * @throws Exception meaning not ready yet
         */
        boolean ready(BrokerProcess broker) throws Exception;

        /**
         * A probe ready once this one and then {@code next} are.
         *
         * @param next the probe asked once this one is ready
         * @return the combined probe
         */
        default Probe and(Probe next) {
            Objects.requireNonNull(next, "next");
            return broker -> ready(broker) && next.ready(broker);
        }

        /**
         * Ready once a TCP connection to {@link BrokerProcess#address()} succeeds (within 200 ms).
         *
         * @return the probe
         */
        static Probe listens() {
            return broker -> Loopback.accepts(broker.address());
        }

        /**
         * Ready once a connection to {@link BrokerProcess#address()} that sends {@code send} (US-ASCII; nothing if
         * empty) reads {@code reply} as the first bytes back within 500 ms: {@code replies("PING\r\n", "+PONG")}
         * for Redis, {@code replies("", "INFO")} for the greeting of a NATS server.
         *
         * @param send what to send first, or {@code ""}
         * @param reply the reply's expected first characters (US-ASCII), not empty
         * @return the probe
         */
        static Probe replies(String send, String reply) {
            Objects.requireNonNull(send, "send");
            if (reply == null || reply.isEmpty()) {
                throw new IllegalArgumentException("a reply to wait for is needed, got " + reply);
            }
            byte[] request = send.getBytes(StandardCharsets.US_ASCII);
            byte[] expected = reply.getBytes(StandardCharsets.US_ASCII);
            return broker -> Loopback.replies(broker.address(), request, expected);
        }

        /**
         * Ready once what the broker logged since its latest start contains {@code text} (so a restart waits for
         * the line again).
         *
         * @param text the text to wait for, e.g. {@code "Server is ready"}
         * @return the probe
         */
        static Probe logShows(String text) {
            Objects.requireNonNull(text, "text");
            return broker -> broker.logSinceStart().contains(text);
        }
    }

    /**
     * A broker process to be: {@link #build()} allocates its ports and dir, {@link #start()} also starts it.
     * Not thread-safe: configure it on one thread.
     */
    public static final class Builder {
        // package-private: BrokerChild copies what a start needs
        final String name;
        private int ports = 1;
        private Function<BrokerProcess, List<String>> command;
        String probeDescription;
        Probe probe;
        Duration startupTimeout = Duration.ofSeconds(20);
        Duration pollInterval = Duration.ofMillis(20);
        String installHint;
        private boolean keepDir;

        private Builder(String name) {
            this.name = name;
        }

        /**
         * How many free loopback ports to allocate, all different ({@link #port(int)} 0 to {@code count - 1});
         * default 1.
         *
         * @param count at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code count} is below 1
         */
        public Builder ports(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("at least one port is needed, got " + count);
            }
            this.ports = count;
            return this;
        }

        /**
         * The command line, made once from the allocated ports and dir and used for every start: a binary on the
         * {@code PATH} and its arguments, or {@link BrokerProcess#java} / {@link BrokerProcess#javaMain}. Required.
         *
         * @param command the command line for a broker's ports and dir
         * @return this builder
         */
        public Builder command(Function<BrokerProcess, List<String>> command) {
            this.command = Objects.requireNonNull(command, "command");
            return this;
        }

        /**
         * The readiness probe and what it checks, in words for failure messages ({@code "answers PING"}). Required.
         *
         * @param description what the probe checks
         * @param probe the probe
         * @return this builder
         */
        public Builder probe(String description, Probe probe) {
            this.probeDescription = Objects.requireNonNull(description, "description");
            this.probe = Objects.requireNonNull(probe, "probe");
            return this;
        }

        /**
         * How long a start waits for the probe; default 20 s.
         *
         * @param timeout positive
         * @return this builder
         */
        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = positive(timeout, "startup timeout");
            return this;
        }

        /**
         * How long a start waits between two probes (less if the process exits); default 20 ms.
         *
         * @param interval positive
         * @return this builder
         */
        public Builder pollInterval(Duration interval) {
            this.pollInterval = positive(interval, "poll interval");
            return this;
        }

        /**
         * How to install the binary, shown when it cannot be run ({@code "apt-get install -y nats-server"}).
         *
         * @param hint a command or sentence
         * @return this builder
         */
        public Builder installHint(String hint) {
            this.installHint = hint;
            return this;
        }

        /**
         * Whether {@link BrokerProcess#stop()} leaves the dir (and the log) behind, for a look after a run;
         * default {@code false}.
         *
         * @param keep {@code true} to keep the dir
         * @return this builder
         */
        public Builder keepDir(boolean keep) {
            this.keepDir = keep;
            return this;
        }

        /**
         * Allocates the ports and the dir (named {@code omnibus-<name>-*} in the system's temporary dir) and makes
         * the command line; starts nothing. What must happen before the first start (writing a configuration file
         * into the dir, formatting storage with {@link BrokerProcess#run}) happens between this and
         * {@link BrokerProcess#start()}; the caller stops the result, also if its start fails.
         *
         * @return the broker process, not started
         * @throws IOException if the dir cannot be created or no free port can be had
         * @throws IllegalStateException if the command or the probe is missing
         */
        public BrokerProcess build() throws IOException {
            if (command == null || probe == null) {
                throw new IllegalStateException("BrokerProcess " + name + " needs a command and a probe");
            }
            return new BrokerProcess(this);
        }

        /**
         * {@link #build()}, then {@link BrokerProcess#start()}; if the start fails, stops the process (deleting
         * its dir) before throwing.
         *
         * @return the broker process, ready
         * @throws IOException if the dir cannot be created or no free port can be had
         * @throws InterruptedException if interrupted while waiting for the broker (it is killed and its dir deleted)
         * @throws IllegalStateException if the broker cannot be run, exits or is not ready in time (the message
         *     names the command and shows the log's tail)
         */
        public BrokerProcess start() throws IOException, InterruptedException {
            BrokerProcess broker = build();
            try {
                broker.start();
                return broker;
            } catch (Throwable e) {
                try {
                    broker.stop();
                } catch (Throwable s) {
                    e.addSuppressed(s);
                }
                throw e;
            }
        }

        private static Duration positive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("the " + what + " must be positive, got " + d);
            }
            return d;
        }
    }

    private final String name;
    private final int[] ports;
    private final Path dir;
    private final BrokerLog log;
    private final List<String> command;
    private final boolean keepDir;
    private final BrokerChild child;
    private final Thread reaper;
    private boolean stopped;

    private BrokerProcess(Builder b) throws IOException {
        this.name = b.name;
        this.keepDir = b.keepDir;
        this.ports = Loopback.freePorts(b.ports);
        this.dir = Files.createTempDirectory("omnibus-" + fileName(name) + "-");
        this.log = new BrokerLog(dir.resolve(fileName(name) + ".log"));
        this.child = new BrokerChild(this, log, b);
        this.reaper = new Thread(child::destroy, "omnibus-broker-reaper-" + fileName(name));
        try {
            this.command = List.copyOf(b.command.apply(this));
            if (command.isEmpty()) {
                throw new IllegalStateException("BrokerProcess " + name + " got an empty command line");
            }
        } catch (RuntimeException | Error e) {
            deleteDir();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /**
     * A builder for a broker process named {@code name}, as failure messages, the dir and the log file call it.
     *
     * @param name e.g. {@code "nats-server"} or {@code "kafka"}
     * @return a new builder
     * @throws IllegalArgumentException if {@code name} is null or blank
     */
    public static Builder builder(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a broker process needs a name");
        }
        return new Builder(name);
    }

    /**
     * The first line a broker binary prints about its version ({@code redis-server --version}, say), for
     * {@link TckHarness#brokerVersion()}; {@code unknown} when the command is missing, fails or takes over five
     * seconds. Never throws.
     *
     * @param command the command line asking for the version
     * @return the first non-blank line of its output, stripped
     */
    public static String versionOf(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out;
            try (java.io.InputStream in = p.getInputStream()) {
                if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return "unknown";
                }
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            return out.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    /**
     * This JVM's {@code java} launcher followed by {@code arguments}, e.g. {@code java("-jar", jar, "--port=1")}.
     *
     * @param arguments the JVM's options and arguments
     * @return the command line
     */
    public static List<String> java(String... arguments) {
        List<String> line = new ArrayList<>();
        line.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        line.addAll(List.of(arguments));
        return line;
    }

    /**
     * A JVM main class run on this JVM's {@code java} and class path: {@code java <jvmOptions> -cp
     * <java.class.path> <mainClass> <arguments>}.
     *
     * @param jvmOptions options before the class path ({@code -Xmx512m}, {@code -Dkey=value})
     * @param mainClass the class with {@code main}
     * @param arguments the main's arguments
     * @return the command line
     */
    public static List<String> javaMain(List<String> jvmOptions, String mainClass, String... arguments) {
        List<String> line = java(jvmOptions.toArray(new String[0]));
        line.add("-cp");
        line.add(absoluteClassPath());
        line.add(mainClass);
        line.addAll(List.of(arguments));
        return line;
    }

    /**
     * This JVM's class path with every entry made absolute. Why: the child runs in its temporary directory, so an
     * entry given relative to the caller's directory ({@code java -cp bench/target/benchmarks.jar ...}) pointed
     * nowhere there, and the child failed with "Could not find or load main class".
     */
    static String absoluteClassPath() {
        StringJoiner out = new StringJoiner(File.pathSeparator);
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            try {
                out.add(Paths.get(entry).toAbsolutePath().toString());
            } catch (InvalidPathException e) {
                out.add(entry); // a wildcard entry on a platform that refuses '*' in paths: left as it is
            }
        }
        return out.toString();
    }

    /**
     * The first allocated port.
     *
     * @return a loopback port
     */
    public int port() {
        return ports[0];
    }

    /**
     * The allocated port number {@code index}.
     *
     * @param index from 0 to {@link Builder#ports(int)} - 1
     * @return a loopback port
     * @throws IndexOutOfBoundsException if fewer ports were allocated
     */
    public int port(int index) {
        return ports[Objects.checkIndex(index, ports.length)];
    }

    /**
     * {@link #port()} on the loopback address.
     *
     * @return the address the probes of {@link Probe} connect to
     */
    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port());
    }

    /**
     * The temporary dir: the child's working dir, the log's place, kept across restarts, deleted by
     * {@link #stop()}.
     *
     * @return the dir
     */
    public Path dir() {
        return dir;
    }

    /**
     * The log file in {@link #dir()} every start appends the child's output to.
     *
     * @return the log file
     */
    public Path log() {
        return log.file();
    }

    /**
     * The command line every start runs.
     *
     * @return an unmodifiable list
     */
    public List<String> command() {
        return command;
    }

    /**
     * Whether the child is running.
     *
     * @return {@code true} between a start and a kill or stop, unless the child exited by itself
     */
    public boolean isAlive() {
        return child.isAlive();
    }

    /**
     * What the child logged since its latest start ({@code ""} before the first).
     *
     * @return the text (UTF-8, malformed bytes replaced)
     * @throws IOException if the log cannot be read
     */
    public String logSinceStart() throws IOException {
        return log.sinceStart();
    }

    /**
     * Starts the command and returns once the probe says ready. Allowed before the first start and after
     * {@link #kill()} (or after the child exited); the broker comes back on the same ports and dir.
     *
     * @throws IllegalStateException if the child is running, the process was stopped, the command cannot be run
     *     (the binary is not installed: the message says so, with the install hint), the child exits before it is
     *     ready, or the probe does not say ready within the startup timeout; the child is killed then, and the
     *     message names the command and shows the log's tail
     * @throws IOException if the log cannot be written
     * @throws InterruptedException if interrupted while waiting (the child is killed)
     */
    public synchronized void start() throws IOException, InterruptedException {
        if (stopped) {
            throw new IllegalStateException(name + " was stopped; its dir " + dir + " is gone");
        }
        child.start();
    }

    /**
     * Kills the child like {@code kill -9} (its descendants too) and waits until it is gone; the ports and dir stay
     * for {@link #start()}. Nothing happens if it is not running.
     *
     * @throws IllegalStateException if the child is still there 20 s after the kill
     * @throws InterruptedException if interrupted while waiting
     */
    public synchronized void kill() throws InterruptedException {
        child.kill();
    }

    /**
     * {@link #kill()}, then {@link #start()}: the broker back on the same ports and dir, ready.
     *
     * @throws IOException if the log cannot be written
     * @throws InterruptedException if interrupted while waiting
     * @throws IllegalStateException as {@link #start()} and {@link #kill()}
     */
    public synchronized void restart() throws IOException, InterruptedException {
        kill();
        start();
    }

    /**
     * Runs a one-off command to completion in the dir, its output in {@code <what>.log} there, before a start
     * (Kafka's storage format); the broker's own command and probe are not involved.
     *
     * @param what a name for the step, as messages and the log file call it ({@code "format"})
     * @param command the command line
     * @param timeout how long it may take
     * @throws IllegalStateException if it cannot be run, exits with a code other than 0 or takes longer (it is
     *     killed then); the message names the command and shows its log's tail
     * @throws InterruptedException if interrupted while waiting (it is killed)
     */
    public void run(String what, List<String> command, Duration timeout) throws InterruptedException {
        child.runStep(what, command, dir.resolve(fileName(what) + ".log"), timeout);
    }

    /**
     * Kills the child (as {@link #kill()}) and deletes the dir unless the builder said to keep it (a file that
     * cannot be deleted is left); later calls do nothing.
     *
     * @throws InterruptedException if interrupted while waiting for the child to go (the dir is still deleted)
     * @throws IllegalStateException as {@link #kill()}
     */
    public synchronized void stop() throws InterruptedException {
        if (stopped) {
            return;
        }
        stopped = true;
        try {
            kill();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs anyway
            }
            if (!keepDir) {
                deleteDir();
            }
        }
    }

    /**
     * The name and address, e.g. {@code nats-server on 127.0.0.1:4222}.
     *
     * @return a description
     */
    @Override
    public String toString() {
        return name + " on " + address().getAddress().getHostAddress() + ":" + port();
    }

    private void deleteDir() {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temporary dir left behind is harmless
        }
    }

    private static String fileName(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]+", "-");
    }
}
