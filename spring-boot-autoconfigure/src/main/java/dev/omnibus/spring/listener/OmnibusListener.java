package dev.omnibus.spring.listener;

import dev.omnibus.AckMode;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a Spring bean as the handler of a subscription; the Omnibus Spring Boot auto-configuration
 * subscribes it once the application context has started and closes it, draining, first on shutdown.
 *
 * <p>The method returns {@code void} and takes one or two parameters: the event, as an
 * {@link io.cloudevents.CloudEvent} or as its data converted by the {@link EventDataConverter} bean (Jackson to any
 * type, a record say, by default), and optionally the {@link dev.omnibus.Delivery} (to settle it yourself with
 * {@link AckMode#MANUAL}). Returning acks the delivery, throwing nacks it (in {@link AckMode#AUTO}); after
 * {@link #maxAttempts()} failed attempts it goes to the {@link #deadLetter()} topic.
 *
 * <pre>{@code
 * @OmnibusListener(topic = "orders.created", group = "billing", concurrency = "4",
 *         deadLetter = "orders.created.dlq", maxAttempts = "5")
 * void onOrder(Order order) { ... }
 * }</pre>
 *
 * <p>Every string attribute may hold {@code ${...}} placeholders, resolved from the Spring environment. An attribute
 * that does not resolve, or resolves to a value outside what {@link dev.omnibus.SubscribeOptions} allows, fails the
 * start of the context with a {@link dev.omnibus.ConfigException} naming the bean, the method and the attribute.
 * The method is called on the subscription's handler threads (see {@link dev.omnibus.DeliveryHandler}); with
 * {@code concurrency} above 1 it must be thread-safe.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface OmnibusListener {
    /** The topic, or a pattern where the backend has wildcards ({@code orders.*}, {@code orders.>}). */
    String topic();

    /** The group sharing the subscription (each event to one member); empty for a subscription of its own. */
    String group() default "";

    /** Handler threads, 1 to 1024; empty for the default (1: one at a time, in order). */
    String concurrency() default "";

    /** Most unsettled deliveries at once, 1 to 100000; empty for the default (256). */
    String maxInFlight() default "";

    /** The dead-letter topic; needs {@link #maxAttempts()}. Empty: no dead-lettering. */
    String deadLetter() default "";

    /** Failed attempts before dead-lettering, 1 to 1000; needs {@link #deadLetter()}. */
    String maxAttempts() default "";

    /** Who settles deliveries: the return/throw of the method ({@code AUTO}) or the method itself ({@code MANUAL}). */
    AckMode ackMode() default AckMode.AUTO;

    /** The connection: a name under {@code omnibus.connections}, or empty for the one of {@code omnibus.url}. */
    String connection() default "";
}
