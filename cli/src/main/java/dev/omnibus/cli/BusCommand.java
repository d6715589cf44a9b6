package dev.omnibus.cli;

import dev.omnibus.Omnibus;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A command on one connection: the URL ({@code --url} or {@code --url-file}) on top of what {@link CliCommand}
 * shares, and the connection's lifetime; not thread-safe (picocli fills it, then one thread calls it).
 */
abstract class BusCommand extends CliCommand {
    /** Used when neither {@code --url} nor {@code OMNIBUS_URL} gives a URL. */
    static final String DEFAULT_URL = "mem://";

    @Option(names = "--url", paramLabel = "URL",
            description = "Broker URL; its scheme picks the backend (default: $OMNIBUS_URL, else " + DEFAULT_URL + ").")
    private String url;

    @Option(names = "--url-file", paramLabel = "FILE",
            description = "Read the broker URL from this file (one line), so that a password in it stays out of the "
                    + "command line, the shell history and the process list; never printed. Not with --url.")
    private Path urlFile;

    /** The URL read from {@link #urlFile}, kept so that error output can be scrubbed of its secrets. */
    private String fileUrl;

    /** Connects, runs the command, and closes the connection. */
    @Override
    public final Integer call() throws Exception {
        if (url != null && urlFile != null) {
            throw badInput("give the URL with --url or --url-file, not both", null);
        }
        if (urlFile != null) {
            fileUrl = readUrlFile();
        }
        try (Omnibus bus = connect(fileUrl != null ? fileUrl : url, DEFAULT_URL)) {
            return run(bus);
        }
    }

    /** The command's work on an open connection; returns the exit code. */
    protected abstract int run(Omnibus bus) throws Exception;

    @Override
    List<String> secrets() {
        return fileUrl == null ? List.of() : List.of(fileUrl);
    }

    /** The one line of {@link #urlFile}; its content never goes into a message. */
    private String readUrlFile() {
        String content;
        try {
            content = Files.readString(urlFile, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            // the exception's message is left out: a file system error may quote what it read
            throw badInput("cannot read --url-file '" + urlFile + "' (" + e.getClass().getSimpleName() + ")", null);
        }
        if (content.isEmpty() || content.lines().count() != 1) {
            throw badInput("--url-file '" + urlFile + "' must hold the URL on one line, "
                    + (content.isEmpty() ? "it is empty" : "it has " + content.lines().count() + " lines"), null);
        }
        return content;
    }
}
