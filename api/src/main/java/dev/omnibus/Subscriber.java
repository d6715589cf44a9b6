package dev.omnibus;

/** Creates subscriptions; thread-safe, one per {@link Omnibus}. */
public interface Subscriber {
    /**
     * Starts a subscription calling {@code handler} for each delivery.
     *
     * @throws InvalidArgumentException        if the topic pattern, group or dead-letter topic is not portable
     * @throws UnsupportedCapabilityException  if the options ask for what the backend cannot do
     * @throws OmnibusException                {@link ErrorCode#CLOSED} after close, or the broker's error
     */
    Subscription subscribe(SubscribeOptions options, DeliveryHandler handler);
}
