package dev.omnibus.nats;

import dev.omnibus.Config;
import dev.omnibus.ConnectionState;
import dev.omnibus.Delivery;
import dev.omnibus.Extensions;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.Omnibus;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.tck.FaultProxy;
import dev.omnibus.tck.IdleClose;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the kit does not cover on NATS core: foreign producers' headers, the wire mapping, subject errors. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NatsCoreIT {
    private final NatsHarness nats = new NatsHarness("nats", "");
    private Omnibus bus;

    @BeforeAll
    void startServer() throws Exception {
        nats.start();
        bus = Omnibus.connect(Config.builder().url(nats.url()).useEnvironment(false).build());
    }

    @AfterAll
    void stopServer() throws Exception {
        try {
            bus.close(Duration.ofSeconds(5));
        } finally {
            nats.stop();
        }
    }

    /**
     * Close wakes a receive waiting in jnats' {@code nextMessage} (Receiver.wakeup, an interrupt scoped to that
     * wait): 41 idle subscriptions closed one by one took 7.4 ms each before, 0.4 ms each now (2026-12-04; the bound
     * fails at half the old cost); the group member left keeps receiving. If this fails, check
     * {@code NatsCoreReceiver.wakeup} and {@code spi.InterruptibleWait}.
     */
    @Test
    void closingIdleSubscriptionsOneByOneDoesNotWaitOutTheirReceiveCalls() {
        Duration took = IdleClose.closeOneByOne(bus, topic("idle"), 40);
        assertThat(took).as("closing 41 idle subscriptions one by one: " + IdleClose.perClose(took, 41))
                .isLessThan(Duration.ofMillis(150));
    }

    private static String topic(String hint) {
        return "it." + hint + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Headers headers(String... keyValues) {
        Headers h = new Headers();
        for (int i = 0; i < keyValues.length; i += 2) {
            h.add(keyValues[i], keyValues[i + 1]);
        }
        return h;
    }

    @Test
    void messagesFromAPlainJnatsProducerAreDecodedOrDeliveredRawAndNeverStopTheSubscription() throws Exception {
        String t = topic("foreign");
        List<Delivery> seen = new CopyOnWriteArrayList<>();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t), seen::add);
        try {
            nats.publishRaw(t, headers("Ce-SpecVersion", "1.0", "CE-ID", "\"hand-1\"", "ce-source", "/legacy",
                    "ce-type", "legacy.event", "content-type", "text/plain", "ce-note", "caf%C3%A9"), b("hand made"));
            nats.publishRaw(t, new Headers(), b("{\"no\":\"headers\"}"));
            nats.publishRaw(t, headers("ce-specversion", "1.0", "ce-id", "%C3%28", "ce-source", "/x", "ce-type", "t"),
                    b("invalid utf-8 in ce-id"));
            nats.publishRaw(t, headers("content-type", "application/cloudevents+json"), b("{truncated"));
            CloudEvent after = CloudEventBuilder.v1().withId("valid-after").withSource(URI.create("/it"))
                    .withType("t").build();
            bus.publisher().publish(t, after).toCompletableFuture().join();

            Awaitility.await("all five messages delivered").atMost(Duration.ofSeconds(15)).until(() -> seen.size() == 5);
            CloudEvent hand = seen.get(0).event();
            assertThat(seen.get(0).isRaw()).isFalse();
            assertThat(hand.getId()).isEqualTo("hand-1");
            assertThat(hand.getDataContentType()).isEqualTo("text/plain");
            assertThat(hand.getExtension("note")).isEqualTo("café");
            assertThat(seen.subList(1, 4)).allMatch(Delivery::isRaw)
                    .allSatisfy(d -> assertThat(d.event().getType()).isEqualTo(Extensions.RAW_EVENT_TYPE));
            assertThat(seen.get(1).event().getData().toBytes()).isEqualTo(b("{\"no\":\"headers\"}"));
            assertThat(seen.get(4).event().getId()).isEqualTo("valid-after");
            assertThat(s.isActive()).isTrue();
            assertThat(s.stats().invalid()).isEqualTo(3);
        } finally {
            s.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void eventsGoOnTheWireAsBinaryModeCeHeaders() throws Exception {
        String t = topic("wire");
        io.nats.client.Subscription raw = nats.rawConnection().subscribe(t);
        nats.rawConnection().flush(Duration.ofSeconds(5));
        CloudEvent e = CloudEventBuilder.v1().withId("w 1").withSource(URI.create("/shop")).withType("order.created")
                .withSubject("Grüße").withData("application/json", b("{\"a\":1}")).build();
        bus.publisher().publish(t, e).toCompletableFuture().join();
        Message m = raw.nextMessage(Duration.ofSeconds(10));
        assertThat(m).as("the raw subscriber got the event").isNotNull();
        assertThat(m.getData()).isEqualTo(b("{\"a\":1}"));
        Headers h = m.getHeaders();
        assertThat(h.getFirst("ce-id")).isEqualTo("w%201");
        assertThat(h.getFirst("ce-subject")).isEqualTo("Gr%C3%BC%C3%9Fe");
        assertThat(h.getFirst("ce-datacontenttype")).isEqualTo("application/json");
        raw.unsubscribe();
    }

    @Test
    void structuredPublishersAndBinarySubscribersInteroperate() {
        String t = topic("structured");
        try (Omnibus structured = Omnibus.connect(Config.builder().url(nats.url() + "?structured=true")
                .useEnvironment(false).build())) {
            List<Delivery> seen = new CopyOnWriteArrayList<>();
            Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t), seen::add);
            CloudEvent e = CloudEventBuilder.v1().withId("st-1").withSource(URI.create("/shop")).withType("t")
                    .withExtension("tenant", "acme").withData("text/plain", b("hello")).build();
            CloudEvent json = CloudEventBuilder.v1(e).withId("st-2").withData("application/json", b("{ \"a\" : 1.50,\n \"b\": 1E2 }"))
                    .build();
            structured.publisher().publish(t, e).toCompletableFuture().join();
            structured.publisher().publish(t, json).toCompletableFuture().join();
            Awaitility.await("structured events delivered").atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
            assertThat(seen.get(0).isRaw()).isFalse();
            assertThat(seen.get(0).event().getExtension("tenant")).isEqualTo("acme");
            assertThat(seen.get(0).event().getData().toBytes()).isEqualTo(b("hello"));
            // byte for byte: the JSON format alone would reprint 1.50 as 1.5 and 1E2 as 100.0 (StructuredJson)
            assertThat(seen.get(1).event().getData().toBytes()).isEqualTo(b("{ \"a\" : 1.50,\n \"b\": 1E2 }"));
            s.close(Duration.ofSeconds(5));
        }
    }

    @Test
    void invalidSubjectsAreRefusedNamingWhatIsWrongAndWhatIsAllowed() {
        CloudEvent e = CloudEventBuilder.v1().withId("bad").withSource(URI.create("/it")).withType("t").build();
        assertThatThrownBy(() -> bus.publisher().publish("orders created", e))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("space")
                .hasMessageContaining("portable topic");
        assertThatThrownBy(() -> bus.publisher().publish("orders.*", e))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("wildcard");
        assertThatThrownBy(() -> bus.publisher().publish("orders..created", e))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("empty token");
        assertThatThrownBy(() -> bus.subscriber().subscribe(SubscribeOptions.topic("orders.>.x"), d -> { }))
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("last token");
    }

    @Test
    void queueGroupMembersShareAndUngroupedSubscribersSeeEverything() {
        String t = topic("queue");
        List<String> a = new CopyOnWriteArrayList<>();
        List<String> b = new CopyOnWriteArrayList<>();
        List<String> all = new CopyOnWriteArrayList<>();
        List<Subscription> subs = List.of(
                bus.subscriber().subscribe(SubscribeOptions.topic(t).group("g"), d -> a.add(d.event().getId())),
                bus.subscriber().subscribe(SubscribeOptions.topic(t).group("g"), d -> b.add(d.event().getId())),
                bus.subscriber().subscribe(SubscribeOptions.topic(t), d -> all.add(d.event().getId())));
        for (int i = 0; i < 50; i++) {
            bus.publisher().publish(t, CloudEventBuilder.v1().withId("q-" + i).withSource(URI.create("/it"))
                    .withType("t").build()).toCompletableFuture().join();
        }
        Awaitility.await("50 events across the group and 50 to the ungrouped subscriber")
                .atMost(Duration.ofSeconds(10)).until(() -> a.size() + b.size() == 50 && all.size() == 50);
        assertThat(a).doesNotContainAnyElementsOf(b);
        assertThat(all.stream().distinct().collect(Collectors.toList())).hasSize(50);
        subs.forEach(s -> s.close(Duration.ofSeconds(5)));
    }

    /**
     * Repeated kill -9 and immediate restarts, then connection cuts, under steady publishing: after each fault the
     * connection confirms publishes and the subscription receives again within seconds. (Three full test runs in
     * a row once saw publishes unconfirmed for 150–170 s after a restart and a subscription that never resumed
     * after a cut: the connector flushed inside jnats' reconnect callback.) Pings every 2 s so that a half-open
     * connection is noticed within seconds; the connection's state changes are printed on failure.
     */
    @Test
    void repeatedKillsAndCutsUnderSteadyTrafficResumeWithinSeconds() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        try (FaultProxy proxy = new FaultProxy(nats.brokerAddress());
             Omnibus faulty = Omnibus.connect(Config.builder().url(nats.url(proxy.address()))
                     .property("publish.timeout", "2s").property("ping.interval", "2s").useEnvironment(false)
                     .build())) {
            faulty.onConnectionStateChange((state, cause) -> events.add(System.nanoTime() / 1_000_000 % 1_000_000
                    + "ms " + state + (cause == null ? "" : " (" + cause + ")")));
            String t = topic("faults");
            List<String> received = new CopyOnWriteArrayList<>();
            faulty.subscriber().subscribe(SubscribeOptions.topic(t), d -> received.add(d.event().getId()));
            AtomicBoolean publishing = new AtomicBoolean(true);
            Thread steady = new Thread(() -> {
                int i = 0;
                while (publishing.get()) {
                    try {
                        faulty.publisher().publish(t, event("steady-" + i++)).toCompletableFuture()
                                .get(5, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        // publishes during a fault fail typed or time out; the rounds below check recovery
                    }
                }
            }, "omnibus-tck-nats-steady");
            steady.start();
            try {
                for (int round = 1; round <= 6; round++) {
                    if (round <= 3) {
                        nats.restartBroker();
                    } else {
                        proxy.mode(FaultProxy.Mode.CUT);
                        Awaitility.await("the cut is noticed").atMost(Duration.ofSeconds(15))
                                .until(() -> faulty.connectionState() == ConnectionState.DISCONNECTED);
                        proxy.mode(FaultProxy.Mode.PASS);
                    }
                    String probe = "probe-" + round + "-" + UUID.randomUUID();
                    AtomicReference<String> lastProbe = new AtomicReference<>("none yet");
                    try {
                        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                                .until(() -> {
                                    try {
                                        faulty.publisher().publish(t, event(probe)).toCompletableFuture()
                                                .get(2, TimeUnit.SECONDS);
                                        lastProbe.set("confirmed, received: " + received.contains(probe));
                                    } catch (Exception e) {
                                        lastProbe.set("failed: " + e);
                                        return false;
                                    }
                                    return received.contains(probe);
                                });
                    } catch (ConditionTimeoutException e) {
                        // the events and the probe's last outcome as they were at the deadline, not at the start
                        throw new AssertionError("round " + round + " (" + (round <= 3 ? "kill -9 and restart"
                                : "cut") + "): no publish confirmed and received again within 30 s; state "
                                + faulty.connectionState() + ", last probe " + lastProbe.get() + ", received "
                                + received.size() + ", connection events " + events + "; NATS threads: "
                                + natsThreads(), e);
                    }
                }
            } finally {
                publishing.set(false);
                steady.join(10_000);
            }
        }
    }

    /**
     * A PING jnats lost is healed: its pong future stays queued with no PING to answer it, so each PONG completes the
     * flush before and every flush would time out for good on a working connection (CI saw exactly that after a
     * burst of publishes: 17 kit tests failed their first publish, the connection up throughout). A flush that times
     * out on a connection that stayed up makes jnats reconnect, which drops the stale future. The lost PING is
     * simulated by queueing a future into jnats' pong queue; jnats' own pings are off (1 h) so that only the heal can
     * help. If this fails, check {@code PingFlush.flush} and {@code PingFlush.heal}.
     */
    @Test
    void aPingJnatsLostDoesNotFailEveryLaterPublish() throws Exception {
        try (Omnibus b = Omnibus.connect(Config.builder().url(nats.url()).property("publish.timeout", "2s")
                .property("ping.interval", "1h").useEnvironment(false).build())) {
            String t = topic("lostping");
            List<String> received = new CopyOnWriteArrayList<>();
            b.subscriber().subscribe(SubscribeOptions.topic(t), d -> received.add(d.event().getId()));
            b.publisher().publish(t, event("before")).toCompletableFuture().get(5, TimeUnit.SECONDS);

            JnatsInternals.loseAPing(b);

            Awaitility.await("a publish confirmed and received after the lost PING").atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                        String id = "after-" + UUID.randomUUID();
                        try {
                            b.publisher().publish(t, event(id)).toCompletableFuture().get(3, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            throw new AssertionError("last publish: " + e);
                        }
                        Awaitility.await().atMost(Duration.ofSeconds(2)).until(() -> received.contains(id));
                    });
            assertThat(b.connectionState()).isNotEqualTo(ConnectionState.CLOSED);
        }
    }

    /**
     * The threads in jnats or this backend with their top frames, so that a reconnect that never completes shows
     * where it waits (one such failure in CI, not reproduced in 200 local rounds).
     */
    private static String natsThreads() {
        StringBuilder out = new StringBuilder();
        Thread.getAllStackTraces().forEach((thread, frames) -> {
            boolean nats = false;
            for (StackTraceElement f : frames) {
                nats |= f.getClassName().startsWith("io.nats.") || f.getClassName().startsWith("dev.omnibus.nats.");
            }
            if (!nats) {
                return;
            }
            out.append("\n  ").append(thread.getName()).append(' ').append(thread.getState());
            for (int i = 0; i < Math.min(frames.length, 12); i++) {
                out.append("\n    at ").append(frames[i]);
            }
        });
        return out.toString();
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/it")).withType("t").build();
    }
}
