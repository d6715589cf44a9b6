package dev.omnibus.bench;

import dev.omnibus.nats.NatsBinding;
import dev.omnibus.tck.BrokerProcess;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.nats.client.Connection;
import io.nats.client.ConsumeOptions;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.MessageConsumer;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

import java.net.URI;
import java.util.function.Consumer;

/**
 * The latency comparisons on NATS core and JetStream: a {@code nats-server -js} of their own, raw jnats in its
 * fastest shape against Omnibus. Raw messages carry the headers Omnibus' binding writes for an event (built once,
 * so raw pays no encoding). Stateless; see {@link LatencyRatios}.
 */
final class NatsLatency {
    private NatsLatency() {
    }

    /** NATS core: raw {@code publish} and a dispatcher subscription; Omnibus {@code nats://} without a group. */
    static LatencyBackend core() throws Exception {
        BrokerProcess server = BenchBrokers.natsServer();
        return LatencyBackend.open("nats", server::stop,
                () -> new Core(url(server), "latraw"),
                () -> new OmnibusLatencyClient(url(server) + "?instrumentation=none", "latomnibus", null));
    }

    /**
     * JetStream: raw {@code publishAsync} (a unique {@code Nats-Msg-Id} each, as Omnibus sets) and a durable pull
     * consumer read with {@code consume()}, every message acked; Omnibus {@code jetstream://} in a group. File storage
     * for both.
     */
    static LatencyBackend jetStream() throws Exception {
        BrokerProcess server = BenchBrokers.natsServer();
        return LatencyBackend.open("jetstream", server::stop,
                () -> new Stream(url(server), "latjsr"),
                () -> new OmnibusLatencyClient(url(server).replace("nats://", "jetstream://")
                        + "?instrumentation=none", "latjso", "lat"));
    }

    private static String url(BrokerProcess server) {
        return "nats://127.0.0.1:" + server.port();
    }

    /** The headers Omnibus writes for a 100-byte benchmark event (the id differs per event; its length does not). */
    private static Headers headers(String subject) {
        return NatsBinding.toBinaryMessage(subject, CloudEventBuilder.v1().withId("lat-0000000")
                .withSource(URI.create("/omnibus/bench")).withType("dev.omnibus.bench.tick")
                .withDataContentType("application/octet-stream").withData(new byte[0]).build()).getHeaders();
    }

    /** Raw NATS core. */
    private static final class Core extends LatencyClient { // core NATS confirms nothing: no failures to count
        private final Connection connection;
        private final String subject;
        private final Headers headers;

        Core(String url, String subject) throws Exception {
            super("raw");
            this.connection = Nats.connect(new Options.Builder().server(url).build());
            this.subject = subject;
            this.headers = headers(subject);
        }

        @Override
        public void subscribe(Consumer<byte[]> sink) throws Exception {
            Dispatcher dispatcher = connection.createDispatcher(m -> sink.accept(m.getData()));
            dispatcher.subscribe(subject);
            connection.flush(java.time.Duration.ofSeconds(10)); // the server has the subscription
        }

        @Override
        public void send(byte[] payload) {
            connection.publish(NatsMessage.builder().subject(subject).headers(headers).data(payload).build());
        }

        @Override
        public void close() throws Exception {
            connection.close();
        }
    }

    /** Raw JetStream. */
    private static final class Stream extends LatencyClient {
        private final Connection connection;
        private final JetStream js;
        private final String subject;
        private final Headers headers;
        private MessageConsumer consumer;
        private long ids;

        Stream(String url, String subject) throws Exception {
            super("raw");
            this.connection = Nats.connect(new Options.Builder().server(url).build());
            this.js = connection.jetStream();
            this.subject = subject;
            this.headers = headers(subject);
            // the stream Omnibus would create on demand for this prefix (stream.prefix.tokens=1, file storage)
            connection.jetStreamManagement().addStream(StreamConfiguration.builder().name(subject)
                    .subjects(subject, subject + ".>").storageType(StorageType.File).build());
        }

        @Override
        public void subscribe(Consumer<byte[]> sink) throws Exception {
            connection.jetStreamManagement().addOrUpdateConsumer(subject, ConsumerConfiguration.builder()
                    .durable("lat").filterSubject(subject).ackPolicy(AckPolicy.Explicit)
                    .deliverPolicy(DeliverPolicy.New).maxAckPending(1000).build());
            consumer = js.getConsumerContext(subject, "lat").consume(ConsumeOptions.builder().batchSize(256).build(),
                    m -> {
                        sink.accept(m.getData()); // handler first, then the ack, as Omnibus' AUTO ack does
                        m.ack();
                    });
        }

        @Override
        public void send(byte[] payload) {
            js.publishAsync(NatsMessage.builder().subject(subject).headers(headers).data(payload).build(),
                            PublishOptions.builder().messageId(subject + " /omnibus/bench lat-" + ids++).build())
                    .whenComplete(this::confirmed);
        }

        @Override
        public void close() throws Exception {
            if (consumer != null) {
                consumer.stop();
            }
            connection.close();
        }
    }
}
