package com.example.omnibus.mqtt;

import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.PublishFuture;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import io.cloudevents.CloudEvent;
import org.eclipse.paho.client.mqttv3.MqttException;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An open {@code mqtt://} backend: one Paho connection for publishing, and one more per subscription (an MQTT
 * client has one session, whose in-flight window is shared by everything it subscribes to). Every event is
 * published at QoS 1 in the CloudEvents JSON format ({@link StructuredCodec}). Thread-safe.
 */
final class MqttBackend implements Backend {
    static final String NAME = "mqtt";

    private static final Capabilities CAPABILITIES = Capabilities.builder()
            .supports(Capability.GROUPS, Capability.ORDERING, Capability.WILDCARDS)
            .denies(Capability.AT_LEAST_ONCE, "MQTT 3.1.1 redelivers an unacknowledged QoS 1 message only when its "
                    + "client reconnects, never after a deadline, and this backend uses clean sessions: a message "
                    + "not acked, or published while a subscriber is disconnected, is not delivered to it again")
            .denies(Capability.DURABLE, "clean sessions keep nothing for a disconnected subscriber, and Mosquitto "
                    + "writes its persistence at intervals, so a kill -9 loses what came since")
            .denies(Capability.REPLAY, "MQTT keeps no history, only one retained message per topic")
            .denies(Capability.NACK, "MQTT 3.1.1 has no negative acknowledgement")
            .denies(Capability.DELAYED_NACK, "MQTT 3.1.1 has no negative acknowledgement")
            .denies(Capability.NATIVE_DEAD_LETTER, "MQTT has no dead-letter queue")
            .denies(Capability.DEDUP, "MQTT does not deduplicate by event id")
            .denies(Capability.OVERFLOW_POLICY, "backpressure only: the broker's in-flight window holds "
                    + "what a subscription has not acked, and the broker's max_queued_messages what waits behind it")
            .maxPayloadBytes(1024 * 1024)
            .build();

    private final BackendContext context;
    private final MqttAddress address;
    private final Connectivity connectivity;
    private final MqttConnection publisher;
    private final String clientIdPrefix = "ob-" + UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong clients = new AtomicLong();
    /** MQTT assigns no position: a receipt's is this connection's publish count. */
    private final AtomicLong published = new AtomicLong();

    private MqttBackend(BackendContext context) throws MqttException {
        this.context = context;
        this.address = MqttAddress.parse(context);
        this.connectivity = new Connectivity(context);
        this.publisher = newConnection("publisher", null);
    }

    /** Connects the publisher; fails typed (UNAVAILABLE, UNAUTHENTICATED...) when the broker cannot be had. */
    static MqttBackend open(BackendContext context) {
        MqttBackend backend;
        try {
            backend = new MqttBackend(context);
        } catch (MqttException e) {
            throw MqttErrors.classify("cannot create a client for " + context.redactedUrl(), e);
        }
        backend.publisher.connect((client, done) -> done.onSuccess(null));
        return backend;
    }

    MqttConnection newConnection(String role, MqttConnection.Inbound inbound) throws MqttException {
        return new MqttConnection(role, clientIdPrefix + "-" + clients.incrementAndGet(), address, context,
                connectivity, inbound);
    }

    BackendContext context() {
        return context;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Capabilities capabilities() {
        return CAPABILITIES;
    }

    @Override
    public CompletionStage<PublishReceipt> send(String topic, CloudEvent event) {
        // a PublishFuture fails only typed (it classifies through this backend), so Omnibus hands it to the caller as
        // it is instead of putting a typed copy in between
        CompletableFuture<PublishReceipt> result = new PublishFuture(this);
        try {
            byte[] payload = StructuredCodec.encode(event);
            publisher.client().publish(StructuredCodec.toMqtt(topic), payload, 1, false, null,
                    MqttConnection.listener(() -> result.complete(new PublishReceipt(topic, event.getId(),
                                    String.valueOf(published.incrementAndGet()), false)),
                            e -> result.completeExceptionally(classify(e))));
        } catch (MqttException | RuntimeException e) {
            result.completeExceptionally(classify(e));
        }
        return result;
    }

    @Override
    public Receiver receiver(ReceiverSpec spec) {
        return MqttReceiver.open(this, spec);
    }

    @Override
    public OmnibusException classify(Throwable error) {
        return MqttErrors.classify("publish to " + context.redactedUrl(), error);
    }

    @Override
    public void close() {
        publisher.close();
    }
}
