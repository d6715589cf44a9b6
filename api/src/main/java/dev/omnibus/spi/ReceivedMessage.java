package dev.omnibus.spi;

import io.cloudevents.CloudEvent;

import java.util.Map;
import java.util.Objects;

/**
 * One message as a receiver hands it to the library: a decoded event, or the raw body of a message that was not
 * a valid CloudEvent. Immutable apart from what the driver keeps in {@link #handle()}.
 */
public final class ReceivedMessage {
    private final String topic;
    private final CloudEvent event;
    private final byte[] rawBody;
    private final Map<String, String> rawHeaders;
    private final String invalidReason;
    private final int deliveryCount;
    private final String redeliveryKey;
    private final String orderingKey;
    private final String position;
    private final Object handle;

    private ReceivedMessage(String topic, CloudEvent event, byte[] rawBody, Map<String, String> rawHeaders,
                            String invalidReason, int deliveryCount, String redeliveryKey, String orderingKey,
                            String position, Object handle) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.event = event;
        this.rawBody = rawBody;
        this.rawHeaders = rawHeaders;
        this.invalidReason = invalidReason;
        this.deliveryCount = deliveryCount;
        this.redeliveryKey = redeliveryKey;
        this.orderingKey = orderingKey;
        this.position = position;
        this.handle = handle;
    }

    /**
     * A decoded event.
     *
     * @param deliveryCount which delivery this is as the broker counts (1 = first), or 0 when the broker does not
     *                      count: the library then counts per {@code redeliveryKey}
     * @param redeliveryKey identifies the message across redeliveries (offset, sequence); {@code null} = event id
     * @param orderingKey   the key whose order must be kept (partition key or partition), or {@code null}
     * @param position      the broker's position, for {@link dev.omnibus.Delivery#position()}
     * @param handle        whatever the driver needs to settle the message
     */
    public static ReceivedMessage of(String topic, CloudEvent event, int deliveryCount, String redeliveryKey,
                                     String orderingKey, String position, Object handle) {
        return new ReceivedMessage(topic, Objects.requireNonNull(event, "event"), null, null, null, deliveryCount,
                redeliveryKey, orderingKey, position, handle);
    }

    /** A message that is not a valid CloudEvent, with why; arguments as for {@link #of}. */
    public static ReceivedMessage invalid(String topic, byte[] body, Map<String, String> headers, String reason,
                                          int deliveryCount, String redeliveryKey, String position, Object handle) {
        return new ReceivedMessage(topic, null, body == null ? new byte[0] : body,
                headers == null ? Map.of() : Map.copyOf(headers), Objects.requireNonNull(reason, "reason"),
                deliveryCount, redeliveryKey, null, position, handle);
    }

    /** The concrete topic. */
    public String topic() {
        return topic;
    }

    /** The event, or {@code null} when {@link #isInvalid()}. */
    public CloudEvent event() {
        return event;
    }

    /** Whether the message was not a valid CloudEvent. */
    public boolean isInvalid() {
        return event == null;
    }

    /** The raw body of an invalid message. */
    public byte[] rawBody() {
        return rawBody;
    }

    /** The raw headers of an invalid message. */
    public Map<String, String> rawHeaders() {
        return rawHeaders;
    }

    /** Why the message is invalid. */
    public String invalidReason() {
        return invalidReason;
    }

    /** The broker's delivery count (1 = first), or 0 when it keeps none. */
    public int deliveryCount() {
        return deliveryCount;
    }

    /** The key identifying the message across redeliveries, or {@code null}. */
    public String redeliveryKey() {
        return redeliveryKey;
    }

    /** The ordering key, or {@code null}. */
    public String orderingKey() {
        return orderingKey;
    }

    /** The broker's position, or {@code null}. */
    public String position() {
        return position;
    }

    /** The driver's settle handle. */
    public Object handle() {
        return handle;
    }

    @Override
    public String toString() {
        return "ReceivedMessage{topic=" + topic + ", " + (event != null ? "id=" + event.getId() : "invalid: "
                + invalidReason) + ", deliveryCount=" + deliveryCount + ", position=" + position + "}";
    }
}
