package com.example.omnibus.mqtt;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.spi.PushBuffer;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import dev.omnibus.spi.Topics;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;

/**
 * One subscription on a connection of its own: a plain MQTT subscription, or {@code $share/<group>/<filter>} for a
 * group (Mosquitto's shared subscriptions, which it also grants to 3.1.1 clients). Paho pushes each message on its
 * callback thread into a {@link PushBuffer}; the library's receive thread takes them. Acks are PUBACKs sent when the
 * library acks (Paho's manual acks), so the broker's in-flight window holds what the library holds.
 *
 * <p>Thread-safe: {@link #receive} on the library's receive thread, {@link #ack} from any thread, {@link #close}
 * once.
 */
final class MqttReceiver implements Receiver {
    /** What the driver needs to ack a message: the session it came in and its packet id. */
    private record Handle(long session, int messageId) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(MqttReceiver.class);
    /** How long close waits for the broker to confirm the unsubscribe. */
    private static final long LEAVE_MS = 2_000;

    private final String pattern;
    private final boolean wildcard;
    private final String filter;
    private final PushBuffer buffer;
    private volatile boolean closed;
    private MqttConnection connection;

    private MqttReceiver(ReceiverSpec spec) {
        this.pattern = spec.topic();
        this.wildcard = Topics.isWildcard(pattern);
        String mqtt = StructuredCodec.toMqtt(pattern);
        this.filter = spec.group() == null ? mqtt : "$share/" + spec.group() + "/" + mqtt;
        // the broker's in-flight window (Mosquitto's max_inflight_messages) bounds what is delivered and not acked,
        // so a buffer at least that large never blocks Paho's thread, whose blocking would also stop its pings
        this.buffer = new PushBuffer(Math.max(spec.bufferCapacity(), spec.maxInFlight()));
    }

    /** Connects and subscribes; returns once the broker granted the subscription (so it is live). */
    static MqttReceiver open(MqttBackend backend, ReceiverSpec spec) {
        MqttReceiver receiver = new MqttReceiver(spec);
        try {
            receiver.connection = backend.newConnection("subscription to " + spec.topic(), receiver::arrived);
        } catch (MqttException e) {
            throw MqttErrors.classify("cannot create a client for the subscription to " + spec.topic(), e);
        }
        receiver.connection.connect(receiver::subscribe);
        return receiver;
    }

    private void subscribe(MqttAsyncClient client, IMqttActionListener done) throws MqttException {
        client.subscribe(filter, 1, null, new IMqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
                int[] granted = token.getGrantedQos();
                if (granted != null && granted.length > 0 && granted[0] == 0x80) {
                    done.onFailure(token, new MqttException(MqttException.REASON_CODE_SUBSCRIBE_FAILED));
                } else {
                    done.onSuccess(token);
                }
            }

            @Override
            public void onFailure(IMqttToken token, Throwable error) {
                done.onFailure(token, error);
            }
        });
    }

    private void arrived(String mqttTopic, MqttMessage message, long session) throws InterruptedException {
        String topic = StructuredCodec.fromMqtt(mqttTopic);
        Handle handle = new Handle(session, message.getId());
        if (wildcard && !Topics.matches(pattern, topic)) {
            // MQTT's a/# also matches a itself, which a.> does not: not ours, settle it at once
            connection.ack(session, handle.messageId());
            return;
        }
        ReceivedMessage m = StructuredCodec.decode(topic, message.getPayload()).handle(handle).build();
        while (!closed && !buffer.offer(m, Duration.ofSeconds(1))) {
            // full: hold Paho's thread (backpressure); the broker's window normally keeps us from getting here
        }
    }

    @Override
    public List<ReceivedMessage> receive(int max, Duration maxWait) throws InterruptedException {
        return buffer.take(max, maxWait);
    }

    @Override
    public void ack(ReceivedMessage message) {
        Handle h = (Handle) message.handle();
        connection.ack(h.session(), h.messageId());
    }

    /** Never called: the backend declares no {@code NACK}, and the library then settles failures itself. */
    @Override
    public void nack(ReceivedMessage message, Duration delay) {
        throw new OmnibusException(ErrorCode.UNSUPPORTED, "mqtt: MQTT 3.1.1 has no negative acknowledgement");
    }

    // extend: the default no-op is right, MQTT has no redelivery deadline

    /** Close began: a receive waiting in the buffer returns now, so the close does not wait out its poll. */
    @Override
    public void wakeup() {
        buffer.wakeup();
    }

    /**
     * Unsubscribes and waits for the broker's UNSUBACK (at most {@value #LEAVE_MS} ms), then disconnects. Why not
     * just disconnect: MQTT's DISCONNECT has no acknowledgement, so close returned while the broker could still route
     * a shared subscription's next message to this member, and that message was lost with the session (kit R04 saw one
     * event of ten missing in a full run). Once the UNSUBACK is in, the broker sends this member's group share to the
     * other members only.
     */
    @Override
    public void close() {
        closed = true;
        buffer.close();
        MqttAsyncClient client = connection.client();
        if (client.isConnected()) {
            try {
                client.unsubscribe(filter).waitForCompletion(LEAVE_MS);
            } catch (MqttException e) {
                LOG.debug("mqtt: unsubscribing {} before the disconnect failed: {}", filter, e.toString());
            }
        }
        connection.close();
    }
}
