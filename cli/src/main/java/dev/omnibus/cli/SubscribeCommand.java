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
                + "passed (without either: until interrupted).")
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
            description = "Stop after N events; fewer by the --timeout is a failure (exit code 1).")
    private Integer count;

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "Stop after this long, e.g. 500ms, 30s, 2m (default: no limit).")
    private Duration timeout;

    @Option(names = "--from", paramLabel = "START", defaultValue = "latest",
            description = "Where to start: latest or earliest (default: ${DEFAULT-VALUE}).")
    private Start from;

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
        return fail("received " + received.get() + " of " + limit + " events within " + human(timeout));
    }

    private void print(Delivery delivery) {
        // everything here is the producer's: control characters are escaped so that data cannot move the cursor,
        // recolour the terminal or forge lines of this output
        out().println("topic=" + delivery.topic() + " id=" + Redaction.printable(delivery.event().getId())
                + " type=" + Redaction.printable(delivery.event().getType()) + " attempt=" + delivery.attempt()
                + " data=" + Redaction.printable(Events.dataText(delivery.event()), Integer.MAX_VALUE));
    }
}
