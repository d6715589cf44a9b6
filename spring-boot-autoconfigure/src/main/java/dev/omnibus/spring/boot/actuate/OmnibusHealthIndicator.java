package dev.omnibus.spring.boot.actuate;

import dev.omnibus.ConnectionState;
import dev.omnibus.Omnibus;
import dev.omnibus.spring.OmnibusConnections;
import dev.omnibus.spring.listener.ListenerStatus;
import dev.omnibus.spring.listener.OmnibusListenerContainer;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Health of Omnibus, {@code omnibus} on {@code /actuator/health}: DOWN when a connection is not connected
 * ({@link ConnectionState#DISCONNECTED} or {@link ConnectionState#CLOSED}) or a listener's subscription died while
 * the listeners run; OUT_OF_SERVICE while the listeners are stopped (before start, during shutdown); else UP.
 *
 * <p>Details: each connection's backend and state ({@code primary} for {@code omnibus.url}'s, the others under
 * {@code connections}), and each listener's topic, group, connection, state and, when it died, its error. Never a URL
 * (they hold passwords) nor an option value. Thread-safe; each call reads the current state, without a round trip to
 * the broker.
 */
public final class OmnibusHealthIndicator implements HealthIndicator {
    private final OmnibusConnections connections;
    private final OmnibusListenerContainer listeners;

    /** Health of {@code connections} and of the listeners of {@code listeners}. */
    public OmnibusHealthIndicator(OmnibusConnections connections, OmnibusListenerContainer listeners) {
        this.connections = connections;
        this.listeners = listeners;
    }

    @Override
    public Health health() {
        boolean down = false;
        Map<String, Object> named = new LinkedHashMap<>();
        Map<String, Object> primary = null;
        for (Map.Entry<String, Omnibus> e : connections.all().entrySet()) {
            ConnectionState state = e.getValue().connectionState();
            down |= !OmnibusConnections.isUp(state);
            Map<String, Object> detail = Map.of("backend", e.getValue().backend(), "state", state.name());
            if (e.getKey().equals(OmnibusConnections.PRIMARY)) {
                primary = detail;
            } else {
                named.put(e.getKey(), detail);
            }
        }
        List<ListenerStatus> statuses = listeners.statuses();
        Map<String, Object> listenerDetails = new LinkedHashMap<>();
        for (ListenerStatus s : statuses) {
            down |= s.state() == ListenerStatus.State.FAILED;
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("topic", s.topic());
            if (s.group() != null) {
                detail.put("group", s.group());
            }
            if (!s.connection().isEmpty()) {
                detail.put("connection", s.connection());
            }
            detail.put("state", s.state().name());
            s.failure().ifPresent(f -> detail.put("error", f.getMessage()));
            listenerDetails.put(s.id(), detail);
        }
        Status status = down ? Status.DOWN
                : !statuses.isEmpty() && !listeners.isRunning() ? Status.OUT_OF_SERVICE : Status.UP;
        Health.Builder health = Health.status(status).withDetail("primary", primary);
        if (!named.isEmpty()) {
            health.withDetail("connections", named);
        }
        return health.withDetail("listeners", listenerDetails).build();
    }
}
