package dev.omnibus.cli;

import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.Publisher;
import dev.omnibus.internal.Redaction;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@code omnibus publish}: publishes one or more events to a topic and prints each receipt; not thread-safe (one
 * instance per command line).
 */
@Command(name = "publish", description = "Publishes events to a topic and prints each receipt.",
        footer = {"%nExamples:",
                "  omnibus publish --url redis://localhost:6379 --topic orders.created \\",
                "      --content-type application/json --data '{\"orderId\":\"o-1\"}' \\",
                "      --partition-key customer-7",
                "  omnibus publish --url-file ~/.omnibus-url --topic orders.created \\",
                "      --data-file order.json --json"})
final class PublishCommand extends BusCommand {
    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic to publish to.")
    private String topic;

    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "dev.omnibus.cli.message",
            description = "CloudEvents type (default: ${DEFAULT-VALUE}).")
    private String type;

    @Option(names = "--source", paramLabel = "URI", defaultValue = "/omnibus-cli",
            description = "CloudEvents source, a URI-reference (default: ${DEFAULT-VALUE}).")
    private URI source;

    @Option(names = "--id", paramLabel = "ID",
            description = "Event id (default: a random UUID per event); with --count N above 1: ID-1 to ID-N.")
    private String id;

    @ArgGroup(exclusive = true)
    private Data data;

    @Option(names = "--content-type", paramLabel = "TYPE", defaultValue = "text/plain",
            description = "Content type of the data (default: ${DEFAULT-VALUE}).")
    private String contentType;

    @Option(names = "--partition-key", paramLabel = "KEY",
            description = "Value of the partitionkey extension: events with one key keep their order.")
    private String partitionKey;

    @Option(names = "--count", paramLabel = "N", defaultValue = "1",
            description = "How many events to publish (default: ${DEFAULT-VALUE}); some not confirmed: exit code 3.")
    private int count;

    @Option(names = "--json", description = "Print one JSON object per event: {\"id\",\"topic\",\"position\","
            + "\"duplicate\"}, or {\"id\",\"topic\",\"error\":{\"code\",\"retryable\",\"message\"}} for one "
            + "not confirmed.")
    private boolean json;

    /** The event data (inline text or a file, at most one); not thread-safe, filled by picocli. */
    private static final class Data {
        @Option(names = "--data", paramLabel = "TEXT", description = "Event data, as UTF-8 text.")
        private String text;

        @Option(names = "--data-file", paramLabel = "FILE", description = "Event data, read from a file.")
        private Path file;
    }

    @Override
    protected int run(Omnibus bus) {
        int n = positive("--count", count);
        byte[] payload = payload();
        List<String> ids = new ArrayList<>(n);
        List<CompletableFuture<PublishReceipt>> sent = new ArrayList<>(n);
        int failed = 0;
        try (Publisher publisher = bus.publisher()) {
            for (int i = 1; i <= n; i++) {
                ids.add(eventId(i, n));
                sent.add(publisher.publish(topic, Events.event(ids.get(i - 1), source, type, contentType, payload,
                        partitionKey)).toCompletableFuture());
            }
            for (int i = 0; i < n; i++) {
                try {
                    print(sent.get(i).join());
                } catch (CompletionException e) {
                    failed++;
                    printFailure(ids.get(i), e.getCause() == null ? e : e.getCause());
                }
            }
        }
        if (failed == 0) {
            return 0;
        }
        // none confirmed is a failure; some is partial, so that a script can tell "retry all" from "retry some"
        return failed == n ? fail(n == 1 ? "the event was not confirmed" : "none of " + n + " events was confirmed")
                : fail(Main.PARTIAL, failed + " of " + n + " events not confirmed");
    }

    private byte[] payload() {
        if (data == null) {
            return null;
        }
        if (data.text != null) {
            return data.text.getBytes(StandardCharsets.UTF_8);
        }
        try {
            return Files.readAllBytes(data.file);
        } catch (IOException e) {
            throw badInput("cannot read --data-file '" + data.file + "' (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    private String eventId(int index, int total) {
        if (id == null) {
            return UUID.randomUUID().toString();
        }
        return total == 1 ? id : id + "-" + index;
    }

    private void print(PublishReceipt receipt) {
        if (json) {
            out().println(new Json().field("id", receipt.eventId()).field("topic", receipt.topic())
                    .field("position", receipt.position()).field("duplicate", receipt.duplicate()));
            return;
        }
        out().println("published id=" + receipt.eventId() + " topic=" + receipt.topic() + " position="
                + receipt.position() + (receipt.duplicate() ? " duplicate" : ""));
    }

    /** With --json a line on stdout, so that a script sees every event's outcome in order; else a line on stderr. */
    private void printFailure(String eventId, Throwable error) {
        String code = error instanceof OmnibusException omnibus ? omnibus.code().name() : "UNKNOWN";
        boolean retryable = error instanceof OmnibusException omnibus && omnibus.isRetryable();
        String message = scrubber().scrub(error instanceof OmnibusException ? error.getMessage() : error.toString());
        if (json) {
            out().println(new Json().field("id", eventId).field("topic", topic).field("error", new Json()
                    .field("code", code).field("retryable", retryable).field("message", message)));
        } else {
            error("event " + Redaction.printable(eventId) + " not confirmed: " + message);
        }
        if (verbose()) {
            StringWriter trace = new StringWriter();
            error.printStackTrace(new PrintWriter(trace));
            errWriter().print(scrubber().scrub(trace.toString()));
        }
    }
}
