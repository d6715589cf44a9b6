package dev.omnibus.cli;

import dev.omnibus.ConfigOption;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The {@code omnibus} command line: the root command and the entry point; not thread-safe (one instance runs one
 * command line at a time).
 *
 * <p>Exit codes (listed in every command's {@code --help}): 0 success, 1 failure (broker error, deadline passed,
 * nothing confirmed or received), 2 bad input (unknown option, invalid configuration or event), 3 partial (some but
 * not all events confirmed or received). Errors are printed as one line on stderr, with the stack trace only under
 * {@code --verbose}.
 */
@Command(name = "omnibus", scope = ScopeType.INHERIT, mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        // with scope INHERIT every subcommand lists these too
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:failed: a broker error, a deadline passed, nothing confirmed or received",
                "2:bad input: an unknown option, an invalid URL, configuration or event",
                "3:partial: some but not all events confirmed (publish, bench) or received (subscribe, bench)"},
        description = "Publish and subscribe to CloudEvents on any broker Omnibus supports; the URL scheme picks it.",
        subcommands = {DemoCommand.class, PublishCommand.class, SubscribeCommand.class, TckCommand.class,
                BenchCommand.class, BridgeCommand.class, DlqCommand.class, OutboxCommand.class, HelpCommand.class})
public final class Main {
    /** Starts every error line on stderr. */
    static final String ERROR_PREFIX = "omnibus: ";

    /** Exit code of a command that did only part of its work: some events not confirmed, or fewer received. */
    static final int PARTIAL = 3;

    /** Parses every duration option the same way as Omnibus options ({@code 500ms}, {@code 30s}, {@code PT1M}). */
    private static final ConfigOption<Duration> DURATION = ConfigOption.duration("duration", Duration.ofSeconds(10),
            Duration.ofMillis(1), Duration.ofDays(1), "a duration given on the command line");

    private final Map<String, String> environment;

    private Main(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /** Runs the command line {@code args} and exits the JVM with its exit code. */
    public static void main(String[] args) {
        System.exit(commandLine(System.getenv()).execute(args));
    }

    /**
     * A ready-to-execute command line whose commands read {@code OMNIBUS_URL} and {@code OMNIBUS_*} from
     * {@code environment} (the process environment in {@link #main}).
     */
    public static CommandLine commandLine(Map<String, String> environment) {
        return new CommandLine(new Main(environment))
                .setCaseInsensitiveEnumValuesAllowed(true)
                .registerConverter(Duration.class, Main::duration)
                .setParameterExceptionHandler(Main::badInput)
                .setExecutionExceptionHandler(Main::failed);
    }

    /** The environment the commands resolve {@link dev.omnibus.Config} from. */
    Map<String, String> environment() {
        return environment;
    }

    private static Duration duration(String raw) {
        try {
            return DURATION.parse(raw);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException("'" + raw + "' is not " + DURATION.allowed());
        }
    }

    private static int badInput(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        Scrubber scrubber = scrubber(command, List.of(args));
        StringWriter text = new StringWriter();
        PrintWriter err = new PrintWriter(text);
        err.println(ERROR_PREFIX + e.getMessage());
        UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Run '" + command.getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        command.getErr().print(scrubber.scrub(text.toString()));
        command.getErr().flush();
        return command.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** What takes the secrets of {@code args}, the environment and a command's {@code --url-file} out of text. */
    private static Scrubber scrubber(CommandLine command, List<String> args) {
        return command.getCommand() instanceof CliCommand cli ? cli.scrubber(args)
                : Scrubber.of(args, environmentOf(command));
    }

    /** The environment of the command line {@code command} belongs to. */
    static Map<String, String> environmentOf(CommandLine command) {
        CommandLine root = command;
        while (root.getParent() != null) {
            root = root.getParent();
        }
        return root.getCommand() instanceof Main main ? main.environment : Map.of();
    }

    private static int failed(Exception e, CommandLine command, ParseResult parsed) {
        Throwable error = e;
        while ((error instanceof CompletionException || error instanceof ExecutionException)
                && error.getCause() != null) {
            error = error.getCause();
        }
        // messages and stack traces may quote a client, which may quote what it was given: the secrets of this
        // command line are taken out before anything is printed
        Scrubber scrubber = scrubber(command, parsed.originalArgs());
        StringWriter text = new StringWriter();
        PrintWriter err = new PrintWriter(text);
        err.println(ERROR_PREFIX + (error instanceof OmnibusException ? error.getMessage() : error.toString()));
        if (command.getCommand() instanceof CliCommand cli && cli.verbose()) {
            error.printStackTrace(err);
        }
        err.flush();
        command.getErr().print(scrubber.scrub(text.toString()));
        command.getErr().flush();
        return isBadInput(error) ? ExitCode.USAGE : ExitCode.SOFTWARE;
    }

    private static boolean isBadInput(Throwable error) {
        return error instanceof OmnibusException omnibus
                && (omnibus.code() == ErrorCode.INVALID_CONFIG || omnibus.code() == ErrorCode.INVALID_ARGUMENT);
    }

    /** Reports the version from the jar manifest; stateless and thread-safe. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"omnibus " + (version == null ? "(development build)" : version)};
        }
    }
}
