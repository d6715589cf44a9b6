package dev.omnibus.gcp.internal;

import dev.omnibus.ConnectionState;
import dev.omnibus.spi.BackendContext;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Whether the server is reachable, as the library is told: follows the gRPC channel's state and what calls report,
 * reports DISCONNECTED once per outage and RECONNECTED once it is over, and while the server is unreachable lets the
 * channel reconnect at the library's pace. Thread-safe: one flag decides which report goes out, so each is sent once
 * however many threads see the change.
 */
final class ChannelHealth {
    private static final Logger log = LoggerFactory.getLogger(ChannelHealth.class);

    private final BackendContext context;
    private final ManagedChannel channel;
    private final ScheduledExecutorService executor;
    private final boolean emulator;
    private final Collection<PubSubReceiver> receivers;
    private final BooleanSupplier closed;
    private final AtomicBoolean down = new AtomicBoolean();

    /**
     * @param executor  runs the reconnect timer
     * @param emulator  whether the server is an emulator, whose RECONNECTED waits for {@code receivers}
     * @param receivers the connection's live receivers (read, never changed)
     * @param closed    whether the connection is closed: then nothing is reported
     */
    ChannelHealth(BackendContext context, ManagedChannel channel, ScheduledExecutorService executor,
                  boolean emulator, Collection<PubSubReceiver> receivers, BooleanSupplier closed) {
        this.context = context;
        this.channel = channel;
        this.executor = executor;
        this.emulator = emulator;
        this.receivers = receivers;
        this.closed = closed;
    }

    /** Follows the channel's state where we own it: TRANSIENT_FAILURE is a disconnect, READY after it a reconnect. */
    void watchChannel() {
        if (closed.getAsBoolean()) {
            return;
        }
        ConnectivityState now = channel.getState(false);
        if (now == ConnectivityState.TRANSIENT_FAILURE) {
            disconnected(null);
        } else if (now == ConnectivityState.READY) {
            reachable();
        }
        if (now != ConnectivityState.SHUTDOWN) {
            channel.notifyWhenStateChanged(now, this::watchChannel);
        }
    }

    /** An RPC or the channel failed to reach the server. */
    void disconnected(Throwable cause) {
        if (!closed.getAsBoolean() && down.compareAndSet(false, true)) {
            log.warn("{}: lost {} ({}); reconnecting", PubSubBackend.NAME, context.redactedUrl(),
                    cause == null ? "channel in TRANSIENT_FAILURE" : cause.getMessage());
            context.connectionState(ConnectionState.DISCONNECTED, cause);
            scheduleReconnect(1);
        }
    }

    /**
     * While the server is unreachable, lets the channel try again at the library's pace ({@code reconnect.*}):
     * gRPC's own connect backoff grows to two minutes, and an administrative call retried by the client meanwhile
     * (re-creating a subscription after a cut) fails at once every time the channel is still backing off, so after
     * a long outage the first call that could succeed came up to a minute after the server was back.
     */
    private void scheduleReconnect(int attempt) {
        try {
            executor.schedule(() -> {
                if (closed.getAsBoolean() || !down.get()) {
                    return;
                }
                if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
                    reconnectNow();
                }
                scheduleReconnect(attempt + 1);
            }, context.reconnectPolicy().delay(attempt).toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing: nothing left to reconnect
        }
    }

    /**
     * An RPC succeeded or the channel is ready; on an emulator, not before its receivers have replaced the
     * subscriptions whose streams died (see {@link PubSubReceiver}), so events published once the connection is
     * reported back reach a live stream.
     */
    void reachable() {
        if (emulator) {
            for (PubSubReceiver r : receivers) {
                if (r.recovering()) {
                    return;
                }
            }
        }
        if (!closed.getAsBoolean() && down.compareAndSet(true, false)) {
            log.info("{}: reconnected to {}", PubSubBackend.NAME, context.redactedUrl());
            context.connectionState(ConnectionState.RECONNECTED, null);
        }
    }

    /** Lets the channel reconnect now instead of after gRPC's own backoff: the library's policy paces retries. */
    void reconnectNow() {
        channel.resetConnectBackoff();
    }
}
