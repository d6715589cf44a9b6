package dev.omnibus.bench;

import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.cloud.pubsub.v1.MessageReceiver;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.ProjectSubscriptionName;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import dev.omnibus.AckMode;
import dev.omnibus.Config;
import dev.omnibus.Omnibus;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.gcp.PubSubEmulator;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The latency comparison on Google Cloud Pub/Sub's emulator (backend-gcp's {@link PubSubEmulator}): the plain
 * google-cloud-pubsub {@link Publisher} and {@link Subscriber} against Omnibus ({@code gcppubsub://}, a group). Raw
 * publishes with the batching {@link PubSubBenchmark} uses (100 messages, 1 MB, 1 ms; ordering on) messages carrying
 * Omnibus' binary-mode attributes, and streams from a subscription with at most 1,000 outstanding messages, acking
 * each after handing it on. Raw's topic and subscription are provisioned through Omnibus (a group subscription made
 * and closed: its Pub/Sub subscription {@code <topic>-<group>} stays), so both have the same settings. Stateless;
 * see {@link LatencyRatios}.
 */
final class PubSubLatency {
    private PubSubLatency() {
    }

    /** Starts the emulator and both clients. */
    static LatencyBackend start() throws Exception {
        PubSubEmulator emulator = new PubSubEmulator();
        emulator.start();
        return LatencyBackend.open("pubsub", emulator::stop, () -> new Raw(emulator, "latraw"),
                () -> new OmnibusLatencyClient(emulator.url() + "&instrumentation=none", "latomnibus", "lat"));
    }

    /** The plain client. */
    private static final class Raw extends LatencyClient {
        private final PubSubEmulator emulator;
        private final Publisher publisher;
        private final String topic;
        private Subscriber subscriber;
        private long ids;

        Raw(PubSubEmulator emulator, String topic) throws Exception {
            super("raw");
            this.emulator = emulator;
            this.topic = topic;
            try (Omnibus provisioning = Omnibus.connect(Config.builder().url(emulator.url() + "&instrumentation=none")
                    .useEnvironment(false).build())) {
                provisioning.subscriber().subscribe(SubscribeOptions.topic(topic).group("lat").ackMode(AckMode.AUTO),
                        d -> { }).close(Duration.ofSeconds(5));
            }
            this.publisher = Publisher.newBuilder(TopicName.of(PubSubEmulator.PROJECT, topic))
                    .setChannelProvider(emulator.rawChannel()).setCredentialsProvider(NoCredentialsProvider.create())
                    .setEnableMessageOrdering(true)
                    .setBatchingSettings(BatchingSettings.newBuilder().setElementCountThreshold(100L)
                            .setRequestByteThreshold(1_000_000L).setDelayThresholdDuration(Duration.ofMillis(1))
                            .build())
                    .build();
        }

        @Override
        public void subscribe(Consumer<byte[]> sink) {
            subscriber = Subscriber.newBuilder(ProjectSubscriptionName.of(PubSubEmulator.PROJECT, topic + "-lat"),
                            (MessageReceiver) (message, reply) -> {
                                sink.accept(message.getData().toByteArray());
                                reply.ack();
                            })
                    .setChannelProvider(emulator.rawChannel()).setCredentialsProvider(NoCredentialsProvider.create())
                    .setFlowControlSettings(FlowControlSettings.newBuilder().setMaxOutstandingElementCount(1000L)
                            .build())
                    .build();
            subscriber.startAsync().awaitRunning();
        }

        @Override
        public void send(byte[] payload) {
            ApiFutures.addCallback(publisher.publish(PubsubMessage.newBuilder().setData(ByteString.copyFrom(payload))
                    .putAttributes("ce-specversion", "1.0").putAttributes("ce-id", "lat-" + ids++)
                    .putAttributes("ce-source", "/omnibus/bench").putAttributes("ce-type", "dev.omnibus.bench.tick")
                    .putAttributes("content-type", "application/octet-stream").build()),
                    new ApiFutureCallback<>() {
                        @Override
                        public void onFailure(Throwable t) {
                            failed();
                        }

                        @Override
                        public void onSuccess(String messageId) {
                        }
                    }, Runnable::run);
        }

        @Override
        public void close() throws Exception {
            if (subscriber != null) {
                subscriber.stopAsync().awaitTerminated(10, TimeUnit.SECONDS);
            }
            publisher.shutdown();
            publisher.awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
