package dev.omnibus.outbox;

import dev.omnibus.Delivery;

import java.sql.Connection;

/**
 * The user's part of an {@link IdempotentHandler}: applies one event's effect through {@code connection}, inside the
 * transaction that also records the event in the inbox. Called on the subscription's handler threads, as a
 * {@link dev.omnibus.DeliveryHandler} is.
 */
@FunctionalInterface
public interface TransactionalHandler {
    /**
     * Applies the event. Do not commit, roll back or close {@code connection}, and do not ack the delivery: the
     * wrapper commits after this returns; throw to roll everything back (the inbox row too) and nack.
     *
     * @param delivery the delivery
     * @param connection the transaction's connection (auto-commit off)
     * @throws Exception to fail the delivery
     */
    void handle(Delivery delivery, Connection connection) throws Exception;
}
