package com.example.omnibus.mqtt;

import dev.omnibus.spi.BackendContext;
import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One Paho client with a clean session, and its reconnect loop: when the connection is lost it reports so, then
 * tries again with the shared {@code ReconnectPolicy}'s delays on the library's scheduler (each attempt is an
 * asynchronous connect, so the scheduler never blocks), runs its {@link Setup} (a subscription re-subscribes) and
 * reports it back. Paho's own automatic reconnect is not used: its delays (1 s doubling) ignore the policy, and
 * it would not re-subscribe a clean session. An attempt that gets no answer within twice the publish timeout (Paho
 * bounds only the TCP connect, not the wait for CONNACK or SUBACK) is dropped and the loop goes on.
 *
 * <p>Thread-safe: {@link #ack} from any thread, callbacks on Paho's threads, retries on the scheduler.
 */
final class MqttConnection implements MqttCallback {
    private static final Logger LOG = LoggerFactory.getLogger(MqttConnection.class);
    private static final long QUIESCE_MS = 2_000;

    /** Receives what the broker sends, on Paho's callback thread; must not throw. */
    interface Inbound {
        void arrived(String mqttTopic, MqttMessage message, long session) throws InterruptedException;
    }

    /** What a fresh session needs before it counts as connected (a subscription subscribes); asynchronous. */
    interface Setup {
        void run(MqttAsyncClient client, IMqttActionListener done) throws MqttException;
    }

    private final String role;
    private final BackendContext context;
    private final Connectivity connectivity;
    private final MqttAsyncClient client;
    private final MqttConnectOptions options;
    private final Inbound inbound;
    private volatile Setup setup = (client, done) -> done.onSuccess(null);
    /** Counts lost connections: an ack carries the session it was delivered in, and a gone session's ids are void. */
    private final AtomicLong session = new AtomicLong();
    private ScheduledFuture<?> retry; // guarded by this
    private boolean closed; // guarded by this

    MqttConnection(String role, String clientId, MqttAddress address, BackendContext context,
                   Connectivity connectivity, Inbound inbound) throws MqttException {
        this.role = role;
        this.context = context;
        this.connectivity = connectivity;
        this.inbound = inbound;
        this.options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setCleanSession(true);
        options.setAutomaticReconnect(false);
        options.setKeepAliveInterval((int) Math.max(1, context.get(MqttBackendProvider.KEEP_ALIVE).toSeconds()));
        options.setConnectionTimeout((int) Math.max(1, context.publishTimeout().toSeconds()));
        options.setMaxInflight(context.get(MqttBackendProvider.PUBLISH_WINDOW));
        if (address.user() != null) {
            options.setUserName(address.user());
        }
        if (address.password() != null) {
            options.setPassword(address.password());
        }
        // memory, not Paho's default file persistence in the working dir: a clean session keeps nothing anyway
        this.client = new MqttAsyncClient(address.serverUri(), clientId, new MemoryPersistence());
        client.setCallback(this);
        client.setManualAcks(inbound != null); // the library acks, not Paho when messageArrived returns
    }

    /** Connects now and runs {@code setup}, waiting for both; closes the client if either fails. */
    void connect(Setup setup) {
        this.setup = setup;
        try {
            client.connect(options).waitForCompletion();
            CompletableFuture<Void> done = new CompletableFuture<>();
            setup.run(client, listener(() -> done.complete(null), done::completeExceptionally));
            done.get(context.publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw MqttErrors.classify("cannot connect the " + role + " to " + context.redactedUrl(), e);
        }
    }

    MqttAsyncClient client() {
        return client;
    }

    /** The session messages arriving now belong to. */
    long session() {
        return session.get();
    }

    /**
     * Acknowledges a message delivered in {@code inSession}. A message of a session lost since is not acked: clean
     * sessions forget it, and its id may name another message in the new session. A loss right between the check
     * and the send can still ack a new message early, which frees its slot at the broker a little early and loses
     * nothing (this backend is at most once).
     */
    void ack(long inSession, int messageId) {
        if (inSession != session.get()) {
            return;
        }
        try {
            client.messageArrivedComplete(messageId, 1);
        } catch (MqttException e) {
            LOG.debug("mqtt: ack not sent, the {} lost its connection: {}", role, e.toString());
        }
    }

    @Override
    public void connectionLost(Throwable cause) {
        session.incrementAndGet();
        LOG.warn("mqtt: the {} lost its connection to {}: {}", role, context.redactedUrl(), String.valueOf(cause));
        connectivity.lost(this, cause);
        scheduleReconnect(1);
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) {
        if (inbound == null) {
            return;
        }
        try {
            inbound.arrived(topic, message, session.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing: the message is left to the broker
        } catch (RuntimeException | Error e) {
            // Paho drops the connection when this callback throws; one bad message must not (kit rule R22)
            LOG.error("mqtt: the {} failed on a message from {}", role, topic, e);
        }
    }

    @Override
    public void deliveryComplete(IMqttDeliveryToken token) {
        // publishes complete through their own listener
    }

    private synchronized void scheduleReconnect(int attempt) {
        if (closed) {
            return;
        }
        long delay = context.reconnectPolicy().delay(attempt).toMillis();
        retry = context.scheduler().schedule(() -> reconnect(attempt), delay, TimeUnit.MILLISECONDS);
    }

    private void reconnect(int attempt) {
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        // one outcome per attempt: a late answer after the deadline below, or a failure after a drop, retries no more
        AtomicBoolean over = new AtomicBoolean();
        Runnable again = () -> {
            if (over.compareAndSet(false, true)) {
                scheduleReconnect(attempt + 1);
            }
        };
        // Paho bounds only the TCP connect: an attempt whose CONNACK or SUBACK never comes would end the loop for
        // good, the connection never back (the kit's R18 saw a subscription stay down after a cut)
        long limit = 2 * Math.max(1_000, context.publishTimeout().toMillis());
        context.scheduler().schedule(() -> {
            if (!over.get()) {
                LOG.debug("mqtt: the {}'s reconnect attempt {} got no answer within {} ms; dropping it", role, attempt,
                        limit);
                dropForcibly(again);
            }
        }, limit, TimeUnit.MILLISECONDS);
        try {
            client.connect(options, null, listener(() -> {
                try {
                    setup.run(client, listener(() -> {
                        if (over.compareAndSet(false, true)) {
                            LOG.info("mqtt: the {} is back on {}", role, context.redactedUrl());
                            connectivity.back(this);
                        }
                    }, e -> dropAndRetry(again)));
                } catch (MqttException | RuntimeException e) {
                    dropAndRetry(again);
                }
            }, e -> {
                LOG.debug("mqtt: the {}'s reconnect attempt {} failed: {}", role, attempt, e.toString());
                again.run();
            }));
        } catch (MqttException | RuntimeException e) {
            LOG.debug("mqtt: the {}'s reconnect attempt {} failed: {}", role, attempt, e.toString());
            again.run();
        }
    }

    /** An attempt that got no answer: close its network connection (its pending tokens fail) and retry. */
    private void dropForcibly(Runnable again) {
        session.incrementAndGet();
        try {
            client.disconnectForcibly(0, 0, false);
        } catch (MqttException | RuntimeException e) {
            LOG.debug("mqtt: dropping the {}'s stuck attempt failed: {}", role, e.toString());
        }
        again.run();
    }

    /** The session connected but its setup failed: drop it (a user disconnect fires no connectionLost) and retry. */
    private void dropAndRetry(Runnable again) {
        session.incrementAndGet();
        try {
            client.disconnect(0, null, listener(again, e -> again.run()));
        } catch (MqttException e) {
            again.run();
        }
    }

    /**
     * Stops the reconnect loop, disconnects (Paho sends what is queued first, every ack given before included, and
     * waits up to two seconds for it) and frees the client's threads. Idempotent.
     */
    void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (retry != null) {
                retry.cancel(false);
            }
        }
        connectivity.forget(this);
        try {
            if (client.isConnected()) {
                client.disconnect(QUIESCE_MS).waitForCompletion(QUIESCE_MS + 1_000);
            }
        } catch (MqttException e) {
            LOG.debug("mqtt: the {} did not disconnect cleanly: {}", role, e.toString());
        }
        try {
            client.close(true);
        } catch (MqttException e) {
            LOG.debug("mqtt: the {}'s client did not close cleanly: {}", role, e.toString());
        }
    }

    static IMqttActionListener listener(Runnable ok, java.util.function.Consumer<Throwable> failed) {
        return new IMqttActionListener() {
            @Override
            public void onSuccess(IMqttToken token) {
                ok.run();
            }

            @Override
            public void onFailure(IMqttToken token, Throwable error) {
                failed.accept(error);
            }
        };
    }
}
