package dev.omnibus.nats.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.UnsupportedCapabilityException;
import dev.omnibus.Capability;
import dev.omnibus.nats.shared.ServerErrors;
import dev.omnibus.spi.InterruptibleWait;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import io.nats.client.Message;
import io.nats.client.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One subscription on NATS core: a synchronous jnats subscription to the topic or pattern (NATS wildcards are the
 * portable ones), in the queue group named by the group if there is one. jnats re-subscribes by itself after a
 * reconnect; messages published while disconnected are not seen (at most once). Receive runs on the library's
 * receive thread; ack is a no-op (the message is gone once delivered).
 */
final class NatsCoreReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(NatsCoreReceiver.class);
    private static final Duration POLL_NOW = Duration.ofNanos(1);

    private final NatsCoreBackend backend;
    private final String topic;
    private final Subscription subscription;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Lets close end a receive waiting in jnats' nextMessage at once (it answers only an interrupt). */
    private final InterruptibleWait idle = new InterruptibleWait();
    private final String group;
    /** Set when the server refused this subscription: the next receive throws it, ending the subscription. */
    private volatile OmnibusException denied;

    NatsCoreReceiver(NatsCoreBackend backend, ReceiverSpec spec) {
        this.backend = backend;
        this.topic = spec.topic();
        this.group = spec.group();
        // registered first: the server's -ERR for a denied subscription may come back before subscribe returns
        backend.register(this);
        try {
            this.subscription = spec.group() == null ? backend.connector().connection().subscribe(topic)
                    : backend.connector().connection().subscribe(topic, spec.group());
        } catch (RuntimeException e) {
            backend.forget(this);
            throw e;
        }
        // NATS core delivers only to interest the server already has: the flush returns once it has the SUB, so an
        // event published after subscribe() returns reaches this subscription (while disconnected, jnats sends the
        // SUB on reconnect and the flush times out: subscribe still succeeds)
        Duration wait = backend.connector().context().publishTimeout();
        try {
            backend.connector().flush(wait);
        } catch (TimeoutException | RuntimeException e) {
            log.debug("{}: no flush confirmed the subscription to '{}' within {}", NatsCoreBackend.NAME, topic, wait,
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The server refused a subscription to {@code subject} in queue {@code queue} (null: none): if that is this one,
     * it ends with PERMISSION_DENIED (the server keeps no such subscription, so nothing would ever arrive). Called on
     * jnats' callback thread.
     */
    void deniedIfMatches(String subject, String queue, String error) {
        if (!ServerErrors.comparable(topic).equals(subject)
                || !java.util.Objects.equals(group == null ? null : ServerErrors.comparable(group), queue)) {
            return;
        }
        denied = new OmnibusException(ErrorCode.PERMISSION_DENIED, NatsCoreBackend.NAME + ": "
                + backend.connector().context().redactedUrl() + " denied the subscription to '" + topic + "'"
                + (group == null ? "" : " in queue group '" + group + "'") + ": the user may not subscribe to that "
                + "subject (server permissions)", null, false);
    }

    @Override
    public List<ReceivedMessage> receive(int max, Duration maxWait) throws InterruptedException {
        if (closed.get()) {
            return List.of();
        }
        if (denied != null) {
            throw denied;
        }
        try {
            Message m = idle.run(() -> subscription.nextMessage(maxWait));
            if (m == null) {
                return List.of();
            }
            List<ReceivedMessage> out = new ArrayList<>(Math.min(max, 64));
            out.add(decode(m));
            while (out.size() < max && (m = subscription.nextMessage(POLL_NOW)) != null) {
                out.add(decode(m));
            }
            return out;
        } catch (IllegalStateException e) {
            if (closed.get()) {
                return List.of();
            }
            throw new OmnibusException(ErrorCode.CLOSED, NatsCoreBackend.NAME + ": the subscription to '" + topic
                    + "' on " + backend.connector().context().redactedUrl() + " ended: " + e.getMessage(), e);
        }
    }

    private ReceivedMessage decode(Message m) {
        return backend.wire().decode(m, 1, null, null, null);
    }

    @Override
    public void ack(ReceivedMessage message) {
    }

    @Override
    public void ackAll(List<ReceivedMessage> messages) {
    }

    @Override
    public void nack(ReceivedMessage message, Duration delay) {
        throw new UnsupportedCapabilityException(NatsCoreBackend.NAME, Capability.NACK,
                backend.capabilities().denialReason(Capability.NACK));
    }

    @Override
    public long dropped() {
        return subscription.getDroppedCount();
    }

    @Override
    public void wakeup() {
        idle.wakeup();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            // null while the constructor has not subscribed yet (a close racing it)
            if (subscription != null && subscription.isActive() && !backend.connector().isClosed()) {
                subscription.unsubscribe();
            }
        } catch (IllegalStateException e) {
            // the connection closed meanwhile: the subscription went with it
        } finally {
            backend.forget(this);
        }
    }

    @Override
    public String toString() {
        return "NatsCoreReceiver{" + topic + "}";
    }
}
