package dev.omnibus.spring.listener;

import io.cloudevents.CloudEvent;

import java.lang.reflect.Type;

/**
 * Turns an event's data into the parameter type of an {@link OmnibusListener} method. Define a bean of this type to
 * replace the default ({@link JacksonEventDataConverter}, JSON only). Implementations must be thread-safe: they are
 * called on the subscriptions' handler threads, concurrently.
 */
@FunctionalInterface
public interface EventDataConverter {
    /**
     * The data of {@code event} as a {@code targetType}.
     *
     * @throws EventConversionException when the event cannot be converted (wrong content type, no data, bad data):
     *                                  the delivery then fails, is redelivered and, after the listener's
     *                                  {@code maxAttempts}, dead-lettered
     */
    Object convert(CloudEvent event, Type targetType);
}
