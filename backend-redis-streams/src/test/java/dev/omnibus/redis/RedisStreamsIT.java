package dev.omnibus.redis;

import dev.omnibus.AckMode;
import dev.omnibus.Capability;
import dev.omnibus.Config;
import dev.omnibus.ConnectionState;
import dev.omnibus.Delivery;
import dev.omnibus.Extensions;
import dev.omnibus.InvalidMessagePolicy;
import dev.omnibus.Omnibus;
import dev.omnibus.PublishReceipt;
import dev.omnibus.StartPosition;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.tck.FaultProxy;
import dev.omnibus.tck.IdleClose;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** What the kit does not cover: crashed members, foreign producers, the wire mapping, lost groups, trimming. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisStreamsIT {
    private static final Duration DEADLINE = Duration.ofSeconds(1);

    private final RedisHarness redis = new RedisHarness();
    private final List<AutoCloseable> opened = new ArrayList<>();
    private Omnibus bus;

    @BeforeAll
    void startServer() throws Exception {
        redis.start();
        bus = connect(redis.url());
    }

    @AfterAll
    void stopServer() throws Exception {
        try {
            bus.close(Duration.ofSeconds(5));
        } finally {
            redis.stop();
        }
    }

    @AfterEach
    void closeWhatTheTestOpened() throws Exception {
        Collections.reverse(opened);
        for (AutoCloseable c : opened) {
            if (c instanceof Omnibus) {
                ((Omnibus) c).close(Duration.ofSeconds(5));
            } else {
                c.close();
            }
        }
        opened.clear();
    }

    private Omnibus connect(String url) {
        return Omnibus.connect(Config.builder().url(url).useEnvironment(false).build());
    }

    private Omnibus open(String url) {
        Omnibus o = connect(url);
        opened.add(o);
        return o;
    }

    /**
     * Close ends a member's blocked {@code XREADGROUP} with {@code CLIENT UNBLOCK} (Receiver.wakeup): 41 idle
     * subscriptions closed one by one took 185 ms each before (the read's {@code BLOCK} and its slack), 2.9 ms each
     * now (2026-12-04; the bound fails at a sixth of the old cost); the group member left keeps receiving. If this
     * fails, check {@code RedisReceiver.wakeup} and that the reading connection's {@code CLIENT ID} is asked ahead of
     * each blocking read.
     */
    @Test
    void closingIdleSubscriptionsOneByOneDoesNotWaitOutTheirReceiveCalls() {
        Duration took = IdleClose.closeOneByOne(bus, topic("idle"), 40);
        assertThat(took).as("closing 41 idle subscriptions one by one: " + IdleClose.perClose(took, 41))
                .isLessThan(Duration.ofMillis(1200));
    }

    private static String topic(String hint) {
        return "it." + hint + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/it")).withType("dev.omnibus.it")
                .withData("text/plain", id.getBytes(StandardCharsets.UTF_8)).build();
    }

    private static PublishReceipt publish(Omnibus on, String topic, CloudEvent e) {
        return on.publisher().publish(topic, e).toCompletableFuture().join();
    }

    private static ConditionFactory await(String what) {
        return Awaitility.await(what).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(10));
    }

    private RedisCommands<byte[], byte[]> raw() {
        return redis.rawConnection().sync();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, String> fields(StreamMessage<byte[], byte[]> m) {
        Map<String, String> out = new LinkedHashMap<>();
        m.getBody().forEach((k, v) -> out.put(new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void aMemberThatDiesHoldingPendingEntriesHasThemRedeliveredToAnotherMemberAfterTheAckDeadline() throws Exception {
        String t = topic("crash");
        try (FaultProxy proxy = new FaultProxy(redis.brokerAddress())) {
            Omnibus doomed = open(redis.url(proxy.address()));
            List<String> held = new CopyOnWriteArrayList<>();
            doomed.subscriber().subscribe(SubscribeOptions.topic(t).group("workers").ackMode(AckMode.MANUAL)
                    .ackDeadline(DEADLINE), d -> held.add(d.event().getId()));
            List<String> ids = List.of("c-1", "c-2", "c-3");
            for (String id : ids) {
                publish(bus, t, event(id));
            }
            await("the doomed member holds every entry unacked").until(() -> held.containsAll(ids));
            proxy.mode(FaultProxy.Mode.CUT);
            long died = System.nanoTime();

            Map<String, Integer> attempts = new ConcurrentHashMap<>();
            Map<String, Long> at = new ConcurrentHashMap<>();
            Subscription survivor = bus.subscriber().subscribe(SubscribeOptions.topic(t).group("workers")
                    .ackDeadline(DEADLINE), d -> {
                        attempts.put(d.event().getId(), d.attempt());
                        at.put(d.event().getId(), System.nanoTime());
                    });
            opened.add(() -> survivor.close(Duration.ofSeconds(5)));
            await("the survivor takes over the dead member's pending entries").until(() -> attempts.keySet().containsAll(ids));
            assertThat(attempts).as("delivery count of the taken-over entries").containsOnly(
                    Map.entry("c-1", 2), Map.entry("c-2", 2), Map.entry("c-3", 2));
            for (long when : at.values()) {
                assertThat(Duration.ofNanos(when - died)).as("taken over no earlier than the ack deadline")
                        .isGreaterThanOrEqualTo(DEADLINE.minusMillis(100));
            }
            await("the survivor's acks empty the group's pending list").until(() ->
                    raw().xpending(b(t), b("workers")).getCount() == 0);
        }
    }

    /**
     * A backlog read in full batches triggers the receiver's read-ahead; with handlers on four lanes the in-flight
     * limit then lets a receive take only part of what was read ahead, so the rest is kept until there is room. Kept
     * entries must be delivered once each and never taken over by XAUTOCLAIM while they wait. (The handler work is
     * sized so that nothing waits in the library's lanes past the ack deadline: an event still queued there at its
     * deadline is redelivered by design.)
     */
    @Test
    void entriesReadAheadBeyondTheInFlightLimitAreDeliveredOnceEvenWhenTheyWaitPastTheAckDeadline() {
        String t = topic("read-ahead");
        int total = 1200;
        writeBacklog(t, "ra-", total);
        Map<String, Integer> seen = new ConcurrentHashMap<>();
        List<String> repeated = new CopyOnWriteArrayList<>();
        AtomicInteger laterAttempts = new AtomicInteger();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t).group("g")
                .startAt(StartPosition.earliest()).concurrency(4).maxInFlight(300)
                .ackDeadline(DEADLINE), d -> {
                    if (seen.merge(d.event().getId(), 1, Integer::sum) > 1) {
                        repeated.add(d.event().getId());
                    }
                    if (d.attempt() > 1) {
                        laterAttempts.incrementAndGet();
                    }
                    // handler work: 300 in flight on 4 lanes drain in ~0.4 s, well inside the 1 s deadline
                    LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
                });
        opened.add(() -> s.close(Duration.ofSeconds(5)));
        Awaitility.await("every backlog entry handled").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(50)).until(() -> seen.size() == total);
        await("every entry acked").until(() -> raw().xpending(b(t), b("g")).getCount() == 0);
        assertThat(repeated).as("entries delivered more than once (taken over while kept, or returned twice)")
                .isEmpty();
        assertThat(laterAttempts.get()).as("deliveries with attempt > 1").isZero();
    }

    /**
     * A backlog read in full batches is acked as a raw consumer acks it: one {@code XACK} ahead of each read, not one
     * per 128 acks the library gathers (two per read of 256, which cost the server 6 % more time in the benchmark).
     * Counted with the server's {@code INFO commandstats}. If this fails, check that {@code RedisReceiver.ackAll}
     * queues ({@code PendingAcks.addAllBeforeRead}) and that {@code receive} flushes the queue before it reads.
     */
    @Test
    void aBacklogReadInFullBatchesIsAckedWithAtMostOneXackPerRead() {
        String t = topic("xack-per-read");
        int total = 5120;
        writeBacklog(t, "x-", total);
        Omnibus own = open(redis.url());
        raw().configResetstat();
        AtomicInteger handled = new AtomicInteger();
        Subscription s = own.subscriber().subscribe(SubscribeOptions.topic(t).group("g")
                .startAt(StartPosition.earliest()).maxInFlight(1024), d -> handled.incrementAndGet());
        opened.add(() -> s.close(Duration.ofSeconds(5)));
        await("every entry handled").until(() -> handled.get() == total);
        await("every entry acked").until(() -> raw().xpending(b(t), b("g")).getCount() == 0);
        long reads = commandCalls("xreadgroup");
        long xacks = commandCalls("xack");
        assertThat(reads).as("XREADGROUP calls").isPositive();
        assertThat(xacks).as("XACK calls for %d entries read in %d XREADGROUPs", total, reads)
                .isPositive().isLessThanOrEqualTo(reads);
    }

    /**
     * Acks the library hands over in the middle of a batch (every 128) reach the server within the 20 ms linger
     * while a slow handler keeps the receive thread from its next read, not at the receiver's next upkeep tick (1 s
     * with this deadline). If this fails, check that {@code PendingAcks.addAllBeforeRead} schedules a flush.
     */
    @Test
    void acksHandedOverMidBatchReachTheServerWhileAHandlerHoldsTheReceiveThread() throws Exception {
        String t = topic("mid-batch-acks");
        int total = 300;
        writeBacklog(t, "m-", total);
        CompletableFuture<Void> release = new CompletableFuture<>();
        CompletableFuture<Void> holding = new CompletableFuture<>();
        AtomicInteger handled = new AtomicInteger();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t).group("g")
                .startAt(StartPosition.earliest()).maxInFlight(1024).ackDeadline(Duration.ofSeconds(30)), d -> {
                    if (handled.incrementAndGet() == 200) {
                        holding.complete(null);
                        release.get(15, TimeUnit.SECONDS);
                    }
                });
        opened.add(() -> s.close(Duration.ofSeconds(5)));
        try {
            holding.get(15, TimeUnit.SECONDS);
            long held = System.nanoTime();
            Awaitility.await("the first 128 acks at the server while the 200th handler runs")
                    .atMost(Duration.ofMillis(400)).pollInterval(Duration.ofMillis(5))
                    .until(() -> raw().xpending(b(t), b("g")).getCount() <= total - 128);
            assertThat(release.isDone()).as("the handler still holds the receive thread").isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - held)).isLessThan(Duration.ofMillis(400));
        } finally {
            release.complete(null);
        }
        await("every entry acked").until(() -> raw().xpending(b(t), b("g")).getCount() == 0);
        assertThat(handled.get()).isEqualTo(total);
    }

    /** Publishes {@code count} events ({@code prefix} and a number) to {@code t}; returns once all are stored. */
    private void writeBacklog(String t, String prefix, int count) {
        for (int i = 0; i < count; i++) {
            bus.publisher().publish(t, event(prefix + i));
        }
        await("the backlog is written").until(() -> raw().xlen(b(t)) == count);
    }

    /** The {@code calls} of {@code command} in the server's {@code INFO commandstats} (0 if it never ran). */
    private long commandCalls(String command) {
        String prefix = "cmdstat_" + command + ":calls=";
        for (String line : raw().info("commandstats").split("\r?\n")) {
            if (line.startsWith(prefix)) {
                return Long.parseLong(line.substring(prefix.length(), line.indexOf(',', prefix.length())));
            }
        }
        return 0;
    }

    @Test
    void aNackDelayLongerThanTheAckDeadlineIsNotCutShortByAnotherMember() {
        String t = topic("long-nack");
        Duration delay = DEADLINE.multipliedBy(3);
        List<Long> seenAt = new CopyOnWriteArrayList<>();
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        for (int member = 0; member < 2; member++) {
            Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t).group("g").ackMode(AckMode.MANUAL)
                    .ackDeadline(DEADLINE), d -> {
                        seenAt.add(System.nanoTime());
                        attempts.add(d.attempt());
                        if (d.attempt() == 1) {
                            d.nack(delay);
                        } else {
                            d.ack();
                        }
                    });
            opened.add(() -> s.close(Duration.ofSeconds(5)));
        }
        publish(bus, t, event("slow-retry"));
        await("the nacked event comes back").until(() -> seenAt.size() >= 2);
        assertThat(Duration.ofNanos(seenAt.get(1) - seenAt.get(0))).as("redelivered no earlier than the nack delay, "
                + "although the other member takes over entries idle for the ack deadline")
                .isGreaterThanOrEqualTo(delay.minusMillis(50));
        assertThat(attempts.subList(0, 2)).containsExactly(1, 2);
    }

    @Test
    void entriesWithOtherFieldLayoutsAreDeliveredRawAndNeverStopTheSubscription() {
        String t = topic("foreign");
        List<Delivery> seen = new CopyOnWriteArrayList<>();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t), seen::add);
        opened.add(() -> s.close(Duration.ofSeconds(5)));
        byte[] binary = {0, (byte) 0xff, 0x10, (byte) 0x80};
        Map<String, byte[]> singleField = Map.of("payload", b("{\"order\":1}"));
        Map<String, byte[]> manyFields = new LinkedHashMap<>();
        manyFields.put("user", b("ann"));
        manyFields.put("action", b("login"));
        Map<String, byte[]> missingId = new LinkedHashMap<>();
        missingId.put("ce-specversion", b("1.0"));
        missingId.put("ce-source", b("/x"));
        missingId.put("ce-type", b("t"));
        missingId.put("data", b("no id"));
        Map<String, byte[]> badStructured = new LinkedHashMap<>();
        badStructured.put("content-type", b("application/cloudevents+json"));
        badStructured.put("data", b("{not json"));
        Map<String, byte[]> unknownVersion = new LinkedHashMap<>();
        unknownVersion.put("ce-specversion", b("9.9"));
        unknownVersion.put("data", binary);
        List<String> foreign = List.of(redis.xadd(t, singleField), redis.xadd(t, manyFields), redis.xadd(t, missingId),
                redis.xadd(t, badStructured), redis.xadd(t, unknownVersion));
        publish(bus, t, event("valid-after-foreign"));

        await("the valid event after five foreign entries is delivered").until(() ->
                seen.stream().anyMatch(d -> d.event().getId().equals("valid-after-foreign")));
        List<Delivery> raw = seen.stream().filter(Delivery::isRaw).collect(Collectors.toList());
        assertThat(raw).extracting(d -> d.position()).as("foreign entries delivered raw, by entry id")
                .containsExactlyElementsOf(foreign);
        assertThat(raw).allSatisfy(d -> assertThat(d.event().getType()).isEqualTo(Extensions.RAW_EVENT_TYPE));
        assertThat(raw.get(0).event().getData().toBytes()).as("a single field is the body").isEqualTo(b("{\"order\":1}"));
        assertThat(raw.get(1).event().getData().toBytes()).as("several fields and no data field: empty body").isEmpty();
        assertThat(raw.get(2).event().getData().toBytes()).as("the data field is the body").isEqualTo(b("no id"));
        assertThat(raw.get(4).event().getData().toBytes()).as("binary data passes unchanged").isEqualTo(binary);
        assertThat(s.isActive()).as("subscription still active").isTrue();
        assertThat(s.stats().invalid()).as("foreign entries counted").isEqualTo(5);
    }

    @Test
    void foreignEntriesAreDeadLetteredWhenAskedAndValidEventsKeepFlowing() {
        String t = topic("foreign-dl");
        String dlq = topic("foreign-dlq");
        List<Delivery> dead = new CopyOnWriteArrayList<>();
        List<Delivery> seen = new CopyOnWriteArrayList<>();
        Subscription deadSub = bus.subscriber().subscribe(SubscribeOptions.topic(dlq), dead::add);
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t).group("g").deadLetter(dlq, 3)
                .onInvalidMessage(InvalidMessagePolicy.DEAD_LETTER), seen::add);
        opened.add(() -> deadSub.close(Duration.ofSeconds(5)));
        opened.add(() -> s.close(Duration.ofSeconds(5)));
        String foreignId = redis.xadd(t, Map.of("payload", b("legacy")));
        publish(bus, t, event("valid-next-to-dead"));

        await("the foreign entry reaches the dead-letter stream").until(() -> dead.size() >= 1);
        await("the valid event is delivered").until(() -> seen.size() >= 1);
        assertThat(seen).noneMatch(Delivery::isRaw);
        CloudEvent letter = dead.get(0).event();
        assertThat(letter.getData().toBytes()).as("dead letter keeps the body").isEqualTo(b("legacy"));
        assertThat(String.valueOf(letter.getExtension(Extensions.DEAD_LETTER_REASON))).contains("not a valid CloudEvent");
        await("the foreign entry is acked on the source").until(() ->
                raw().xpending(b(t), b("g")).getCount() == 0);
        assertThat(raw().xrange(b(t), Range.create(foreignId, foreignId))).as("the entry itself stays in the stream")
                .hasSize(1);
    }

    @Test
    void eventsAreWrittenWithTheDocumentedFieldMapping() {
        String t = topic("mapping");
        CloudEvent e = CloudEventBuilder.v1().withId("map-1").withSource(URI.create("/shop")).withType("order.created")
                .withSubject("order/1").withExtension("tenant", "acme").withExtension("priority", 3)
                .withData("application/json", b("{\"a\":1}")).build();
        PublishReceipt receipt = publish(bus, t, e);
        List<StreamMessage<byte[], byte[]>> entries = raw().xrange(b(t), Range.unbounded());
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).getId()).as("receipt position is the entry id").isEqualTo(receipt.position());
        assertThat(fields(entries.get(0))).containsExactlyInAnyOrderEntriesOf(Map.of(
                "ce-specversion", "1.0", "ce-id", "map-1", "ce-source", "/shop", "ce-type", "order.created",
                "ce-subject", "order/1", "ce-tenant", "acme", "ce-priority", "3",
                "content-type", "application/json", "data", "{\"a\":1}"));
    }

    @Test
    void structuredEventsCarryTheJsonEventInDataAndAreReadBackAsEvents() {
        String t = topic("structured");
        Omnibus structured = open(redis.url() + "?structured=true");
        List<Delivery> seen = new CopyOnWriteArrayList<>();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t), seen::add);
        opened.add(() -> s.close(Duration.ofSeconds(5)));
        CloudEvent e = CloudEventBuilder.v1().withId("st-1").withSource(URI.create("/shop")).withType("order.created")
                .withExtension("tenant", "acme").withData("application/json", b("{ \"a\" : 1.50,\n \"b\": 1E2 }")).build();
        publish(structured, t, e);
        Map<String, String> written = fields(raw().xrange(b(t), Range.unbounded()).get(0));
        assertThat(written.keySet()).containsExactlyInAnyOrder("content-type", "data");
        assertThat(written.get("content-type")).startsWith("application/cloudevents+json");
        await("the structured event is delivered").until(() -> seen.size() == 1);
        CloudEvent got = seen.get(0).event();
        assertThat(seen.get(0).isRaw()).isFalse();
        assertThat(got.getId()).isEqualTo("st-1");
        assertThat(got.getExtension("tenant")).isEqualTo("acme");
        // byte for byte: the JSON format alone would reprint 1.50 as 1.5 and 1E2 as 100.0 (StructuredJson)
        assertThat(got.getData().toBytes()).isEqualTo(b("{ \"a\" : 1.50,\n \"b\": 1E2 }"));
    }

    @Test
    void aLostGroupIsRecreatedAndTheSubscriptionKeepsDelivering() {
        String t = topic("lost");
        List<String> seen = new CopyOnWriteArrayList<>();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t).group("g"), d -> seen.add(d.event().getId()));
        opened.add(() -> s.close(Duration.ofSeconds(5)));
        publish(bus, t, event("before-loss"));
        await("delivered before the group is lost").until(() -> seen.contains("before-loss"));
        raw().xgroupDestroy(b(t), b("g"));
        publish(bus, t, event("after-loss"));
        await("delivered after the group was re-created").until(() -> seen.contains("after-loss"));
        assertThat(s.isActive()).isTrue();
    }

    @Test
    void aPrivateGroupOfASubscriptionWithoutGroupIsDestroyedOnClose() {
        String t = topic("private");
        List<String> seen = new CopyOnWriteArrayList<>();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t), d -> seen.add(d.event().getId()));
        publish(bus, t, event("p-1"));
        await("delivered").until(() -> seen.contains("p-1"));
        assertThat(raw().xinfoGroups(b(t))).as("one private group while subscribed").hasSize(1);
        s.close(Duration.ofSeconds(5));
        assertThat(raw().xinfoGroups(b(t))).as("no group left after close").isEmpty();
    }

    @Test
    void connectionStateIsReportedAcrossABrokerRestartAndSubscriptionsResume() throws Exception {
        String t = topic("restart");
        Omnibus watched = open(redis.url());
        List<ConnectionState> states = new CopyOnWriteArrayList<>();
        watched.onConnectionStateChange((state, cause) -> states.add(state));
        List<String> seen = new CopyOnWriteArrayList<>();
        watched.subscriber().subscribe(SubscribeOptions.topic(t).group("g"), d -> seen.add(d.event().getId()));
        publish(watched, t, event("r-before"));
        await("delivered before the restart").until(() -> seen.contains("r-before"));
        redis.restartBroker();
        await("DISCONNECTED then RECONNECTED reported").until(() ->
                states.containsAll(List.of(ConnectionState.DISCONNECTED, ConnectionState.RECONNECTED)));
        assertThat(states.indexOf(ConnectionState.DISCONNECTED)).isLessThan(states.indexOf(ConnectionState.RECONNECTED));
        publish(watched, t, event("r-after"));
        await("delivered after the restart").until(() -> seen.contains("r-after"));
    }

    /**
     * The outage: under steady publishing the server is killed ({@code kill -9}) and restarted on the same
     * append-only file twice. Each restart is far shorter than {@code publish.timeout}, so no publish may fail
     * (commands in flight at the kill, and those the client replays while the restarted server is still loading its
     * AOF, included); every confirmed event reaches the group; and no entry acked well before a kill comes back
     * (entries delivered around a kill may: at least once); and the stream holds the events in publish order. A
     * replayed XADD may store an event twice (counted, not failed: Redis has no publish dedup).
     */
    @Test
    void noPublishFailsAndNoAckedEntryComesBackAcrossBrokerRestartsShorterThanThePublishTimeout() throws Exception {
        String t = topic("outage");
        // an append-only file the restarted server takes a while to load (most of a second here), as in production:
        // until it has, it answers LOADING to what the client replays, though it accepts connections and HELLO at once
        byte[] padding = b(topic("outage-padding"));
        raw().eval("for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], '*', 'pad', ARGV[2]) end",
                ScriptOutputType.STATUS, new byte[][] {padding}, b("250000"), b("x".repeat(48)));
        opened.add(() -> dropFromTheAppendOnlyFile(padding));
        int total = 3000;
        int perTick = 5; // every 10 ms: 500 publishes a second for 6 s
        Omnibus publishing = open(redis.url() + "?publish.timeout=20s&reconnect.max=500ms");
        Omnibus consuming = open(redis.url() + "?reconnect.max=500ms");
        Map<String, Long> firstHandled = new ConcurrentHashMap<>(); // by entry id
        Map<String, Integer> deliveries = new ConcurrentHashMap<>(); // by entry id
        Set<String> delivered = ConcurrentHashMap.newKeySet(); // event ids
        Subscription s = consuming.subscriber().subscribe(SubscribeOptions.topic(t).group("g")
                .ackDeadline(Duration.ofSeconds(2)), d -> {
                    deliveries.merge(d.position(), 1, Integer::sum);
                    firstHandled.putIfAbsent(d.position(), System.nanoTime());
                    delivered.add(d.event().getId());
                });
        opened.add(() -> s.close(Duration.ofSeconds(5)));

        List<CompletableFuture<PublishReceipt>> sent = new CopyOnWriteArrayList<>();
        ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
        opened.add(pacer::shutdownNow);
        AtomicInteger next = new AtomicInteger();
        pacer.scheduleAtFixedRate(() -> {
            for (int k = 0; k < perTick && next.get() < total; k++) {
                sent.add(publishing.publisher().publish(t, event("o-" + next.getAndIncrement()))
                        .toCompletableFuture());
            }
        }, 0, 10, TimeUnit.MILLISECONDS);

        List<long[]> outages = new ArrayList<>(); // {kill, back} in nanos
        for (int at : new int[] {total / 3, 2 * total / 3}) {
            await("publishing reaches " + at).until(() -> next.get() >= at);
            long kill = System.nanoTime();
            redis.restartBroker();
            outages.add(new long[] {kill, System.nanoTime()});
        }
        await("every publish is sent").until(() -> next.get() == total);
        Awaitility.await("every publish completes").atMost(Duration.ofSeconds(25)).pollInterval(Duration.ofMillis(20))
                .until(() -> sent.stream().allMatch(CompletableFuture::isDone));

        List<String> failures = new ArrayList<>();
        List<String> confirmed = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            CompletableFuture<PublishReceipt> f = sent.get(i);
            if (f.isCompletedExceptionally()) {
                failures.add(f.handle((r, e) -> String.valueOf(e instanceof CompletionException
                        ? e.getCause() : e)).join());
            } else {
                confirmed.add("o-" + i);
            }
        }
        assertThat(failures.size()).as("publishes of %d failed across two restarts shorter than publish.timeout, by "
                + "error: %s", total, failures.stream().collect(Collectors.groupingBy(
                        m -> m.replaceAll("redis://\\S*", "<url>"), Collectors.counting()))).isZero();
        Awaitility.await("every confirmed event is delivered").atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(20)).until(() -> delivered.containsAll(confirmed));
        await("every delivered entry is acked").until(() -> raw().xpending(b(t), b("g")).getCount() == 0);

        List<String> comeBack = new ArrayList<>();
        deliveries.forEach((entry, n) -> {
            long first = firstHandled.get(entry);
            boolean nearAKill = outages.stream().anyMatch(o -> first >= o[0] - Duration.ofSeconds(1).toNanos()
                    && first <= o[1] + Duration.ofSeconds(1).toNanos());
            if (n > 1 && !nearAKill) {
                comeBack.add(entry);
            }
        });
        assertThat(comeBack).as("entries acked well away from a kill and delivered again").isEmpty();
        List<Integer> stored = raw().xrange(b(t), Range.unbounded()).stream()
                .map(m -> fields(m).get("ce-id")).distinct().map(id -> Integer.parseInt(id.substring(2)))
                .collect(Collectors.toList());
        assertThat(stored).as("events in the stream (the first copy of each), by publish number").isSorted();
        long entries = raw().xlen(b(t));
        System.out.printf("outage test: %d published, %d entries in the stream (duplicates from replayed XADDs: %d), "
                + "%d redelivered around a kill, restarts took %s%n", total, entries, entries - confirmed.size(),
                deliveries.values().stream().filter(n -> n > 1).count(),
                outages.stream().map(o -> Duration.ofNanos(o[1] - o[0]).toMillis() + " ms")
                        .collect(Collectors.toList()));
    }

    /** Deletes {@code key} and rewrites the append-only file, so later restarts need not load it. */
    private void dropFromTheAppendOnlyFile(byte[] key) {
        raw().del(key);
        raw().bgrewriteaof();
        await("the append-only file is rewritten").until(() ->
                raw().info("persistence").contains("aof_rewrite_in_progress:0")
                        && raw().info("persistence").contains("aof_rewrite_scheduled:0"));
    }

    @Test
    void aServerWithoutTheAppendOnlyFileIsNotDeclaredDurable() {
        raw().configSet("appendonly", "no");
        try {
            assertThat(open(redis.url()).capabilities().denialReason(Capability.DURABLE)).contains("aof_enabled:0");
        } finally {
            raw().configSet("appendonly", "yes");
        }
        await("the append-only file is back on").until(() -> raw().info("persistence").contains("aof_enabled:1"));
        assertThat(open(redis.url()).capabilities().has(Capability.DURABLE)).isTrue();
    }

    @Test
    void trimMaxlenBoundsTheStreamApproximately() {
        String t = topic("trim");
        Omnibus trimming = open(redis.url() + "?trim.maxlen=100");
        List<CompletableFuture<PublishReceipt>> sent = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            sent.add(trimming.publisher().publish(t, event("trim-" + i)).toCompletableFuture());
        }
        sent.forEach(CompletableFuture::join);
        assertThat(raw().xlen(b(t))).as("entries kept with trim.maxlen=100 (MAXLEN ~ trims whole nodes)")
                .isBetween(100L, 300L);
    }
}
