package dev.omnibus.nats.internal;

import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.nats.NatsBackendProvider;
import dev.omnibus.nats.shared.NatsConnector;
import dev.omnibus.nats.shared.NatsWire;
import dev.omnibus.nats.shared.ServerErrors;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.PublishFuture;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import io.cloudevents.CloudEvent;
import io.nats.client.impl.NatsMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * NATS core over one jnats connection; thread-safe. Publishing hands the message to jnats and completes once a flush
 * (PING/PONG) after it has come back, so the server has received it; one flusher thread ({@code omnibus-nats-flush})
 * flushes for every publish queued since its last flush. Each {@link NatsCoreReceiver} is a synchronous jnats
 * subscription. Threads: the flusher and jnats' own, stopped by {@link #close()}.
 */
public final class NatsCoreBackend implements Backend {
    private static final Logger log = LoggerFactory.getLogger(NatsCoreBackend.class);
    static final String NAME = "nats";

    private final NatsConnector connector;
    private final NatsWire wire;
    private final Capabilities capabilities;
    /**
     * Longest the flusher waits for jnats' callback thread to hand over a server error it has already counted (only
     * then does it wait at all).
     */
    private static final Duration CALLBACK_WAIT = Duration.ofSeconds(1);
    private final Duration flushTimeout;
    private final LinkedBlockingQueue<Pending> unflushed = new LinkedBlockingQueue<>();
    private final AtomicLong published = new AtomicLong();
    private final Set<NatsCoreReceiver> receivers = ConcurrentHashMap.newKeySet();
    private final Thread flusher;
    /**
     * Subjects of publishes the server denied ({@code -ERR Permissions Violation for Publish}), not yet matched to a
     * publish: the flusher matches them after each flush (see {@link #failDenied}).
     */
    private final ConcurrentLinkedQueue<Denial> publishDenials = new ConcurrentLinkedQueue<>();

    private NatsCoreBackend(NatsConnector connector, BackendContext context) {
        this.connector = connector;
        connector.onServerError(this::onServerError);
        boolean structured = context.get(NatsBackendProvider.STRUCTURED);
        this.wire = new NatsWire(structured, true);
        this.flushTimeout = context.publishTimeout();
        this.capabilities = declare(context, NatsWire.maxData(connector.serverMaxPayload(),
                context.get(NatsBackendProvider.MAX_PAYLOAD), structured));
        this.flusher = new Thread(this::flushLoop, "omnibus-nats-flush");
        this.flusher.setDaemon(true);
    }

    /** Connects to the servers the URL names. */
    public static NatsCoreBackend open(BackendContext context) {
        NatsConnector connector = NatsConnector.open(NAME, context, context.get(NatsBackendProvider.PING_INTERVAL));
        try {
            NatsCoreBackend backend = new NatsCoreBackend(connector, context);
            backend.flusher.start();
            return backend;
        } catch (RuntimeException e) {
            connector.close();
            throw e;
        }
    }

