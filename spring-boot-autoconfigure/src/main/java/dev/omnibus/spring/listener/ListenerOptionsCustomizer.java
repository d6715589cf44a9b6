package dev.omnibus.spring.listener;

import dev.omnibus.SubscribeOptions;

/**
 * Adjusts the {@link SubscribeOptions} of {@link OmnibusListener} methods before they subscribe, for what the
 * annotation has no attribute for: {@code ackDeadline}, {@code startAt}, {@code retryBackoff},
 * {@code bufferCapacity}, {@code overflow}, {@code onInvalidMessage}. Define beans of this type; they are applied in
 * {@link org.springframework.core.Ordered} order, once per listener, when the listeners start (on the thread starting
 * the context).
 */
@FunctionalInterface
public interface ListenerOptionsCustomizer {
    /**
     * The options listener {@code id} subscribes with.
     *
     * @param id      {@code <bean name>.<method name>}
     * @param options the options from the annotation
     * @return the options to use ({@code options} itself to change nothing)
     */
    SubscribeOptions customize(String id, SubscribeOptions options);
}
