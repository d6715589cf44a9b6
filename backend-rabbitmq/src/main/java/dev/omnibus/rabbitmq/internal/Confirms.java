package dev.omnibus.rabbitmq.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.ShutdownSignalException;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * One publishing channel in confirm mode and the publishes awaiting their confirm on it; thread-safe.
 *
 * <p>Publishes are pipelined: each takes the channel's next sequence number and is written at once, under a lock
 * (the number and the write must agree); the broker's {@code basic.ack}/{@code basic.nack} (one, or {@code multiple}
 * up to a number) complete them on the client's I/O thread. A {@code basic.return} (only for mandatory publishes)
 * fails the oldest awaiting publish of that routing key and message id: returns come in publish order.
 *
 * <p>When the channel goes down (with its connection, or closed by the broker) every awaiting publish fails with
 * UNAVAILABLE, under the same lock: the outcome is unknown, and the recovered channel counts from 1 again. Positions
 * keep counting across recoveries, so receipts never repeat on one connection.
 */
final class Confirms {
    private final RabbitBackend backend;
    private final Channel channel;
    private final boolean mandatory;
    private final ConcurrentSkipListMap<Long, Pending> pending = new ConcurrentSkipListMap<>();
    private final Object lock = new Object();
    /** Sequence numbers handed out before the channel's last recovery (positions count on across it). */
    private long base;
    private long lastSeq;
    private volatile ShutdownSignalException closeCause;

    private record Pending(CompletableFuture<PublishReceipt> future, String routingKey, String topic, String eventId,
                           String position) {
    }

    Confirms(RabbitBackend backend, Channel channel, boolean mandatory) throws IOException {
        this.backend = backend;
        this.channel = channel;
        this.mandatory = mandatory;
        channel.confirmSelect();
        channel.addConfirmListener(new ConfirmListener() {
            @Override
            public void handleAck(long seq, boolean multiple) {
                settle(seq, multiple, null);
            }

            @Override
            public void handleNack(long seq, boolean multiple) {
                settle(seq, multiple, new OmnibusException(ErrorCode.UNAVAILABLE, RabbitBackend.NAME + ": "
                        + backend.context().redactedUrl() + " nacked the publish (a queue could not take it: "
                        + "overflow reject-publish, or a quorum queue without a majority); it may be retried"));
            }
        });
        channel.addReturnListener(r -> returned(r.getRoutingKey(), r.getProperties().getMessageId(),
                r.getReplyCode(), r.getReplyText()));
        channel.addShutdownListener(cause -> {
            closeCause = cause;
            // a refused publish (403: the user may not write the exchange, or a topic permission) closes the
            // channel: that is the publish's answer, final, not an outage to retry through
            boolean refused = backend.classify(cause).code() == ErrorCode.PERMISSION_DENIED;
            failAll(new OmnibusException(refused ? ErrorCode.PERMISSION_DENIED : ErrorCode.UNAVAILABLE,
                    RabbitBackend.NAME + ": the channel to " + backend.context().redactedUrl() + " closed before the "
                    + "broker confirmed the publish (" + cause.getMessage() + ")" + (refused
                    ? ": the user may not publish to this exchange or routing key (check its write and topic "
                    + "permissions)" : "; the broker may or may not have taken it"), cause));
        });
    }

    void publish(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body, String topic,
                 String eventId, CompletableFuture<PublishReceipt> result) throws IOException {
        synchronized (lock) {
            long seq = channel.getNextPublishSeqNo();
            if (seq == 0 || !backend.connection().isOpen() || backend.recovering()) {
                // The client is recovering: it reopens this channel before it selects confirm mode on it again, and
                // says the connection is open only once its channels are back. A publish in between would never be
                // confirmed (seen in the kit's R17: every publish after a restart hung until publish.timeout). After
                // that the backend binds its receivers' queues again before it stops recovering: a publish routed
                // before would be confirmed and lost where the broker lost a binding (RabbitBackend.bindAgain).
                throw new OmnibusException(ErrorCode.UNAVAILABLE, RabbitBackend.NAME + ": the connection to "
                        + backend.context().redactedUrl() + " is down; recovering");
            }
            if (seq <= lastSeq) {
                base += lastSeq; // the channel was recovered and counts from 1 again
            }
            lastSeq = seq;
            Pending p = new Pending(result, routingKey, topic, eventId, String.valueOf(base + seq));
            pending.put(seq, p);
            try {
                channel.basicPublish(exchange, routingKey, mandatory, props, body);
            } catch (IOException | RuntimeException e) {
                pending.remove(seq, p);
                throw e;
            }
            // a publish the library gave up on (publish.timeout) must not wait here for a confirm that may never come
            result.whenComplete((r, e) -> {
                if (e != null) {
                    pending.remove(seq, p);
                }
            });
        }
    }

    private void settle(long seq, boolean multiple, OmnibusException failure) {
        if (multiple) {
            ConcurrentNavigableMap<Long, Pending> done = pending.headMap(seq, true);
            for (Iterator<Pending> it = done.values().iterator(); it.hasNext(); ) {
                Pending p = it.next();
                it.remove();
                complete(p, failure);
            }
        } else {
            Pending p = pending.remove(seq);
            if (p != null) {
                complete(p, failure);
            }
        }
    }

    private static void complete(Pending p, OmnibusException failure) {
        if (failure != null) {
            p.future.completeExceptionally(failure);
        } else {
            p.future.complete(new PublishReceipt(p.topic, p.eventId, p.position, false));
        }
    }

    private void returned(String routingKey, String messageId, int code, String text) {
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            if (p.routingKey.equals(routingKey) && (messageId == null || messageId.equals(p.eventId))) {
                if (pending.remove(e.getKey(), p)) {
                    p.future.completeExceptionally(new OmnibusException(ErrorCode.NOT_FOUND, RabbitBackend.NAME
                            + ": " + backend.context().redactedUrl() + " returned the publish to '" + routingKey
                            + "' (" + code + " " + text + "): no queue is bound for it (no subscription or group "
                            + "on this topic), and publish.mandatory is on", null, false));
                }
                return;
            }
        }
    }

    /** Fails every publish awaiting its confirm. */
    void failAll(OmnibusException error) {
        synchronized (lock) {
            for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
                Pending p = it.next();
                it.remove();
                p.future.completeExceptionally(error);
            }
        }
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    /** Whether the broker closed this channel over a channel error while the connection stayed up. */
    boolean closedByChannelError() {
        ShutdownSignalException cause = closeCause;
        return cause != null && !cause.isHardError() && !cause.isInitiatedByApplication();
    }

    String closeReason() {
        ShutdownSignalException cause = closeCause;
        return cause == null ? "open" : cause.getMessage();
    }

    void abort() {
        RabbitBackend.abort(channel);
    }
}
