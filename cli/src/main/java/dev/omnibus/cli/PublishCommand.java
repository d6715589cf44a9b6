package dev.omnibus.cli;

import dev.omnibus.Omnibus;
import dev.omnibus.PublishReceipt;
import dev.omnibus.Publisher;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * {@code omnibus publish}: publishes one or more events to a topic and prints each receipt; not thread-safe (one
 * instance per command line).
 */
@Command(name = "publish", description = "Publishes events to a topic and prints each receipt.")
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
            description = "How many events to publish (default: ${DEFAULT-VALUE}).")
    private int count;

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
        List<CompletableFuture<PublishReceipt>> sent = new ArrayList<>(n);
        try (Publisher publisher = bus.publisher()) {
            for (int i = 1; i <= n; i++) {
                sent.add(publisher.publish(topic, Events.event(eventId(i, n), source, type, contentType, payload,
                        partitionKey)).toCompletableFuture());
            }
            for (CompletableFuture<PublishReceipt> receipt : sent) {
                print(receipt.join());
            }
        }
        return 0;
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
        out().println("published id=" + receipt.eventId() + " topic=" + receipt.topic() + " position="
                + receipt.position() + (receipt.duplicate() ? " duplicate" : ""));
    }
}
