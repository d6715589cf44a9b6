package dev.omnibus.cli;

import dev.omnibus.AckMode;
import dev.omnibus.Delivery;
import dev.omnibus.Omnibus;
import dev.omnibus.StartPosition;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.internal.Redaction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code omnibus subscribe}: prints each delivery of a topic until {@code --count} events arrived or
 * {@code --timeout} passed; not thread-safe (one instance per command line).
 */
@Command(name = "subscribe",
        description = "Subscribes to a topic and prints each delivery until --count events arrived or --timeout "
                + "passed (without either: until interrupted).",
        footer = {"%nExamples:",
                "  omnibus subscribe --url redis://localhost:6379 --topic orders.created \\",
                "      --group billing --from earliest --count 10 --timeout 30s",
                "  OMNIBUS_URL=nats://localhost:4222 omnibus subscribe --topic 'orders.>' \\",
                "      --json | jq -r .event.id"})
final class SubscribeCommand extends BusCommand {
    /** Where a new subscription starts; immutable and thread-safe. */
    enum Start {
        /** Only events published after subscribing. */
        LATEST,
        /** Every event the broker still retains (needs a backend with replay). */
        EARLIEST
    }

    @Option(names = "--topic", required = true, paramLabel = "TOPIC",
            description = "Topic, or a wildcard pattern where the backend supports it (orders.*, orders.>).")
    private String topic;

    @Option(names = "--group", paramLabel = "GROUP",
            description = "Consumer group: subscriptions of one group share the events.")
    private String group;

    @Option(names = "--count", paramLabel = "N",
            description = "Stop after N events; fewer by the --timeout: exit code 3 (none: 1).")
    private Integer count;

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "Stop after this long, e.g. 500ms, 30s, 2m (default: no limit).")
    private Duration timeout;

    @Option(names = "--from", paramLabel = "START", defaultValue = "latest",
            description = "Where to start: latest or earliest (default: ${DEFAULT-VALUE}).")
    private Start from;

    @Option(names = "--json", description = "Print one JSON object per delivery: {\"topic\",\"group\",\"attempt\","
            + "\"position\",\"event\"}, the event in the shape of the CloudEvents JSON format with its data as a "
            + "string when it is UTF-8 text, else as data_base64.")
    private boolean json;

    @Override
    protected int run(Omnibus bus) throws InterruptedException {
        long limit = count == null ? Long.MAX_VALUE : positive("--count", count);
        SubscribeOptions options = SubscribeOptions.topic(topic).ackMode(AckMode.MANUAL)
                .startAt(from == Start.EARLIEST ? StartPosition.earliest() : StartPosition.latest());
        if (group != null) {
            options = options.group(group);
        }
        AtomicLong received = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        Subscription subscription = bus.subscriber().subscribe(options, delivery -> {
            long n = received.incrementAndGet();
            if (n > limit) {
                delivery.nack();
                return;
            }
            print(delivery);
            delivery.ack();
            if (n == limit) {
                done.countDown();
            }
        });
        if (await(done, timeout, subscription) || count == null) {
            return 0;
        }
        long got = Math.min(received.get(), limit);
        return fail(got == 0 ? 1 : Main.PARTIAL, "received " + got + " of " + limit + " events within "
                + human(timeout));
    }

    private void print(Delivery delivery) {
        if (json) {
            out().println(new Json().field("topic", delivery.topic()).field("group", delivery.group())
                    .field("attempt", delivery.attempt()).field("position", delivery.position())
                    .field("event", Events.json(delivery.event())));
            return;
        }
        // everything here is the producer's: control characters are escaped so that data cannot move the cursor,
        // recolour the terminal or forge lines of this output
        out().println("topic=" + delivery.topic() + " id=" + Redaction.printable(delivery.event().getId())
                + " type=" + Redaction.printable(delivery.event().getType()) + " attempt=" + delivery.attempt()
                + " data=" + Redaction.printable(Events.dataText(delivery.event()), Integer.MAX_VALUE));
    }
}
