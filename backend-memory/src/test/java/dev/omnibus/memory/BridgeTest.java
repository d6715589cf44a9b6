package dev.omnibus.memory;

import dev.omnibus.Bridge;
import dev.omnibus.Capabilities;
import dev.omnibus.ConnectionListener;
import dev.omnibus.ConnectionState;
import dev.omnibus.ErrorCode;
import dev.omnibus.Extensions;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.Publisher;
import dev.omnibus.Registration;
import dev.omnibus.StartPosition;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscriber;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@link Bridge} between two memory brokers: order per key, attributes kept, and acks only after the destination
 * confirmed (destinations that fail, hang or close lose nothing).
 */
class BridgeTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final List<AutoCloseable> opened = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
    }

    private Omnibus connect(String name) {
        Omnibus bus = Omnibus.connect("mem://" + name + "-" + run);
        opened.add(() -> bus.close(Duration.ofSeconds(5)));
        return bus;
    }

    private Bridge started(Bridge bridge) {
        opened.add(() -> bridge.close(Duration.ofSeconds(5)));
        return bridge.start();
    }

    private static CloudEvent event(int i, String key) {
        return CloudEventBuilder.v1().withId("e-" + i).withSource(URI.create("/bridge-test")).withType("test.event")
                .withSubject("subject-" + i).withTime(OffsetDateTime.of(2026, 1, 2, 3, 4, 5, i, ZoneOffset.UTC))
                .withDataSchema(URI.create("https://example.com/schema"))
                .withExtension(Extensions.PARTITION_KEY, key).withExtension("custom", "value-" + i)
                .withExtension("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .withData("application/json", ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8)).build();
    }

    private static void publish(Omnibus bus, String topic, int from, int to) {
        Publisher p = bus.publisher();
        for (int i = from; i < to; i++) {
            p.publish(topic, event(i, "key-" + i % 5)).toCompletableFuture().join();
        }
    }

    /** Collects what arrives on {@code topic} of {@code bus} from its earliest event. */
    private List<CloudEvent> collect(Omnibus bus, String topic) {
        List<CloudEvent> received = new CopyOnWriteArrayList<>();
        opened.add(bus.subscriber().subscribe(SubscribeOptions.topic(topic).startAt(StartPosition.earliest()),
                d -> received.add(d.event())));
        return received;
    }

    private static Set<String> ids(List<CloudEvent> events) {
        return events.stream().map(CloudEvent::getId).collect(Collectors.toSet());
    }

    private static Set<String> ids(int n) {
        return IntStream.range(0, n).mapToObj(i -> "e-" + i).collect(Collectors.toSet());
    }

    @Test
    void everyEventArrivesWithItsAttributesAndEachKeyInOrder() {
        Omnibus source = connect("source");
        Omnibus destination = connect("destination");
        List<CloudEvent> received = collect(destination, "copy.orders.created");
        Bridge bridge = started(Bridge.builder().from(source).to(destination).topic("orders.*").group("bridge")
                .toTopic("copy.{topic}").concurrency(4).build());

        publish(source, "orders.created", 0, 300);

        await().atMost(WAIT).until(() -> received.size() >= 300);
        assertThat(received).hasSize(300);
        Map<Object, List<Integer>> perKey = received.stream().collect(Collectors.groupingBy(
                e -> e.getExtension(Extensions.PARTITION_KEY),
                Collectors.mapping(e -> Integer.parseInt(e.getId().substring(2)), Collectors.toList())));
        assertThat(perKey).hasSize(5);
        perKey.forEach((key, order) -> assertThat(order).as("order of " + key).isSorted());
        for (CloudEvent e : received) {
            int i = Integer.parseInt(e.getId().substring(2));
            assertThat(e).as("event " + i + " as the bridge published it").isEqualTo(event(i, "key-" + i % 5));
        }
        await().atMost(WAIT).until(() -> bridge.stats().inFlight() == 0);
        assertThat(bridge.stats()).isEqualTo(new Bridge.Stats(300, 300, 0, 0, 0));
    }

    @Test
    void failedPublishesAreRetriedOrRedeliveredAndNothingIsLost() {
        Omnibus source = connect("source");
        Omnibus real = connect("destination");
        List<CloudEvent> received = collect(real, "orders");
        // the first publish of every 4th event fails as an outage would (retryable, tried again in place); that of
        // every 10th as a refusal would (not retryable: the source redelivers it after the retry backoff)
        Map<String, AtomicInteger> tries = new ConcurrentHashMap<>();
        Omnibus destination = new FaultyDestination(real, (topic, event) -> {
            int n = Integer.parseInt(event.getId().substring(2));
            boolean first = tries.computeIfAbsent(event.getId(), id -> new AtomicInteger()).incrementAndGet() == 1;
            if (first && n % 10 == 0) {
                throw new InvalidArgumentException("refused " + event.getId());
            }
            return first && n % 4 == 0 ? new OmnibusException(ErrorCode.UNAVAILABLE, "outage") : null;
        });
        Bridge bridge = started(Bridge.builder().from(source).to(destination).topic("orders").group("bridge").build());

        publish(source, "orders", 0, 100);

        await().atMost(WAIT).until(() -> ids(received).size() == 100);
        assertThat(ids(received)).isEqualTo(ids(100));
        assertThat(received).as("nothing published twice: a failed publish is not stored").hasSize(100);
        await().atMost(WAIT).until(() -> bridge.stats().inFlight() == 0);
        Bridge.Stats stats = bridge.stats();
        assertThat(stats.failed()).as("every 4th and every 10th event once").isEqualTo(25 + 10 - 5);
        assertThat(stats.published()).isEqualTo(100);
        assertThat(stats.consumed()).as("the 10 refused ones delivered twice").isEqualTo(110);
    }

    @Test
    void anEventWhosePublishIsNotConfirmedIsNotAckedAndGoesToTheNextBridge() {
        Omnibus source = connect("source");
        Omnibus real = connect("destination");
        List<CloudEvent> received = collect(real, "orders");
        List<CompletableFuture<PublishReceipt>> hanging = new CopyOnWriteArrayList<>();
        Omnibus silent = new FaultyDestination(real, null) {
            @Override
            CompletionStage<PublishReceipt> send(String topic, CloudEvent event) {
                CompletableFuture<PublishReceipt> never = new CompletableFuture<>();
                hanging.add(never);
                return never;
            }
        };
        Bridge first = started(Bridge.builder().from(source).to(silent).topic("orders").group("bridge")
                .concurrency(2).build());
        publish(source, "orders", 0, 20);
        await().atMost(WAIT).until(() -> first.stats().inFlight() == 2);

        assertThat(first.close(Duration.ofMillis(200))).as("a drain cannot finish unconfirmed publishes").isFalse();
        assertThat(first.stats().published()).isZero();
        Bridge second = started(Bridge.builder().from(source).to(real).topic("orders").group("bridge").build());

        await().atMost(WAIT).until(() -> ids(received).size() == 20);
        assertThat(ids(received)).isEqualTo(ids(20));
        assertThat(second.stats().published()).isEqualTo(20);
        hanging.forEach(f -> f.completeExceptionally(new IllegalStateException("test over")));
    }

    @Test
    void aClosedDestinationLosesNothing() {
        Omnibus source = connect("source");
        Omnibus destination = connect("destination");
        Omnibus keepAlive = connect("destination");
        List<CloudEvent> received = collect(keepAlive, "orders");
        Bridge first = started(Bridge.builder().from(source).to(destination).topic("orders").group("bridge")
                .build());
        publish(source, "orders", 0, 10);
        await().atMost(WAIT).until(() -> received.size() == 10);

        destination.close(Duration.ofSeconds(1));
        publish(source, "orders", 10, 20);
        await().atMost(WAIT).until(() -> first.stats().failed() >= 1);
        first.close(Duration.ofSeconds(5));
        Bridge second = started(Bridge.builder().from(source).to(keepAlive).topic("orders").group("bridge").build());

        await().atMost(WAIT).until(() -> ids(received).size() == 20);
        assertThat(ids(received)).isEqualTo(ids(20));
        assertThat(second.stats().published()).isEqualTo(10);
    }

    @Test
    void aTemplateWithAnUnknownPlaceholderOrALoopIsRefused() {
        Omnibus bus = connect("source");
        assertThatThrownBy(() -> Bridge.builder().from(bus).to(bus).topic("a").toTopic("x.{group}").build())
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("{group}")
                .hasMessageContaining("{topic}");
        assertThatThrownBy(() -> Bridge.builder().from(bus).to(bus).topic("a").build())
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("back where it came from");
        assertThatThrownBy(() -> Bridge.builder().from(bus).topic("a").build())
                .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("to(destination)");
        assertThat(Bridge.builder().from(bus).to(bus).topic("a").toTopic("b.{topic}").build()
                .destinationTopic("a")).isEqualTo("b.a");
    }

    /**
     * A destination whose publishes go through {@link #send}: by default {@code fault} decides per publish to throw
     * (a refusal before the wire), fail the stage (returns an error) or pass it on (returns {@code null}).
     */
    private static class FaultyDestination implements Omnibus {
        private final Omnibus real;
        private final BiFunction<String, CloudEvent, OmnibusException> fault;
        private final Publisher publisher;

        FaultyDestination(Omnibus real, BiFunction<String, CloudEvent, OmnibusException> fault) {
            this.real = real;
            this.fault = fault;
            this.publisher = real.publisher();
        }

        CompletionStage<PublishReceipt> send(String topic, CloudEvent event) {
            OmnibusException error = fault.apply(topic, event);
            return error != null ? CompletableFuture.failedFuture(error) : publisher.publish(topic, event);
        }

        @Override
        public Publisher publisher() {
            return new Publisher() {
                @Override
                public CompletionStage<PublishReceipt> publish(String topic, CloudEvent event) {
                    return send(topic, event);
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public String backend() {
            return "faulty-" + real.backend();
        }

        @Override
        public Capabilities capabilities() {
            return real.capabilities();
        }

        @Override
        public Subscriber subscriber() {
            return real.subscriber();
        }

        @Override
        public ConnectionState connectionState() {
            return real.connectionState();
        }

        @Override
        public Registration onConnectionStateChange(ConnectionListener listener) {
            return real.onConnectionStateChange(listener);
        }

        @Override
        public void close(Duration drain) {
            publisher.close();
        }
    }
}
