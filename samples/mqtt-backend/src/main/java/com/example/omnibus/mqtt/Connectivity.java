package com.example.omnibus.mqtt;

import dev.omnibus.ConnectionState;
import dev.omnibus.spi.BackendContext;

import java.util.HashSet;
import java.util.Set;

/**
 * The bus's one connection state over the backend's many MQTT connections (the publisher's and one per
 * subscription): {@code DISCONNECTED} when the first of them is lost, {@code RECONNECTED} once every lost one is back
 * and subscribed again, as the SPI's call contract asks of a backend whose receivers have connections of their own.
 * {@code CONNECTED} and {@code CLOSED} the library reports itself. Thread-safe.
 */
final class Connectivity {
    private final BackendContext context;
    private final Set<MqttConnection> down = new HashSet<>(); // guarded by this
    private boolean reportedDown; // guarded by this

    Connectivity(BackendContext context) {
        this.context = context;
    }

    /** {@code connection} was lost (on a Paho thread). */
    synchronized void lost(MqttConnection connection, Throwable cause) {
        down.add(connection);
        if (!reportedDown) {
            reportedDown = true;
            // reported under the lock on purpose: two connections changing state at once must not report
            // DISCONNECTED and RECONNECTED out of order; the library's fan-out to listeners is quick
            context.connectionState(ConnectionState.DISCONNECTED, cause);
        }
    }

    /** {@code connection} is back, and its subscription (if any) is live again. */
    synchronized void back(MqttConnection connection) {
        down.remove(connection);
        reportBackIfAllAre();
    }

    /** {@code connection} was closed: it no longer counts, up or down. */
    synchronized void forget(MqttConnection connection) {
        if (down.remove(connection)) {
            reportBackIfAllAre();
        }
    }

    private void reportBackIfAllAre() {
        if (reportedDown && down.isEmpty()) {
            reportedDown = false;
            context.connectionState(ConnectionState.RECONNECTED, null);
        }
    }
}
