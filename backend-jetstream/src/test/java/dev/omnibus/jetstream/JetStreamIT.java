package dev.omnibus.jetstream;

import dev.omnibus.AckMode;
import dev.omnibus.Config;
import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.nats.NatsHarness;
import dev.omnibus.tck.FaultProxy;
import dev.omnibus.tck.IdleClose;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the kit does not cover on JetStream: kill -9 under steady publishing, stream provisioning rules. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JetStreamIT {
    private final NatsHarness nats = new NatsHarness("jetstream", "");
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
     * Close wakes a pull waiting in jnats' {@code nextMessage} (Receiver.wakeup, an interrupt scoped to that wait):
     * 41 idle subscriptions closed one by one took 19.6 ms each before, 2.7 ms each now (2026-12-04; the bound fails
     * at 56 % of the old cost); the group member left keeps receiving. If this fails, check
     * {@code JetStreamReceiver.wakeup} and {@code spi.InterruptibleWait}.
     */
    @Test
    void closingIdleSubscriptionsOneByOneDoesNotWaitOutTheirReceiveCalls() {
        Duration took = IdleClose.closeOneByOne(bus, topic("idle"), 40);
        assertThat(took).as("closing 41 idle subscriptions one by one: " + IdleClose.perClose(took, 41))
                .isLessThan(Duration.ofMillis(450));
    }

    private static String topic(String hint) {
        return "it." + hint + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/it")).withType("t")
                .withData("text/plain", id.getBytes(StandardCharsets.UTF_8)).build();
    }

    /**
     * A delivery of a private subscription's own consumer that never reaches it (jnats replaces its pull subscription
     * when a heartbeat is late and drops what the old one received: after a cut, the kit's R18 once saw the events
     * published during it missing) comes again within seconds, not after the ack wait (60 s here): the gap in the
     * consumer sequence shows it, and the consumer is re-created from its ack floor once the subscription holds
     * nothing unsettled; what was handed out meanwhile is not handed out twice. The lost delivery is made by a raw
     * reader taking a message from the consumer (never acked) while the subscription's connection is stalled. If
     * this fails, check {@code JetStreamReceiver.recreateFromAckFloor} and {@code StrandedDeliveries}.
     */
    @Test
    void aDeliveryThatNeverReachedAPrivateSubscriptionComesAgainBeforeTheAckWait() throws Exception {
        String t = topic("stranded");
        List<String> received = new CopyOnWriteArrayList<>();
        try (FaultProxy proxy = new FaultProxy(nats.brokerAddress());
             Omnibus viaProxy = Omnibus.connect(Config.builder().url(nats.url(proxy.address()))
                     .useEnvironment(false).build())) {
            viaProxy.subscriber().subscribe(SubscribeOptions.topic(t).ackDeadline(Duration.ofSeconds(60)),
                    d -> received.add(d.event().getId()));
            bus.publisher().publish(t, event("first")).toCompletableFuture().join();
            Awaitility.await("the first event").atMost(Duration.ofSeconds(10)).until(() -> received.contains("first"));
            JetStreamManagement jsm = nats.rawConnection().jetStreamManagement();
            String stream = jsm.getStreamNames(t).get(0);
            String consumer = jsm.getConsumerNames(stream).stream().filter(c -> {
                try {
                    return t.equals(jsm.getConsumerInfo(stream, c).getConsumerConfiguration().getFilterSubject());
                } catch (Exception e) {
                    return false;
                }
            }).findFirst().orElseThrow();

            proxy.mode(FaultProxy.Mode.STALL);
            // the subscription's pull request expires (1 s) and its next ones wait in the stalled proxy
            Awaitility.await("no pull of the subscription waiting").atMost(Duration.ofSeconds(10))
                    .until(() -> jsm.getConsumerInfo(stream, consumer).getNumWaiting() == 0);
            bus.publisher().publish(t, event("lost")).toCompletableFuture().join();
            JetStreamSubscription other = nats.rawConnection().jetStream().subscribe(t,
                    PullSubscribeOptions.bind(stream, consumer));
            assertThat(other.fetch(1, Duration.ofSeconds(5))).as("the raw reader takes the delivery").hasSize(1);
            other.unsubscribe();
            bus.publisher().publish(t, event("after")).toCompletableFuture().join();
            proxy.mode(FaultProxy.Mode.PASS);

            Awaitility.await("the lost delivery comes again well before its 60 s ack wait")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> received.contains("lost") && received.contains("after"));
            // what was handed out after the gap comes again from the re-created consumer: acked, not handed out;
            // once the consumer has nothing pending or unacked, nothing more can come
            Awaitility.await("the consumer has delivered and had acked everything").atMost(Duration.ofSeconds(10))
                    .until(() -> {
                        ConsumerInfo info = jsm.getConsumerInfo(stream, consumer);
                        return info.getNumPending() == 0 && info.getNumAckPending() == 0;
                    });
            assertThat(received).as("each event handed out once").containsExactlyInAnyOrder("first", "lost", "after");
        }
    }

    /**
     * Publishes without pause from another thread while the server is killed (SIGKILL) and restarted twice; every
     * event whose publish completed must reach the group's subscription, which must keep consuming after each
     * restart (not merely reconnect).
     */
    @Test
    void underSteadyPublishingKillingTheServerLosesNoConfirmedEventAndConsumersKeepConsuming() throws Exception {
        String t = topic("steady");
        Set<String> delivered = ConcurrentHashMap.newKeySet();
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t).group("steady")
                .ackDeadline(Duration.ofSeconds(5)), d -> delivered.add(d.event().getId()));
        Set<String> confirmed = ConcurrentHashMap.newKeySet();
        AtomicBoolean publishing = new AtomicBoolean(true);
        Thread publisher = new Thread(() -> {
            int i = 0;
            while (publishing.get()) {
                List<CompletableFuture<PublishReceipt>> window = new ArrayList<>();
                List<String> ids = new ArrayList<>();
                for (int k = 0; k < 20; k++, i++) {
                    String id = "steady-" + i;
                    ids.add(id);
                    window.add(bus.publisher().publish(t, event(id)).toCompletableFuture());
                }
                for (int k = 0; k < window.size(); k++) {
                    try {
                        window.get(k).join();
                        confirmed.add(ids.get(k));
                    } catch (CompletionException e) {
                        assertThat(e.getCause()).isInstanceOf(OmnibusException.class);
                    }
                }
            }
        }, "omnibus-tck-steady-publisher");
        publisher.start();
        try {
            for (int restart = 1; restart <= 2; restart++) {
                int before = confirmed.size();
                Awaitility.await("publishes confirmed before kill " + restart).atMost(Duration.ofSeconds(30))
                        .until(() -> confirmed.size() >= before + 200);
                nats.restartBroker();
                int atRestart = confirmed.size();
                Awaitility.await("publishes confirmed again after restart " + restart).atMost(Duration.ofSeconds(60))
                        .until(() -> confirmed.size() >= atRestart + 200);
            }
        } finally {
            publishing.set(false);
            publisher.join(TimeUnit.SECONDS.toMillis(60));
        }
        Awaitility.await("every confirmed event delivered (" + confirmed.size() + ")").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100)).until(() -> delivered.containsAll(confirmed));
        assertThat(s.isActive()).isTrue();
        s.close(Duration.ofSeconds(5));
    }

    /**
     * Attempts never count backwards: a server killed right after delivering may restore a consumer state older
     * than its last deliveries and count a redelivery from 1 again; the receiver keeps counting on from what it
     * handed out (the fault runs found 327 and 502 such redeliveries with attempt 1).
     */
    @Test
    void attemptsNeverCountBackwardsAcrossAServerKill() throws Exception {
        String t = topic("attempts");
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        bus.subscriber().subscribe(SubscribeOptions.topic(t).group("attempts").ackMode(AckMode.MANUAL)
                .ackDeadline(Duration.ofSeconds(5)), d -> {
            attempts.add(d.attempt());
            if (attempts.size() >= 5) {
                d.ack();
            } else {
                d.nack(Duration.ofMillis(200));
            }
        });
        bus.publisher().publish(t, event("attempts-" + UUID.randomUUID())).toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
        Awaitility.await("two attempts before the kill").atMost(Duration.ofSeconds(20)).until(() -> attempts.size() >= 2);
        nats.restartBroker();
        Awaitility.await("five attempts in all").atMost(Duration.ofSeconds(60)).until(() -> attempts.size() >= 5);
        for (int i = 1; i < attempts.size(); i++) {
            assertThat(attempts.get(i)).as("attempts in delivery order %s", attempts).isGreaterThan(attempts.get(i - 1));
        }
    }

    @Test
    void anExistingStreamThatCapturesTheTopicIsUsedAndNeverReconfigured() throws Exception {
        JetStreamManagement jsm = nats.rawConnection().jetStreamManagement();
        String prefix = "legacy" + UUID.randomUUID().toString().substring(0, 6);
        StreamConfiguration legacy = StreamConfiguration.builder().name("LEGACY_" + prefix)
                .subjects(prefix + ".orders.*").maxMessages(1000).build();
        jsm.addStream(legacy);
        PublishReceipt r = bus.publisher().publish(prefix + ".orders.created", event("legacy-1"))
                .toCompletableFuture().join();
        assertThat(r.position()).isEqualTo("1");
        StreamInfo info = jsm.getStreamInfo("LEGACY_" + prefix);
        assertThat(info.getStreamState().getMsgCount()).isEqualTo(1);
        assertThat(info.getConfiguration().getSubjects()).containsExactly(prefix + ".orders.*");
        assertThat(info.getConfiguration().getMaxMsgs()).isEqualTo(1000);
        assertThat(jsm.getStreamNames()).as("no stream of Omnibus' own for the prefix").doesNotContain(prefix);
    }

    @Test
    void aStreamNameTakenWithOtherSubjectsIsAClearErrorAndTheStreamIsLeftAlone() throws Exception {
        JetStreamManagement jsm = nats.rawConnection().jetStreamManagement();
        String prefix = "taken" + UUID.randomUUID().toString().substring(0, 6);
        jsm.addStream(StreamConfiguration.builder().name(prefix).subjects("elsewhere." + prefix).build());
        assertThatThrownBy(() -> bus.publisher().publish(prefix + ".x", event("taken-1")).toCompletableFuture().join())
                .hasCauseInstanceOf(OmnibusException.class)
                .satisfies(e -> {
                    OmnibusException o = (OmnibusException) e.getCause();
                    assertThat(o.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(o.getMessage()).contains("never changes an existing stream").contains(prefix);
                });
        assertThat(jsm.getStreamInfo(prefix).getConfiguration().getSubjects()).containsExactly("elsewhere." + prefix);
    }

    @Test
    void theSameEventOnTwoTopicsOfOneStreamIsNotTakenForADuplicate() {
        String a = topic("dup-a");
        String b = topic("dup-b");
        PublishReceipt first = bus.publisher().publish(a, event("same-id")).toCompletableFuture().join();
        PublishReceipt other = bus.publisher().publish(b, event("same-id")).toCompletableFuture().join();
        PublishReceipt again = bus.publisher().publish(a, event("same-id")).toCompletableFuture().join();
        assertThat(other.duplicate()).as("same id on another topic of stream 'it'").isFalse();
        assertThat(again.duplicate()).as("same id on the same topic").isTrue();
        assertThat(again.position()).isEqualTo(first.position());
    }

    /**
     * The consumer lag is the consumer's {@code numPending}: what the consumer has not delivered yet. A subscription
     * of its own with maxInFlight 1 gets a consumer whose MaxAckPending is the pull batch (2), so with a stuck handler
     * the server hands out exactly 2 of the 5 and the lag stays 3.
     *
     * <p>A group's consumer is shared by its members and has MaxAckPending 1000: a member with a stuck handler keeps
     * taking (and renewing) what jnats pulls, so its lag falls to 0 within seconds; this test used to assert 3 or 4
     * for a group and failed whenever the check came after the receiver's keeper had drained jnats' buffer (twice on
     * 2026-12-03). That read-ahead is a known gap, not asserted here (see docs/backends/jetstream.md).
     */
    @Test
    void theLagIsTheConsumersPendingCount() throws Exception {
        String t = topic("lag");
        CountDownLatch release = new CountDownLatch(1);
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic(t).maxInFlight(1),
                d -> release.await(30, TimeUnit.SECONDS));
        try {
            for (int i = 0; i < 5; i++) {
                bus.publisher().publish(t, event("lag-" + i)).toCompletableFuture().join();
            }
            Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(s.stats().delivered()).isEqualTo(1);
                assertThat(s.lag()).isPresent();
                assertThat(s.lag().getAsLong()).isEqualTo(3L);
            });
            release.countDown();
            Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(s.stats().acked()).as("acked; stats %s", s.stats()).isEqualTo(5);
                assertThat(s.lag()).hasValue(0);
            });
        } finally {
            release.countDown();
            s.close(Duration.ofSeconds(5));
        }
    }
}
