package dev.omnibus.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** Runs the command line in-process with captured output, as the tests need it; stateless and thread-safe. */
final class Cli {
    private Cli() {
    }

    /** What one run printed and returned; immutable and thread-safe. */
    record Result(int exitCode, String out, String err) {
    }

    /** Runs {@code args} with an empty environment (no {@code OMNIBUS_*} variables leak in). */
    static Result run(String... args) {
        return run(Map.of(), args);
    }

    /** Runs {@code args} with {@code environment} as the process environment. */
    static Result run(Map<String, String> environment, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine(environment);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exitCode = cli.execute(args);
        return new Result(exitCode, out.toString(), err.toString());
    }
}
