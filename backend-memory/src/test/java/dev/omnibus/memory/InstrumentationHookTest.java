package dev.omnibus.memory;

import dev.omnibus.AckMode;
import dev.omnibus.Config;
import dev.omnibus.ConnectionState;
import dev.omnibus.Delivery;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.OverflowPolicy;
import dev.omnibus.PublishReceipt;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.instrument.BusInfo;
import dev.omnibus.instrument.BusObserver;
import dev.omnibus.instrument.Instrumentation;
import dev.omnibus.instrument.PublishContext;
import dev.omnibus.instrument.PublishObserver;
import dev.omnibus.instrument.SubscriptionObserver;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The instrumentation hook of the portable layer, seen through the memory backend: what is reported, in which order,
 * on which thread, and that a failing observer never fails the bus. (A memory subscription receives what is
 * published once {@code subscribe} has returned.)
 */
class InstrumentationHookTest {
    private final String name = "hook-" + UUID.randomUUID().toString().substring(0, 8);
    private final Recording recording = new Recording();
    private final List<Omnibus> opened = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() {
        opened.forEach(o -> o.close(Duration.ofSeconds(5)));
    }

    private Omnibus connect(Instrumentation... instrumentations) {
        Config.Builder b = Config.builder().url("mem://" + name + "?instrumentation=none").useEnvironment(false);
        for (Instrumentation i : instrumentations) {
            b.instrumentation(i);
        }
        Omnibus bus = Omnibus.connect(b.build());
        opened.add(bus);
        return bus;
    }

