package dev.omnibus.cli;

import dev.omnibus.Delivery;
import dev.omnibus.Extensions;
import dev.omnibus.Omnibus;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscriber;
import dev.omnibus.Subscription;
import dev.omnibus.SubscriptionStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code omnibus demo}: a small order-events story; not thread-safe (one instance per command line), though its
 * handlers run on the subscriptions' threads.
 *
 * <p>One publisher publishes orders to {@value #TOPIC}, each keyed by its customer. Consumer groups
 * {@code billing} and {@code shipping} both receive every order. Billing fails the first attempt of every
 * {@value #FLAKY_EVERY}th order (redelivered, then fine) and always fails the poison order in the middle, which
 * is dead-lettered to {@value #DEAD_LETTER_TOPIC} after {@value #MAX_ATTEMPTS} attempts and printed there with
 * its {@code deadletterreason}. The command waits until every order is accounted for, then prints the counts.
 */
@Command(name = "demo",
        description = {"Tells a small order-events story: one publisher, consumer groups billing and shipping, "
                + "redelivery after a failed attempt, and a poison order dead-lettered after "
                + DemoCommand.MAX_ATTEMPTS + " attempts.",
                "Runs on " + BusCommand.DEFAULT_URL + " unless --url or OMNIBUS_URL say otherwise."},
        footer = {"%nExamples:", "  omnibus demo", "  omnibus demo --url redis://localhost:6379 --events 50"})
final class DemoCommand extends BusCommand {
    static final String TOPIC = "orders.created";
    static final String DEAD_LETTER_TOPIC = "orders.created.dlq";
    static final String TYPE = "com.example.order.created";
    static final int MAX_ATTEMPTS = 3;
    static final int FLAKY_EVERY = 7;
    private static final URI SOURCE = URI.create("/demo/shop");
    private static final int CUSTOMERS = 5;
    private static final Duration DRAIN = Duration.ofSeconds(5);

    @Option(names = "--events", paramLabel = "N", defaultValue = "20",
            description = "How many orders to publish (default: ${DEFAULT-VALUE}).")
    private int events;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
            description = "Fail (exit code 1) unless every order is accounted for by then (default: ${DEFAULT-VALUE}).")
    private Duration timeout;

    private final Set<String> flaky = new HashSet<>();
    private String poison;

    @Override
    protected int run(Omnibus bus) throws InterruptedException {
        int n = positive("--events", events);
        poison = orderId((n + 1) / 2);
        for (int i = FLAKY_EVERY; i <= n; i += FLAKY_EVERY) {
            flaky.add(orderId(i));
        }
        flaky.remove(poison);
        // each order ends twice: shipped, and billed or seen on the dead-letter topic
        CountDownLatch outcomes = new CountDownLatch(2 * n);
        Subscriber subscriber = bus.subscriber();
        Subscription deadLetters = subscriber.subscribe(SubscribeOptions.topic(DEAD_LETTER_TOPIC), delivery -> {
            flow("dlq", delivery, "deadletterreason=\""
                    + delivery.event().getExtension(Extensions.DEAD_LETTER_REASON) + "\"");
            outcomes.countDown();
        });
        Subscription billing = subscriber.subscribe(SubscribeOptions.topic(TOPIC).group("billing")
                .deadLetter(DEAD_LETTER_TOPIC, MAX_ATTEMPTS), delivery -> {
                    bill(delivery);
                    outcomes.countDown();
                });
        Subscription shipping = subscriber.subscribe(SubscribeOptions.topic(TOPIC).group("shipping"), delivery -> {
            flow("shipping", delivery, "shipped");
            outcomes.countDown();
        });

        publish(bus, n);
        boolean complete = await(outcomes, timeout, billing, shipping, deadLetters);
        for (Subscription s : List.of(billing, shipping, deadLetters)) {
            s.close(DRAIN); // waits for running handlers, so the counters read below are final
        }
        summary(n, billing.stats(), shipping.stats());
        return complete ? 0 : fail(outcomes.getCount() + " of " + 2 * n + " order outcomes still missing after "
                + human(timeout));
    }

    private void publish(Omnibus bus, int n) {
        try (Publisher publisher = bus.publisher()) {
            for (int i = 1; i <= n; i++) {
                String id = orderId(i);
                String customer = String.format(Locale.ROOT, "customer-%02d", (i - 1) % CUSTOMERS + 1);
                String json = String.format(Locale.ROOT, "{\"orderId\":\"%s\",\"customerId\":\"%s\",\"amount\":%.2f}",
                        id, customer, 12.5 * i);
                out().printf("%-9s -> %s for %s%n", "publisher", id, customer);
                publisher.publish(TOPIC, Events.event(id, SOURCE, TYPE, "application/json",
                        json.getBytes(StandardCharsets.UTF_8), customer)).toCompletableFuture().join();
            }
        }
    }

    /** Billing: declines the poison order every time, and the first attempt of a flaky one. */
    private void bill(Delivery delivery) {
        String id = delivery.event().getId();
        if (id.equals(poison)) {
            flow("billing", delivery, delivery.attempt() < MAX_ATTEMPTS ? "failed: payment declined"
                    : "failed: payment declined -> dead letter");
            throw new IllegalStateException("payment declined for " + id);
        }
        if (flaky.contains(id) && delivery.attempt() == 1) {
            flow("billing", delivery, "failed: card issuer timed out");
            throw new IllegalStateException("card issuer timed out for " + id);
        }
        flow("billing", delivery, "billed");
    }

    private void flow(String consumer, Delivery delivery, String what) {
        out().printf("%-9s <- %s attempt %d %s%n", consumer, delivery.event().getId(), delivery.attempt(), what);
    }

    private void summary(int published, SubscriptionStats billing, SubscriptionStats shipping) {
        PrintWriter out = out();
        out.printf("%nsummary%n");
        out.printf("  published     %4d to %s%n", published, TOPIC);
        out.printf("  delivered     %4d (billing %d, shipping %d)%n", billing.delivered() + shipping.delivered(),
                billing.delivered(), shipping.delivered());
        out.printf("  redelivered   %4d%n", billing.redelivered() + shipping.redelivered());
        out.printf("  dead-lettered %4d to %s%n", billing.deadLettered() + shipping.deadLettered(), DEAD_LETTER_TOPIC);
    }

    private static String orderId(int number) {
        return String.format(Locale.ROOT, "order-%04d", number);
    }
}