    private static Capabilities declare(BackendContext context, int maxData) {
        return Capabilities.builder()
                .supports(Capability.GROUPS, Capability.WILDCARDS, Capability.ORDERING)
                .denies(Capability.AT_LEAST_ONCE, "NATS core delivers at most once: a message reaches the "
                        + "subscriptions connected when it is published and is never redelivered (use jetstream:// "
                        + "for at-least-once)")
                .denies(Capability.DURABLE, "NATS core keeps no messages: nothing survives a server restart")
                .denies(Capability.REPLAY, "NATS core keeps no messages to replay (use jetstream://)")
                .denies(Capability.NACK, "NATS core has no redelivery: a message is gone once delivered")
                .denies(Capability.DELAYED_NACK, "NATS core has no redelivery: a message is gone once delivered")
                .denies(Capability.NATIVE_DEAD_LETTER, "NATS core has no dead-letter subject and no redelivery")
                .denies(Capability.DEDUP, "NATS core delivers every publish; it has no message-id de-duplication")
                .denies(Capability.OVERFLOW_POLICY, "messages wait in jnats' per-subscription pending buffer, which "
                        + "drops what exceeds its limits (counted as dropped); BLOCK and DISCONNECT cannot be honoured")
                .maxPayloadBytes(maxData)
                .build();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public CompletionStage<PublishReceipt> send(String topic, CloudEvent event) {
        if (connector.isClosed()) {
            return CompletableFuture.failedFuture(connector.closedError());
        }
        CompletableFuture<PublishReceipt> result = new PublishFuture(this);
        try {
            NatsMessage message = wire.encode(topic, event);
            connector.connection().publish(message);
            String position = String.valueOf(published.incrementAndGet());
            unflushed.add(new Pending(result, new PublishReceipt(topic, event.getId(), position, false)));
        } catch (RuntimeException e) {
            result.completeExceptionally(connector.classify(e));
        }
        return result;
    }

    /** Flushes for every publish queued since the last flush, then completes them (or fails them typed). */
    private void flushLoop() {
        List<Pending> batch = new ArrayList<>();
        while (!connector.isClosed()) {
            try {
                Pending first = unflushed.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                unflushed.drainTo(batch);
                OmnibusException failure = null;
                try {
                    connector.flush(flushTimeout);
                } catch (TimeoutException | RuntimeException e) {
                    failure = connector.isClosed() ? connector.closedError()
                            : new OmnibusException(ErrorCode.TIMEOUT, NAME + ": no flush confirmation from "
                            + connector.context().redactedUrl() + " within " + flushTimeout + ": " + e.getMessage()
                            + "; the message may still be delivered once jnats reconnects", e);
                }
                if (failure == null) {
                    failDenied(batch);
                }
                for (Pending p : batch) {
                    if (failure == null) {
                        p.result.complete(p.receipt);
                    } else {
                        p.result.completeExceptionally(failure);
                    }
                }
                batch.clear();
            } catch (InterruptedException e) {
                if (connector.isClosed()) {
                    break;
                }
            }
        }
        for (Pending p : batch) {
            p.result.completeExceptionally(connector.closedError());
        }
        Pending p;
        while ((p = unflushed.poll()) != null) {
            p.result.completeExceptionally(connector.closedError());
        }
    }

    /**
     * Fails the publishes of {@code batch} that the server denied. NATS core never answers a publish, but a server
     * that refuses one sends {@code -ERR 'Permissions Violation for Publish to "subject"'} at once, so before the PONG
     * of the flush that follows the PUB. jnats calls its error listener on its callback thread, though, after it may
     * have completed the flush: waiting until every {@code -ERR} jnats counted before the flush completed was handed
     * over makes sure every such denial is here. Each denial fails one publish to its subject (the server sends one
     * per PUB); a denial left over (its PUB came after this flush's PING) waits for the next batch, once.
     */
    private void failDenied(List<Pending> batch) {
        // waits only while jnats has counted an -ERR its callback thread has not handed over yet, and then boundedly:
        // during a reconnect that thread can be busy for seconds, and this runs on the flusher, so waiting behind it
        // after every flush held every publish unconfirmed (NatsCoreIT's kill/cut rounds failed 2 of 7 runs). A
        // denial that comes later is matched to the next batch, as one whose PUB followed this flush's PING is.
        if (!connector.awaitServerErrors(CALLBACK_WAIT)) {
            log.debug("{}: jnats' error callbacks did not catch up within {}", NAME, CALLBACK_WAIT);
        }
        if (publishDenials.isEmpty()) {
            return;
        }
        Map<String, Integer> denied = new HashMap<>();
        List<Denial> taken = new ArrayList<>();
        Denial d;
        while ((d = publishDenials.poll()) != null) {
            taken.add(d);
            denied.merge(d.subject, 1, Integer::sum);
        }
        for (Iterator<Pending> it = batch.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            String subject = ServerErrors.comparable(p.receipt.topic());
            Integer n = denied.get(subject);
            if (n != null && n > 0) {
                denied.put(subject, n - 1);
                it.remove();
                p.result.completeExceptionally(new OmnibusException(ErrorCode.PERMISSION_DENIED, NAME + ": "
                        + connector.context().redactedUrl() + " denied the publish to '" + p.receipt.topic()
                        + "': the user may not publish to that subject (server permissions)"));
            }
        }
        for (Denial left : taken) {
            Integer n = denied.get(left.subject);
            if (n != null && n > 0) {
                denied.put(left.subject, n - 1);
                if (left.kept) {
                    log.debug("{}: a denial of a publish to '{}' matched no publish", NAME, left.subject);
                } else {
                    publishDenials.add(new Denial(left.subject, true));
                }
            }
        }
    }

    private void onServerError(String error) {
        String subject = ServerErrors.deniedPublish(error);
        if (subject != null) {
            publishDenials.add(new Denial(subject, false));
            return;
        }
        String[] subscription = ServerErrors.deniedSubscription(error);
        if (subscription != null) {
            for (NatsCoreReceiver r : receivers) {
                r.deniedIfMatches(subscription[0], subscription[1], error);
            }
        }
    }

    @Override
    public Receiver receiver(ReceiverSpec spec) {
        if (connector.isClosed()) {
            throw connector.closedError();
        }
        // the receiver registers itself before it subscribes (register), so a denial that comes back during its
        // subscribe flush finds it
        return new NatsCoreReceiver(this, spec);
    }

    void register(NatsCoreReceiver r) {
        receivers.add(r);
    }

    void forget(NatsCoreReceiver r) {
        receivers.remove(r);
    }

    NatsConnector connector() {
        return connector;
    }

    NatsWire wire() {
        return wire;
    }

    @Override
    public OmnibusException classify(Throwable error) {
        return connector.classify(error);
    }

    @Override
    public void close() {
        if (connector.isClosed()) {
            return;
        }
        for (NatsCoreReceiver r : receivers) {
            r.close();
        }
        connector.close();
        flusher.interrupt();
        try {
            flusher.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (flusher.isAlive()) {
            log.warn("{}: the flusher thread did not stop", NAME);
        }
    }

    /** A publish denial not matched yet; {@code kept} once it waited for a batch already. */
    private static final class Denial {
        final String subject;
        final boolean kept;

        Denial(String subject, boolean kept) {
            this.subject = subject;
            this.kept = kept;
        }
    }

    private static final class Pending {
        final CompletableFuture<PublishReceipt> result;
        final PublishReceipt receipt;

        Pending(CompletableFuture<PublishReceipt> result, PublishReceipt receipt) {
            this.result = result;
            this.receipt = receipt;
        }
    }
}
