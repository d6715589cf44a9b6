package dev.omnibus.bench;

import dev.omnibus.AckMode;
import dev.omnibus.Config;
import dev.omnibus.Omnibus;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.net.URI;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The Omnibus side of every latency comparison, the same for each broker: one connection from a URL (give it
 * {@code instrumentation=none}: raw has neither metrics nor tracing), {@code publish} without waiting for the receipt,
 * and a subscription with AUTO ack, concurrency 1 and {@code maxInFlight} 1000 whose handler reads each event's data.
 * Sends from one thread only (see {@link LatencyClient}).
 */
final class OmnibusLatencyClient extends LatencyClient {
    private static final URI SOURCE = URI.create("/omnibus/bench");
    private final Omnibus bus;
    private final Publisher publisher;
    private final String topic;
    private final String group;
    private long ids;

    /**
     * @param url   the connection URL
     * @param topic the topic sent to and subscribed to
     * @param group the subscription's group, or {@code null} for a subscription without one
     */
    OmnibusLatencyClient(String url, String topic, String group) {
        super("omnibus");
        this.bus = Omnibus.connect(Config.builder().url(url).useEnvironment(false).build());
        this.publisher = bus.publisher();
        this.topic = topic;
        this.group = group;
    }

    @Override
    public void subscribe(Consumer<byte[]> sink) {
        SubscribeOptions options = SubscribeOptions.topic(topic).ackMode(AckMode.AUTO).concurrency(1).maxInFlight(1000);
        bus.subscriber().subscribe(group == null ? options : options.group(group),
                d -> sink.accept(d.event().getData().toBytes()));
    }

    @Override
    public void send(byte[] payload) {
        publisher.publish(topic, CloudEventBuilder.v1().withId("lat-" + ids++).withSource(SOURCE)
                        .withType("dev.omnibus.bench.tick").withDataContentType("application/octet-stream")
                        .withData(payload).build())
                .whenComplete(this::confirmed);
    }

    @Override
    public void close() {
        bus.close(Duration.ofSeconds(5));
    }
}