    private static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/hook")).withType("hook")
                .withData("text/plain", id.getBytes(StandardCharsets.UTF_8)).build();
    }

    @Test
    void publishesAreSeenBeforeSendingAndTheirOutcomeAfter() {
        Omnibus bus = connect(recording);
        PublishReceipt receipt = bus.publisher().publish("orders", event("p-1")).toCompletableFuture().join();
        assertThat(recording.events).containsSubsequence("open memory", "state CONNECTED", "publishing orders p-1",
                "published orders p-1 " + receipt.position());
        bus.close();
        assertThat(recording.events).containsSubsequence("state CLOSED", "closed");
    }

    /**
     * With several instrumentations each one that is interested in a publish hears its outcome, and one that is not
     * (returns {@code NONE}) hears nothing. If this fails, check {@code Observers.Bus.publishing}.
     */
    @Test
    void everyInterestedObserverOfAPublishHearsItsOutcome() {
        List<String> heard = new CopyOnWriteArrayList<>();
        Omnibus bus = connect(publishObserver("a", heard), publishObserver(null, heard), publishObserver("b", heard),
                publishObserver("c", heard));
        bus.publisher().publish("orders", event("m-1")).toCompletableFuture().join();
        assertThat(heard).containsExactly("a m-1", "b m-1", "c m-1");
        heard.clear();
        Omnibus two = connect(publishObserver(null, heard), publishObserver("d", heard), publishObserver("e", heard));
        two.publisher().publish("orders", event("m-2")).toCompletableFuture().join();
        assertThat(heard).containsExactly("d m-2", "e m-2");
    }

    /** An instrumentation whose observer hears every publish's outcome as "name id", or none when name is null. */
    private static Instrumentation publishObserver(String name, List<String> heard) {
        return new Instrumentation() {
            @Override
            public String name() {
                return name == null ? "uninterested" : name;
            }

            @Override
            public BusObserver open(BusInfo info) {
                return new BusObserver() {
                    @Override
                    public PublishObserver publishing(PublishContext publish) {
                        if (name == null) {
                            return PublishObserver.NONE;
                        }
                        String id = publish.event().getId();
                        return new PublishObserver() {
                            @Override
                            public void published(PublishReceipt receipt) {
                                heard.add(name + " " + id);
                            }
                        };
                    }
                };
            }
        };
    }

    @Test
    void anObserverMayAddExtensionsAndTheSubscriberGetsThem() {
        Omnibus bus = connect(recording);
        CopyOnWriteArrayList<Object> seen = new CopyOnWriteArrayList<>();
        bus.subscriber().subscribe(SubscribeOptions.topic("orders"), d -> seen.add(d.event().getExtension("hooked")));
        bus.publisher().publish("orders", event("x-1")).toCompletableFuture().join();
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() == 1);
        assertThat(seen).containsExactly("yes");
    }

    @Test
    void eachDeliveryIsReportedAroundItsHandlerOnItsThreadThenSettled() {
        Omnibus bus = connect(recording);
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic("jobs").group("workers")
                .deadLetter("jobs-dead", 2), d -> {
                    recording.add("handler " + d.event().getId() + " on " + Thread.currentThread().getName());
                    if (d.event().getId().startsWith("bad")) {
                        throw new IllegalStateException("boom");
                    }
                });
        bus.publisher().publish("jobs", event("ok-1")).toCompletableFuture().join();
        bus.publisher().publish("jobs", event("bad-1")).toCompletableFuture().join();
        await().atMost(Duration.ofSeconds(10)).until(() -> s.stats().deadLettered() == 1);

        String thread = recording.threadOf("handling ok-1 attempt 1");
        assertThat(thread).startsWith("omnibus-memory-").isEqualTo(recording.threadOf("handled ok-1 ok"));
        assertThat(recording.events).containsSubsequence("subscribed jobs workers", "handling ok-1 attempt 1",
                "handler ok-1 on " + thread, "handled ok-1 ok");
        assertThat(recording.events).contains("acked ok-1");
        assertThat(recording.events).containsSubsequence("handling bad-1 attempt 1", "nacked bad-1",
                "handled bad-1 IllegalStateException", "handling bad-1 attempt 2", "nacked bad-1",
                "dead-lettered bad-1 to jobs-dead");
        assertThat(recording.handlerNanos.get()).isPositive();
        s.close();
        assertThat(recording.events).contains("subscription closed jobs");
    }

    @Test
    void expiredAndDroppedAreReported() throws Exception {
        Omnibus bus = connect(recording);
        CountDownLatch release = new CountDownLatch(1);
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic("flood").ackMode(AckMode.MANUAL)
                .ackDeadline(Duration.ofMillis(200)).maxInFlight(1).bufferCapacity(2)
                .overflow(OverflowPolicy.drop()), d -> {
                    if (d.event().getId().equals("f-0")) {
                        release.await(10, TimeUnit.SECONDS);
                    }
                });
        for (int i = 0; i < 20; i++) {
            bus.publisher().publish("flood", event("f-" + i)).toCompletableFuture().join();
        }
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> recording.dropped.get() == s.stats().dropped()
                && s.stats().dropped() > 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> recording.events.contains("expired f-0"));
    }

    @Test
    void aThrowingObserverNeverFailsPublishingOrDelivery() {
        Instrumentation broken = new Instrumentation() {
            @Override
            public String name() {
                return "broken";
            }

            @Override
            public BusObserver open(BusInfo bus) {
                return new BusObserver() {
                    @Override
                    public PublishObserver publishing(PublishContext publish) {
                        throw new IllegalStateException("publishing hook broke");
                    }

                    @Override
                    public SubscriptionObserver subscribed(Subscription subscription) {
                        return new SubscriptionObserver() {
                            @Override
                            public Object handling(Delivery delivery) {
                                throw new IllegalStateException("handling hook broke");
                            }

                            @Override
                            public void acked(Delivery delivery) {
                                throw new IllegalStateException("acked hook broke");
                            }
                        };
                    }
                };
            }
        };
        Omnibus bus = connect(broken, recording);
        Subscription s = bus.subscriber().subscribe(SubscribeOptions.topic("t"), d -> { });
        for (int i = 0; i < 3; i++) {
            bus.publisher().publish("t", event("b-" + i)).toCompletableFuture().join();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> s.stats().acked() == 3);
        assertThat(recording.events).contains("acked b-2", "handled b-2 ok");
        assertThat(recording.events).filteredOn(e -> e.startsWith("published t b-2 ")).hasSize(1);
    }

    /** Records every call as a line; events carry the extension {@code hooked=yes}. */
    static final class Recording implements Instrumentation {
        final List<String> events = new CopyOnWriteArrayList<>();
        final ConcurrentHashMap<String, String> threads = new ConcurrentHashMap<>();
        final AtomicLong handlerNanos = new AtomicLong();
        final AtomicLong dropped = new AtomicLong();

        String threadOf(String line) {
            return threads.get(line);
        }

        void add(String line) {
            events.add(line);
            threads.put(line, Thread.currentThread().getName());
        }

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public BusObserver open(BusInfo bus) {
            add("open " + bus.backend());
            return new BusObserver() {
                @Override
                public PublishObserver publishing(PublishContext publish) {
                    String id = publish.event().getId();
                    add("publishing " + publish.topic() + " " + id);
                    publish.event(CloudEventBuilder.from(publish.event()).withExtension("hooked", "yes").build());
                    return new PublishObserver() {
                        @Override
                        public void published(PublishReceipt receipt) {
                            add("published " + publish.topic() + " " + id + " " + receipt.position());
                        }

                        @Override
                        public void failed(OmnibusException error) {
                            add("failed " + publish.topic() + " " + id + " " + error.code());
                        }
                    };
                }

                @Override
                public SubscriptionObserver subscribed(Subscription subscription) {
                    add("subscribed " + subscription.options().topic() + " " + subscription.options().group());
                    return new SubscriptionObserver() {
                        @Override
                        public Object handling(Delivery d) {
                            add("handling " + d.event().getId() + " attempt " + d.attempt());
                            return d.event().getId();
                        }

                        @Override
                        public void handled(Delivery d, Object token, long nanos, Throwable error) {
                            assertThat(token).isEqualTo(d.event().getId());
                            handlerNanos.addAndGet(nanos);
                            add("handled " + d.event().getId() + " "
                                    + (error == null ? "ok" : error.getClass().getSimpleName()));
                        }

                        @Override
                        public void acked(Delivery d) {
                            add("acked " + d.event().getId());
                        }

                        @Override
                        public void nacked(Delivery d, Duration delay, String reason) {
                            add("nacked " + d.event().getId());
                        }

                        @Override
                        public void deadLettered(Delivery d, String topic, String reason) {
                            add("dead-lettered " + d.event().getId() + " to " + topic);
                        }

                        @Override
                        public void expired(Delivery d) {
                            add("expired " + d.event().getId());
                        }

                        @Override
                        public void dropped(String reason, long count) {
                            assertThat(reason).isEqualTo(SubscriptionObserver.OVERFLOW);
                            dropped.addAndGet(count);
                        }

                        @Override
                        public void closed() {
                            add("subscription closed " + subscription.options().topic());
                        }
                    };
                }

                @Override
                public void connectionStateChanged(ConnectionState state, Throwable cause) {
                    add("state " + state);
                }

                @Override
                public void closed() {
                    add("closed");
                }
            };
        }
    }
}
