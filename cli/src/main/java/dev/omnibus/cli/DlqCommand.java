package dev.omnibus.cli;

import dev.omnibus.AckMode;
import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.Delivery;
import dev.omnibus.Extensions;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.Publisher;
import dev.omnibus.PublishReceipt;
import dev.omnibus.StartPosition;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.internal.Redaction;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * {@code omnibus dlq list|show|replay}: reads the dead letters on a dead-letter topic (events the library published
 * there with {@value Extensions#DEAD_LETTER_TOPIC}, {@value Extensions#DEAD_LETTER_REASON} and
 * {@value Extensions#DEAD_LETTER_ATTEMPTS}) and re-publishes them; not thread-safe (one instance per command line).
 *
 * <p>How each reads without taking anything from anyone: {@code list} and {@code show} read, where the backend can
 * replay, through a subscription of their own from the earliest retained event (a private consumer, group or cursor,
 * removed when it closes: acking there moves nobody else's position). Where it cannot replay, only a {@code --group}
 * that already exists keeps a backlog to read: they then read through it without acking (every event goes back to
 * the group; its attempt count grows). {@code replay} reads through a group ({@code --group}, default
 * {@value #REPLAY_GROUP}) and acks a dead letter only once its re-publish was confirmed, so a second replay
 * re-publishes only what the first did not. A read ends when nothing arrived for {@code --idle}.
 */
@Command(name = "dlq", description = {"Lists, shows and replays dead letters.",
        "Example:%n  omnibus dlq list --url redis://127.0.0.1:6379 --topic orders.created.dlq"},
        subcommands = {DlqCommand.ListCommand.class, DlqCommand.ShowCommand.class, DlqCommand.ReplayCommand.class})
final class DlqCommand implements Runnable {
    /** The group {@code replay} acks in unless {@code --group} names another. */
    static final String REPLAY_GROUP = "omnibus-dlq-replay";

    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing what to do: list, show or replay");
    }

    /** What the three share: the topic, how to read it, and when a read ends; not thread-safe. */
    abstract static class Scan extends BusCommand {
        @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "The dead-letter topic.")
        private String topic;

        @Option(names = "--idle", paramLabel = "DURATION", defaultValue = "3s",
                description = "Stop once nothing arrived for this long (default: ${DEFAULT-VALUE}).")
        private Duration idle;

        @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5m",
                description = "Stop after this long at most (default: ${DEFAULT-VALUE}).")
        private Duration timeout;

        @Option(names = "--json", description = "Print JSON (one object per line) instead of text.")
        boolean json;

        /** Seen deliveries (topic, position, id): a delivery handed back and delivered again counts once. */
        private final Set<String> seen = ConcurrentHashMap.newKeySet();
        private volatile long lastActivity;
        private volatile Omnibus bus;

        /** The group to read through, or {@code null} for a subscription of its own. */
        abstract String group();

        /** Whether reading acks (replay, or any read through a subscription of its own). */
        abstract boolean acks();

        /** Handles a dead letter seen for the first time; {@code acking}: ack it once done with it. Handler thread. */
        abstract void deadLetter(Delivery d, boolean acking);

        /** Prints the outcome once the read ended; returns the exit code. */
        abstract int finish();

        /** Checks the command's own options before anything is read; throws {@link #badInput} if one is wrong. */
        void check() {
        }

        @Override
        protected final int run(Omnibus bus) throws InterruptedException {
            check();
            this.bus = bus;
            SubscribeOptions options = options(bus);
            boolean acking = acks();
            if (!acking) {
                // nothing is settled while reading: room for every dead letter, and no redelivery meanwhile
                options = options.maxInFlight(SubscribeOptions.MAX_IN_FLIGHT_LIMIT).ackDeadline(Duration.ofHours(1));
            }
            lastActivity = System.nanoTime();
            Subscription s = bus.subscriber().subscribe(options, d -> {
                try {
                    if (seen.add(d.topic() + "\u0000" + d.position() + "\u0000" + d.event().getId())) {
                        deadLetter(d, acking);
                    } else if (acking && group() == null) {
                        d.ack();
                    }
                } finally {
                    lastActivity = System.nanoTime();
                }
            });
            try {
                long end = System.nanoTime() + timeout.toNanos();
                while (System.nanoTime() - lastActivity < idle.toNanos() && System.nanoTime() - end < 0) {
                    TimeUnit.MILLISECONDS.sleep(50);
                    s.failure().ifPresent(error -> {
                        throw error;
                    });
                }
            } finally {
                s.close(Duration.ofSeconds(30));
            }
            return finish();
        }

        /**
         * From the earliest retained event where the backend replays, else through an existing group; refused where
         * neither is possible.
         */
        private SubscribeOptions options(Omnibus bus) {
            Capabilities caps = bus.capabilities();
            SubscribeOptions o = SubscribeOptions.topic(topic).ackMode(AckMode.MANUAL);
            if (group() != null) {
                o = o.group(group());
            }
            if (caps.has(Capability.REPLAY)) {
                return o.startAt(StartPosition.earliest());
            }
            if (!caps.has(Capability.AT_LEAST_ONCE)) {
                throw badInput(bus.backend() + " keeps no events (it is at most once: nothing is stored for a later "
                        + "reader), so there are no dead letters to read back; dead-letter to a backend that keeps "
                        + "them, such as jetstream://", null);
            }
            if (group() == null || !caps.has(Capability.GROUPS)) {
                throw badInput(bus.backend() + " cannot read back events already on a topic (" + caps.denialReason(
                        Capability.REPLAY) + "): give --group, a group subscribed to " + topic
                        + " before the dead letters arrived", null);
            }
            return o;
        }

        final String topic() {
            return topic;
        }

        /** The connection being read. */
        final Omnibus bus() {
            return bus;
        }
    }

    /** {@code dlq list}: one line per dead letter; not thread-safe. */
    @Command(name = "list", description = {"Prints one line per dead letter: id, original topic, type, attempts, "
            + "position, reason. Takes nothing off the topic.",
            "Example:%n  omnibus dlq list --url jetstream://127.0.0.1:4222 --topic orders.created.dlq"})
    static final class ListCommand extends Scan {
        @Option(names = "--group", paramLabel = "GROUP",
                description = "Read through this existing group, without acking (needed where the backend "
                        + "cannot replay; default: a subscription of its own).")
        private String group;

        private final List<String> lines = new ArrayList<>();

        @Override
        String group() {
            return group;
        }

        @Override
        boolean acks() {
            return group == null;
        }

        @Override
        synchronized void deadLetter(Delivery d, boolean acking) {
            CloudEvent e = d.event();
            if (json) {
                lines.add(new Json().field("id", e.getId()).field("topic", extension(e, Extensions.DEAD_LETTER_TOPIC))
                        .field("type", e.getType()).field("attempts", extension(e, Extensions.DEAD_LETTER_ATTEMPTS))
                        .field("position", d.position()).field("reason", extension(e, Extensions.DEAD_LETTER_REASON))
                        .toString());
            } else {
                lines.add("id=" + Redaction.printable(e.getId()) + " topic=" + text(e, Extensions.DEAD_LETTER_TOPIC)
                        + " type=" + Redaction.printable(e.getType()) + " attempts="
                        + text(e, Extensions.DEAD_LETTER_ATTEMPTS) + " position=" + Redaction.printable(d.position())
                        + " reason=" + text(e, Extensions.DEAD_LETTER_REASON));
            }
            if (acking) {
                d.ack();
            }
        }

        @Override
        synchronized int finish() {
            lines.forEach(out()::println);
            if (!json) {
                out().println(lines.size() + (lines.size() == 1 ? " dead letter on " : " dead letters on ")
                        + Redaction.printable(topic()));
            }
            return 0;
        }
    }

    /** {@code dlq show}: every attribute, extension and the data of the dead letters with one id; not thread-safe. */
    @Command(name = "show", description = {"Prints the dead letter(s) with an id in full: attributes, extensions, "
            + "data (control characters escaped). Takes nothing off the topic; exit code 1 if there is none.",
            "Example:%n  omnibus dlq show --url redis://127.0.0.1:6379 --topic orders.created.dlq --id order-7"})
    static final class ShowCommand extends Scan {
        @Option(names = "--id", required = true, paramLabel = "ID", description = "The event id.")
        private String id;

        @Option(names = "--group", paramLabel = "GROUP",
                description = "Read through this existing group, without acking (as for list).")
        private String group;

        private static final List<String> ATTRIBUTE_ORDER = List.of("id", "source", "type", "specversion",
                "datacontenttype", "dataschema", "subject", "time");

        private final List<String> shown = new ArrayList<>();

        @Override
        String group() {
            return group;
        }

        @Override
        boolean acks() {
            return group == null;
        }

        @Override
        synchronized void deadLetter(Delivery d, boolean acking) {
            CloudEvent e = d.event();
            if (e.getId().equals(id)) {
                shown.add(json ? json(d) : text(d));
            }
            if (acking) {
                d.ack();
            }
        }

        /** The attributes people look for first, then any other the event's spec version has, with their values. */
        private static Map<String, String> attributes(Delivery d) {
            CloudEvent e = d.event();
            Map<String, String> a = new LinkedHashMap<>();
            for (String name : ATTRIBUTE_ORDER) {
                a.put(name, null);
            }
            for (String name : e.getAttributeNames()) {
                Object value = e.getAttribute(name);
                a.put(name, value == null ? null : value.toString());
            }
            a.values().removeIf(Objects::isNull);
            a.put("position", d.position());
            return a;
        }

        private static String json(Delivery d) {
            CloudEvent e = d.event();
            Json out = new Json();
            attributes(d).forEach(out::field);
            Json extensions = new Json();
            for (String name : e.getExtensionNames()) {
                extensions.field(name, String.valueOf(e.getExtension(name)));
            }
            out.field("extensions", extensions);
            return (e.getData() == null ? out : out.data("data", e.getData().toBytes())).toString();
        }

        private static String text(Delivery d) {
            CloudEvent e = d.event();
            StringBuilder out = new StringBuilder();
            attributes(d).forEach((name, value) -> out.append(name).append(": ")
                    .append(Redaction.printable(value, Integer.MAX_VALUE)).append('\n'));
            for (String name : e.getExtensionNames()) {
                out.append("extension ").append(Redaction.printable(name)).append(": ")
                        .append(Redaction.printable(String.valueOf(e.getExtension(name)), Integer.MAX_VALUE))
                        .append('\n');
            }
            out.append("data: ").append(Redaction.printable(Events.dataText(e), Integer.MAX_VALUE)).append('\n');
            return out.toString();
        }

        @Override
        synchronized int finish() {
            if (shown.isEmpty()) {
                return fail("no dead letter with id " + Redaction.printable(id) + " on "
                        + Redaction.printable(topic()));
            }
            for (int i = 0; i < shown.size(); i++) {
                if (i > 0 && !json) {
                    out().println();
                }
                out().print(shown.get(i));
                if (json) {
                    out().println();
                }
            }
            out().flush();
            return 0;
        }
    }

    /** {@code dlq replay}: re-publishes matching dead letters, acking each once its publish is confirmed. */
    @Command(name = "replay", description = {"Re-publishes each matching dead letter (dead-letter extensions removed, "
            + "id and everything else kept) to its original topic or --to, and acks it on the dead-letter topic only "
            + "once the publish is confirmed. Others stay for a later replay. Exit code 3 if some matching ones could "
            + "not be replayed.",
            "Example:%n  omnibus dlq replay --url redis://127.0.0.1:6379 --topic orders.created.dlq --reason timeout"})
    static final class ReplayCommand extends Scan {
        @Option(names = "--group", paramLabel = "GROUP", defaultValue = REPLAY_GROUP,
                description = "Group to read and ack through (default: ${DEFAULT-VALUE}).")
        private String group;

        @Option(names = "--reason", paramLabel = "REGEX",
                description = "Only dead letters whose reason contains a match of this regular expression.")
        private String reason;

        @Option(names = "--type", paramLabel = "TYPE", description = "Only dead letters of this event type.")
        private String type;

        @Option(names = "--to", paramLabel = "TOPIC", defaultValue = "original",
                description = "Where to: 'original' (the topic in " + Extensions.DEAD_LETTER_TOPIC + ") or a topic "
                        + "(default: ${DEFAULT-VALUE}).")
        private String to;

        private Pattern reasonPattern;
        /** Ids replayed in this run: one dead-lettered again meanwhile is not replayed twice. */
        private final Set<String> replayedIds = ConcurrentHashMap.newKeySet();
        private long replayed;
        private long skipped;
        private long notReplayed;
        private Publisher publisher;

        @Override
        String group() {
            return group;
        }

        @Override
        boolean acks() {
            return true;
        }

        @Override
        void check() {
            if (reason != null) {
                try {
                    reasonPattern = Pattern.compile(reason);
                } catch (PatternSyntaxException e) {
                    throw badInput("--reason '" + Redaction.printable(reason) + "' is not a regular expression: "
                            + e.getDescription(), e);
                }
            }
        }

        @Override
        synchronized void deadLetter(Delivery d, boolean acking) {
            CloudEvent e = d.event();
            String why = String.valueOf(e.getExtension(Extensions.DEAD_LETTER_REASON));
            if ((type != null && !type.equals(e.getType())) || (reasonPattern != null
                    && !reasonPattern.matcher(why).find()) || replayedIds.contains(e.getId())) {
                // left unsettled: handed back when the read ends, so a later replay sees it again
                skipped++;
                return;
            }
            Object original = e.getExtension(Extensions.DEAD_LETTER_TOPIC);
            String target = to.equals("original") ? (original == null ? null : original.toString()) : to;
            if (target == null) {
                notReplayed++;
                error("dead letter " + Redaction.printable(e.getId()) + " at " + Redaction.printable(d.position())
                        + " has no " + Extensions.DEAD_LETTER_TOPIC + " extension: give --to TOPIC");
                return;
            }
            CloudEvent again = CloudEventBuilder.from(e).withoutExtension(Extensions.DEAD_LETTER_REASON)
                    .withoutExtension(Extensions.DEAD_LETTER_TOPIC).withoutExtension(Extensions.DEAD_LETTER_ATTEMPTS)
                    .build();
            if (publisher == null) {
                publisher = bus().publisher();
            }
            try {
                PublishReceipt receipt = publisher.publish(target, again).toCompletableFuture().join();
                if (receipt.duplicate()) {
                    // the broker dropped it as a copy of the original (same id within its de-duplication window):
                    // nothing reached the topic, so the dead letter stays
                    notReplayed++;
                    error("dead letter " + Redaction.printable(e.getId()) + " was dropped by the broker's "
                            + "de-duplication of " + Redaction.printable(target) + " (same event id within its "
                            + "window); it stays on the dead-letter topic");
                    return;
                }
                replayedIds.add(e.getId());
                d.ack();
                replayed++;
                print(d, target, receipt);
            } catch (CompletionException | OmnibusException failed) {
                notReplayed++;
                Throwable cause = failed instanceof CompletionException && failed.getCause() != null
                        ? failed.getCause() : failed;
                error("replaying " + Redaction.printable(e.getId()) + " to "
                        + Redaction.printable(target) + " failed (it stays on the dead-letter topic): "
                        + cause.getMessage());
            }
        }

        private void print(Delivery d, String target, PublishReceipt receipt) {
            if (json) {
                out().println(new Json().field("id", d.event().getId()).field("from", d.position())
                        .field("topic", target).field("position", receipt.position()));
            } else {
                out().println("replayed id=" + Redaction.printable(d.event().getId()) + " from="
                        + Redaction.printable(d.position()) + " to=" + Redaction.printable(target) + " position="
                        + Redaction.printable(receipt.position()));
            }
        }

        @Override
        synchronized int finish() {
            if (publisher != null) {
                publisher.close();
            }
            if (!json) {
                out().println("replayed=" + replayed + " skipped=" + skipped + " not-replayed=" + notReplayed);
            }
            out().flush();
            return notReplayed > 0 ? Main.PARTIAL : 0;
        }
    }

    /** {@code e}'s extension {@code name}, or {@code null}. */
    private static String extension(CloudEvent e, String name) {
        Object value = e.getExtension(name);
        return value == null ? null : value.toString();
    }

    /** {@code e}'s extension {@code name} escaped for a line of text, or {@code -}. */
    private static String text(CloudEvent e, String name) {
        Object value = e.getExtension(name);
        return value == null ? "-" : Redaction.printable(value.toString());
    }
}
