package dev.omnibus.cli;

import dev.omnibus.Config;
import dev.omnibus.Omnibus;
import dev.omnibus.Subscription;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What every command shares, on one connection or several: {@code -o key=value}, {@code --verbose}, connecting,
 * scrubbed error output and a few helpers; not thread-safe (picocli fills it, then one thread calls it).
 * {@link BusCommand} adds {@code --url} and the connection's lifetime.
 */
abstract class CliCommand implements Callable<Integer> {
    /** How often a wait looks at whether a subscription died. */
    private static final long CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    @Spec
    private CommandSpec spec;

    @Option(names = {"-o", "--option"}, paramLabel = "KEY=VALUE",
            description = "Connection option, repeatable (e.g. -o publish.timeout=5s); overrides the URL query and "
                    + "OMNIBUS_* variables.")
    private Map<String, String> options = new LinkedHashMap<>();

    @Option(names = {"-v", "--verbose"}, description = "Print stack traces of errors.")
    private boolean verbose;

    /** Whether {@code --verbose} was given. */
    final boolean verbose() {
        return verbose;
    }

    /** Standard output (captured in tests). */
    final PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Prints {@code message} on stderr, scrubbed of the command line's secrets, and returns exit code 1. */
    final int fail(String message) {
        return fail(1, message);
    }

    /** Prints {@code message} on stderr, scrubbed of the command line's secrets, and returns {@code exitCode}. */
    final int fail(int exitCode, String message) {
        error(message);
        return exitCode;
    }

    /** Standard error (captured in tests); print only scrubbed text to it. */
    final PrintWriter errWriter() {
        return spec.commandLine().getErr();
    }

    /** Prints {@code message} as an error line on stderr, scrubbed of the command line's secrets. */
    final void error(String message) {
        spec.commandLine().getErr().println(scrubber().scrub(Main.ERROR_PREFIX + message));
    }

    /** Takes this command line's secrets out of text (see {@link #scrubber(List)}). */
    final Scrubber scrubber() {
        ParseResult parsed = spec.root().commandLine().getParseResult();
        return scrubber(parsed == null ? List.of() : parsed.originalArgs());
    }

    /** Takes the secrets of {@code args}, the environment and {@link #secrets()} out of text. */
    final Scrubber scrubber(List<String> args) {
        List<String> sources = new ArrayList<>(args);
        sources.addAll(secrets());
        return Scrubber.of(sources, Main.environmentOf(spec.commandLine()));
    }

    /** Secrets the command read from elsewhere than its arguments (a URL from a file); none by default. */
    List<String> secrets() {
        return List.of();
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

    /**
     * Connects to {@code url} ({@code null}: {@code OMNIBUS_URL}, else {@code defaultUrl}) with the {@code -o}
     * options and the {@code OMNIBUS_*} variables of the command line's environment.
     */
    final Omnibus connect(String url, String defaultUrl) {
        Config.Builder config = Config.builder().environment(Main.environmentOf(spec.commandLine()))
                .properties(options).defaultUrl(defaultUrl);
        if (url != null) {
            config.url(url);
        }
        return Omnibus.connect(config.build());
    }
}
