package dev.omnibus.tck;

import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.Config;
import dev.omnibus.DeliveryHandler;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Assumptions;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a rule's tests work with (the Reactive Streams TCK's {@code TestEnvironment}): the backend's harness, the
 * kit's connection and its capabilities, and the helpers every rule shares (publish, subscribe, awaits, skips,
 * topic naming, failure messages). One per test, made by {@link OmnibusTck} for the rule the test is tagged with,
 * so failure messages name the backend and that rule without the test repeating its id. What a test opens through
 * it is closed after the test.
 *
 * <p>Its state is fixed when it is made and what it opens is kept in a concurrent list, so handlers may use it from
 * their own threads.
 */
final class Kit {
    private final Class<?> kitClass;
    private final String rule;
    private final TckHarness harness;
    private final Omnibus bus;
    private final Capabilities caps;
    private final List<AutoCloseable> cleanup;

    Kit(Class<?> kitClass, String rule, TckHarness harness, Omnibus bus, Capabilities caps,
            List<AutoCloseable> cleanup) {
        this.kitClass = kitClass;
        this.rule = rule;
        this.harness = harness;
        this.bus = bus;
        this.caps = caps;
        this.cleanup = cleanup;
    }

    /** The id of the rule the running test belongs to. */
    String rule() {
        return rule;
    }

    TckHarness harness() {
        return harness;
    }

    /** The kit's own connection, open for the whole kit class. */
    Omnibus bus() {
        return bus;
    }

    /** What the backend declared on the kit's connection. */
    Capabilities caps() {
        return caps;
    }

    static Config config(String url, Map<String, String> properties) {
        return Config.builder().url(url).properties(properties).useEnvironment(false).build();
    }

    private String backend() {
        return harness.backendName();
    }

    /** A failure message naming the backend and the rule: {@code [backend] Rxx: text}. */
    String what(String text) {
        return "[" + backend() + "] " + rule + ": " + text;
    }

    ConditionFactory await(String text) {
        return Awaitility.await(what(text)).atMost(harness.timeout()).pollInterval(Duration.ofMillis(10))
                .pollDelay(Duration.ZERO).conditionEvaluationListener(ThreadsAtTimeout.INSTANCE);
    }

    /** Waits until {@code condition} has held for {@code window} (a negative check: "nothing else happens"). */
    void assertStays(String text, Duration window, Callable<Boolean> condition) {
        Awaitility.await(what(text)).during(window).atMost(window.plus(harness.timeout()))
                .pollInterval(Duration.ofMillis(20)).until(condition);
    }

    /** Skips the test, with the denial's reason, unless the backend declares {@code capability}. */
    void requires(Capability capability) {
        Assumptions.assumeTrue(caps.has(capability), () -> backend() + " denies " + capability + ": "
                + caps.denialReason(capability));
    }

    /** Skips the test, with the harness's reason, unless the harness can restart its broker and cut connections. */
    void requiresFaults() {
        String reason = harness.faultsUnsupportedReason();
        Assumptions.assumeTrue(reason == null, () -> backend() + ": " + reason);
    }

    /** Skips the test, with the harness's reason, unless the harness can restart its broker. */
    void requiresRestart() {
        String reason = harness.restartUnsupportedReason();
        Assumptions.assumeTrue(reason == null, () -> backend() + ": " + reason);
    }

    /** Skips the test, with the harness's reason, unless the harness can inject a foreign message. */
    void requiresRaw() {
        String reason = harness.rawUnsupportedReason();
        Assumptions.assumeTrue(reason == null, () -> backend() + ": " + reason);
    }

    /** A further connection to the broker, closed after the test. */
    Omnibus connect(Map<String, String> properties) {
        return connect(harness.url(), properties);
    }

    Omnibus connect(String url, Map<String, String> properties) {
        Omnibus extra = Omnibus.connect(config(url, properties));
        cleanup.add(extra);
        return extra;
    }

