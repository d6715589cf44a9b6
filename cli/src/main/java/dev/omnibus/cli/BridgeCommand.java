package dev.omnibus.cli;

import dev.omnibus.Bridge;
import dev.omnibus.Omnibus;
import dev.omnibus.StartPosition;
import dev.omnibus.internal.Redaction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code omnibus bridge}: runs a {@link Bridge} from {@code --from} to {@code --to} until SIGTERM/SIGINT,
 * {@code --count} or {@code --timeout}, then drains and prints its counters; not thread-safe (one instance per
 * command line). Adds a JVM shutdown hook while it runs, so that a signal drains the bridge rather than cutting it.
 */
@Command(name = "bridge",
        description = {"Consumes a topic on one broker and publishes every event, id and attributes kept, to "
                + "another, acking the source only after the destination confirmed. Runs until SIGTERM/SIGINT (then "
                + "drains and prints the counters), --count published events or --timeout.",
                "Fewer than --count by --timeout is exit code 1; a drain that did not finish is 3 (those events stay "
                        + "on the source). Credentials in the URLs are never printed.",
                "Example:%n  omnibus bridge --from kafka://127.0.0.1:9092 --to jetstream://127.0.0.1:4222 "
                        + "--topic 'orders.>' --group to-nats --to-topic 'mirror.{topic}'"})
final class BridgeCommand extends CliCommand {
    /** How often the main thread looks at the counters and the source subscription. */
    private static final long CHECK_MILLIS = 100;

    @Option(names = "--from", required = true, paramLabel = "URL", description = "Source broker URL (consumed).")
    private String from;

    @Option(names = "--to", required = true, paramLabel = "URL", description = "Destination broker URL (published).")
    private String to;

    @Option(names = "--topic", required = true, paramLabel = "PATTERN",
            description = "Source topic, or a wildcard pattern where the source supports it (orders.*, orders.>).")
    private String topic;

    @Option(names = "--group", paramLabel = "GROUP",
            description = "Source consumer group: a restarted bridge resumes where the last one stopped.")
    private String group;

    @Option(names = "--to-topic", paramLabel = "TEMPLATE",
            description = "Destination topic; {topic} stands for the source topic (default: {topic}).")
    private String toTopic;

    @Option(names = "--start", paramLabel = "START", defaultValue = "latest",
            description = "Where a new source subscription or group starts: latest or earliest "
                    + "(default: ${DEFAULT-VALUE}).")
    private SubscribeCommand.Start start;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "" + Bridge.DEFAULT_CONCURRENCY,
            description = "Events published at once; one ordering key always uses one (default: ${DEFAULT-VALUE}).")
    private int concurrency;

    @Option(names = "--count", paramLabel = "N",
            description = "Stop once N events were published (a few more may be, by then); fewer by the --timeout "
                    + "is a failure (exit code 1).")
    private Integer count;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Stop after this long (default: no limit).")
    private Duration timeout;

    @Option(names = "--drain", paramLabel = "DURATION", defaultValue = "30s",
            description = "On stop, how long to wait for events being published (default: ${DEFAULT-VALUE}).")
    private Duration drain;

    @Option(names = "--json", description = "Print the counters as one JSON object (and nothing else on stdout).")
    private boolean json;

    @Override
    public Integer call() throws Exception {
        long limit = count == null ? Long.MAX_VALUE : positive("--count", count);
        positive("--concurrency", concurrency);
        if (from.equals(to) && (toTopic == null || toTopic.equals(Bridge.TOPIC_PLACEHOLDER))) {
            throw badInput("--from and --to are the same broker: give a --to-topic other than "
                    + Bridge.TOPIC_PLACEHOLDER + " (else every event goes back where it came from)", null);
        }
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        // a signal starts the JVM's shutdown: the hook asks the main thread to drain and waits until it printed the
        // counters, since the JVM halts as soon as every hook returned
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                finished.await(drain.toMillis() + TimeUnit.SECONDS.toMillis(10), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "omnibus-bridge-shutdown");
        long started = System.nanoTime();
        try (Omnibus source = connect(from, from); Omnibus destination = connect(to, to)) {
            Bridge.Builder builder = Bridge.builder().from(source).to(destination).topic(topic)
                    .concurrency(concurrency)
                    .startAt(start == SubscribeCommand.Start.EARLIEST ? StartPosition.earliest()
                            : StartPosition.latest());
            if (group != null) {
                builder.group(group);
            }
            if (toTopic != null) {
                builder.toTopic(toTopic);
            }
            Bridge bridge = builder.build();
            if (!json) {
                out().println("bridging " + Redaction.url(from) + " topic " + Redaction.printable(topic)
                        + (group == null ? "" : " group " + Redaction.printable(group)) + " -> "
                        + Redaction.url(to) + " topic " + Redaction.printable(toTopic == null
                        ? Bridge.TOPIC_PLACEHOLDER : toTopic));
                out().flush();
            }
            Runtime.getRuntime().addShutdownHook(hook);
            bridge.start();
            String outcome = runUntilStopped(bridge, stop, limit);
            boolean drained = bridge.close(drain);
            printCounters(bridge.stats(), Duration.ofNanos(System.nanoTime() - started));
            bridge.failure().ifPresent(error -> {
                throw error;
            });
            if (!drained) {
                return fail(Main.PARTIAL, bridge.stats().inFlight() + " events were still being published after the "
                        + human(drain) + " drain; the source delivers them again");
            }
            return outcome == null ? 0 : fail(outcome);
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it returns once finished opened
            }
        }
    }

    /** Waits for a stop; returns why it failed ({@code null}: it did not). */
    private String runUntilStopped(Bridge bridge, CountDownLatch stop, long limit) throws InterruptedException {
        long end = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        while (!stop.await(CHECK_MILLIS, TimeUnit.MILLISECONDS)) {
            if (bridge.stats().published() >= limit || !bridge.isRunning()) {
                return null;
            }
            if (System.nanoTime() - end >= 0) {
                return count == null ? null : "published " + bridge.stats().published() + " of " + limit
                        + " events within " + human(timeout);
            }
        }
        return null;
    }

    private void printCounters(Bridge.Stats stats, Duration elapsed) {
        if (json) {
            out().println(new Json().field("consumed", stats.consumed()).field("published", stats.published())
                    .field("duplicates", stats.duplicates()).field("failed", stats.failed())
                    .field("inFlight", (long) stats.inFlight()).field("elapsedMillis", elapsed.toMillis()));
        } else {
            out().println("consumed=" + stats.consumed() + " published=" + stats.published() + " duplicates="
                    + stats.duplicates() + " failed=" + stats.failed() + " in-flight=" + stats.inFlight()
                    + " elapsed=" + human(elapsed.truncatedTo(ChronoUnit.MILLIS)));
        }
        out().flush();
    }
}
