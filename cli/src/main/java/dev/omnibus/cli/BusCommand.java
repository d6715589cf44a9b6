package dev.omnibus.cli;

import dev.omnibus.Config;
import dev.omnibus.Omnibus;
import dev.omnibus.Subscription;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What every command shares: the connection options ({@code --url}, {@code -o key=value}), {@code --verbose},
 * the connection's lifetime and a few helpers; not thread-safe (picocli fills it, then one thread calls it).
 */
abstract class BusCommand implements Callable<Integer> {
    /** Used when neither {@code --url} nor {@code OMNIBUS_URL} gives a URL. */
    static final String DEFAULT_URL = "mem://";

    /** How often a wait looks at whether a subscription died. */
    private static final long CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    @Spec
    private CommandSpec spec;

    @ParentCommand
    private Main main;

    @Option(names = "--url", paramLabel = "URL",
            description = "Broker URL; its scheme picks the backend (default: $OMNIBUS_URL, else " + DEFAULT_URL + ").")
    private String url;

    @Option(names = {"-o", "--option"}, paramLabel = "KEY=VALUE",
            description = "Connection option, repeatable (e.g. -o publish.timeout=5s); overrides the URL query and "
                    + "OMNIBUS_* variables.")
    private Map<String, String> options = new LinkedHashMap<>();

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces of errors.")
    private boolean verbose;

    /** Connects, runs the command, and closes the connection. */
    @Override
    public final Integer call() throws Exception {
        try (Omnibus bus = Omnibus.connect(config())) {
            return run(bus);
        }
    }

    /** The command's work on an open connection; returns the exit code. */
    protected abstract int run(Omnibus bus) throws Exception;

    /** Whether {@code --verbose} was given. */
    final boolean verbose() {
        return verbose;
    }

    /** Standard output (captured in tests). */
    final PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Prints {@code message} on stderr and returns exit code 1. */
    final int fail(String message) {
        spec.commandLine().getErr().println(Main.ERROR_PREFIX + message);
        return 1;
    }

    /** Returns {@code value} if it is at least 1, else rejects {@code option} as bad input (exit code 2). */
    final int positive(String option, int value) {
        if (value < 1) {
            throw badInput(option + " must be at least 1, was " + value, null);
        }
        return value;
    }

    /** Rejects the command line as bad input (exit code 2) with {@code message}. */
    final ParameterException badInput(String message, Throwable cause) {
        return new ParameterException(spec.commandLine(), message, cause);
    }

    /**
     * Waits until {@code done} opens or {@code timeout} passes ({@code null}: no limit), looking out for
     * {@code subscriptions} that end by an error: their failure is thrown.
     *
     * @return whether {@code done} opened in time
     */
    static boolean await(CountDownLatch done, Duration timeout, Subscription... subscriptions)
            throws InterruptedException {
        long end = timeout == null ? 0 : System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = timeout == null ? CHECK_NANOS : end - System.nanoTime();
            if (done.await(Math.max(0, Math.min(left, CHECK_NANOS)), TimeUnit.NANOSECONDS)) {
                return true;
            }
            if (left <= 0) {
                return false;
            }
            for (Subscription s : subscriptions) {
                s.failure().ifPresent(error -> {
                    throw error;
                });
            }
        }
    }

    /** {@code d} as people write it: {@code 10s}, {@code 1m30s}, {@code 0.5s}. */
    static String human(Duration d) {
        return d.toString().substring(2).toLowerCase(Locale.ROOT);
    }

    private Config config() {
        Config.Builder config = Config.builder().environment(main.environment()).properties(options)
                .defaultUrl(DEFAULT_URL);
        if (url != null) {
            config.url(url);
        }
        return config.build();
    }
}