    /** A fresh topic name, {@code tck.<hint>.<random>}. */
    String topic(String hint) {
        return "tck." + hint + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Subscribes on the kit's connection; the subscription is closed after the test. */
    Subscription subscribe(SubscribeOptions options, DeliveryHandler handler) {
        return subscribe(bus, options, handler);
    }

    Subscription subscribe(Omnibus on, SubscribeOptions options, DeliveryHandler handler) {
        Subscription s = on.subscriber().subscribe(options, handler);
        cleanup.add(s);
        return s;
    }

    /** A recorder that only records (auto mode acks when it returns). */
    Recorder recorder() {
        return new Recorder(d -> { });
    }

    /** Publishes on the kit's connection and waits for the receipt; fails the test if the publish fails. */
    PublishReceipt publish(String topic, CloudEvent event) {
        return publish(bus.publisher(), topic, event);
    }

    PublishReceipt publish(Publisher publisher, String topic, CloudEvent event) {
        try {
            return publisher.publish(topic, event).toCompletableFuture()
                    .get(harness.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError(what("publishing event " + event.getId() + " to " + topic + " failed: " + e
                    + "; check Backend.send"), e);
        }
    }

    /** Publishes all {@code events} at once, then waits for every receipt. */
    void publishAll(String topic, List<CloudEvent> events) {
        Publisher p = bus.publisher();
        List<CompletableFuture<PublishReceipt>> sent = new ArrayList<>();
        for (CloudEvent e : events) {
            sent.add(p.publish(topic, e).toCompletableFuture());
        }
        for (int i = 0; i < sent.size(); i++) {
            try {
                sent.get(i).get(harness.timeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new AssertionError(what("publishing event " + events.get(i).getId() + " failed: " + e), e);
            }
        }
    }

    /**
     * Waits until {@code r} has seen every one of {@code ids}; on timeout the failure says how many arrived, the first
     * missing ids and what to check.
     */
    void awaitAll(Recorder r, List<String> ids, String text) {
        awaitOrFail(harness.timeout(), () -> r.hasAll(ids), () -> {
            Set<String> missing = r.missing(ids);
            return text + ": " + (ids.size() - missing.size()) + " of " + ids.size() + " events arrived within "
                    + harness.timeout().toMillis() + "ms (" + r.size() + " deliveries); first missing: "
                    + missing.stream().limit(5).collect(Collectors.joining(", ")) + "; if this fails, check: "
                    + RuleCatalogue.CHECKS.get(rule) + " Also check what the broker buffers or drops: its queue, "
                    + "pending and payload limits, and the harness's timeout()";
        });
    }

    /**
     * Waits up to {@code atMost} until {@code done}; on timeout fails with {@code failure}'s text, computed then (so
     * it can say what arrived and what did not), naming the backend and the rule.
     */
    void awaitOrFail(Duration atMost, Callable<Boolean> done, Supplier<String> failure) {
        try {
            Awaitility.await(what("awaited")).atMost(atMost).pollInterval(Duration.ofMillis(10))
                    .pollDelay(Duration.ZERO).conditionEvaluationListener(ThreadsAtTimeout.INSTANCE).until(done);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(what(failure.get()), e);
        }
    }

    /** Publishes {@code event}, retrying retryable failures until the kit's timeout; true if it was confirmed. */
    boolean publishWithRetry(Publisher p, String topic, CloudEvent event) {
        long end = System.nanoTime() + harness.timeout().toNanos() * 2;
        while (System.nanoTime() < end) {
            try {
                p.publish(topic, event).toCompletableFuture().get(harness.timeout().toMillis() * 2,
                        TimeUnit.MILLISECONDS);
                return true;
            } catch (Exception e) {
                Throwable cause = unwrap(e);
                if (!(cause instanceof OmnibusException) || !((OmnibusException) cause).isRetryable()) {
                    throw new AssertionError(what("publish during an outage failed with an untyped or "
                            + "non-retryable error: " + cause + "; check Backend.classify"), cause);
                }
            }
        }
        return false;
    }

    /**
     * Waits until {@code r}'s subscription receives again, by publishing a probe every poll until one of them
     * arrives. After a restart or a cut the bus may be back before a subscription that has its own connection or
     * must re-subscribe is: a backend that keeps nothing for an absent subscriber owes it no event published in
     * between, so a rule publishes what it counts only after this. Probes carry ids no rule counts.
     */
    void awaitReceiving(Publisher p, String topic, Recorder r, String text) {
        List<String> sent = new CopyOnWriteArrayList<>();
        await(text).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (sent.stream().anyMatch(id -> r.count(id) > 0)) {
                return true;
            }
            CloudEvent probe = TestEvents.text(rule.toLowerCase() + "-probe-" + UUID.randomUUID(), "probe");
            if (publishWithRetry(p, topic, probe)) {
                sent.add(probe.getId());
            }
            return false;
        });
    }

    /** Publishes {@code event} to a fresh topic and checks it arrives equal, attribute by attribute. */
    CloudEvent roundTrip(CloudEvent event) {
        String t = topic(rule.toLowerCase());
        Recorder r = recorder();
        subscribe(SubscribeOptions.topic(t), r);
        publish(t, event);
        await("event " + event.getId() + " delivered").until(() -> r.size() >= 1);
        CloudEvent got = r.all().get(0).event;
        assertSameEvent(event, got);
        return got;
    }

    private void assertSameEvent(CloudEvent sent, CloudEvent got) {
        String w = what("event " + sent.getId() + " after the round trip, attribute ");
        assertThat(got.getSpecVersion()).as(w + "specversion").isEqualTo(sent.getSpecVersion());
        assertThat(got.getId()).as(w + "id").isEqualTo(sent.getId());
        assertThat(got.getSource()).as(w + "source").isEqualTo(sent.getSource());
        assertThat(got.getType()).as(w + "type").isEqualTo(sent.getType());
        assertThat(got.getSubject()).as(w + "subject").isEqualTo(sent.getSubject());
        assertThat(got.getDataSchema()).as(w + "dataschema").isEqualTo(sent.getDataSchema());
        assertThat(got.getDataContentType()).as(w + "datacontenttype").isEqualTo(sent.getDataContentType());
        assertThat(got.getTime() == null ? null : got.getTime().toInstant()).as(w + "time")
                .isEqualTo(sent.getTime() == null ? null : sent.getTime().toInstant());
        assertThat(got.getExtensionNames()).as(w + "extension names (check the binding keeps extensions)")
                .containsExactlyInAnyOrderElementsOf(sent.getExtensionNames());
        for (String name : sent.getExtensionNames()) {
            assertThat(canonical(got.getExtension(name))).as(w + "extension '" + name + "'")
                    .isEqualTo(canonical(sent.getExtension(name)));
        }
        assertThat(bytes(got)).as(w + "data bytes").isEqualTo(bytes(sent));
    }

    /** Records a figure this rule measured for the report (see {@link TckReporter#figure}). */
    void figure(String name, long value) {
        TckReporter.figure(kitClass, rule, name, value);
    }

    /** Names of live threads started since {@code before}, less the JVM's, the test tools' and the kit's own. */
    Set<String> newThreadsSince(Set<Long> before) {
        Set<String> names = new HashSet<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && !before.contains(t.getId()) && !isInfrastructure(t.getName())) {
                names.add(t.getName());
            }
        }
        return names;
    }

    private static boolean isInfrastructure(String name) {
        return name.startsWith("awaitility") || name.startsWith("ForkJoinPool") || name.startsWith("surefire")
                || name.startsWith("process reaper") || name.startsWith("Attach Listener")
                || name.startsWith("CompletableFutureDelayScheduler") || name.startsWith("junit")
                || name.startsWith("Common-Cleaner") || name.startsWith("omnibus-tck-");
    }

    static Set<Long> threadIds() {
        Set<Long> ids = new HashSet<>();
        Thread.getAllStackTraces().keySet().forEach(t -> ids.add(t.getId()));
        return ids;
    }

    /** A pool of daemon threads named {@code omnibus-tck-n}, which R12's thread check ignores. */
    static ScheduledExecutorService kitExecutor(int threads) {
        AtomicInteger n = new AtomicInteger();
        return Executors.newScheduledThreadPool(threads, r -> {
            Thread t = new Thread(r, "omnibus-tck-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Keeps a handler busy for {@code d} (simulated work, not synchronisation). */
    static void work(Duration d) throws InterruptedException {
        new CountDownLatch(1).await(d.toMillis(), TimeUnit.MILLISECONDS);
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** An extension value as text, comparable across bindings (bytes as Base64, times as instants). */
    static String canonical(Object value) {
        if (value instanceof byte[]) {
            return Base64.getEncoder().encodeToString((byte[]) value);
        }
        if (value instanceof OffsetDateTime) {
            return ((OffsetDateTime) value).toInstant().toString();
        }
        return String.valueOf(value);
    }

    static byte[] bytes(CloudEvent e) {
        CloudEventData data = e.getData();
        return data == null ? new byte[0] : data.toBytes();
    }
}
