package dev.omnibus.spring;

import dev.omnibus.ConfigException;
import dev.omnibus.ConnectionState;
import dev.omnibus.Omnibus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The application's connections: the primary one ({@code omnibus.url}, also the {@link Omnibus} bean) under the
 * empty name, and the named ones ({@code omnibus.connections.<name>.url}). Thread-safe (fixed at construction).
 *
 * <p>It owns the named connections and closes them in {@link #close()}; the primary one is closed by its own bean,
 * which Spring destroys after this one (this one depends on it).
 */
public final class OmnibusConnections implements AutoCloseable {
    /** The name of the primary connection in {@link #get(String)} and in health details. */
    public static final String PRIMARY = "";

    private final Map<String, Omnibus> connections;

    /**
     * The primary connection plus {@code named} ones (names not empty).
     *
     * @throws IllegalArgumentException if a name is empty
     */
    public OmnibusConnections(Omnibus primary, Map<String, Omnibus> named) {
        Map<String, Omnibus> all = new LinkedHashMap<>();
        all.put(PRIMARY, Objects.requireNonNull(primary, "primary"));
        named.forEach((name, bus) -> {
            if (name.isEmpty()) {
                throw new IllegalArgumentException("a named connection needs a non-empty name");
            }
            all.put(name, bus);
        });
        this.connections = Collections.unmodifiableMap(all);
    }

    /** The primary connection. */
    public Omnibus primary() {
        return connections.get(PRIMARY);
    }

    /**
     * The connection {@code name} ({@link #PRIMARY}, the empty name, for the primary one).
     *
     * @throws ConfigException if there is no such connection; it lists those there are
     */
    public Omnibus get(String name) {
        Omnibus bus = connections.get(name);
        if (bus == null) {
            throw new ConfigException("no connection named '" + name + "': configure omnibus.connections." + name
                    + ".url, or use one of " + names() + " (the empty name is omnibus.url's)");
        }
        return bus;
    }

    /** Every connection by name, the primary one first under the empty name. */
    public Map<String, Omnibus> all() {
        return connections;
    }

    /** The names of the named connections. */
    public List<String> names() {
        List<String> names = new ArrayList<>(connections.keySet());
        names.remove(PRIMARY);
        return names;
    }

    /** Whether {@code state} counts as connected. */
    public static boolean isUp(ConnectionState state) {
        return state == ConnectionState.CONNECTED || state == ConnectionState.RECONNECTED;
    }

    /** Closes the named connections (the listener container drained their listeners before); each drains what is left, as {@link Omnibus#close()}. */
    @Override
    public void close() {
        connections.forEach((name, bus) -> {
            if (!name.equals(PRIMARY)) {
                bus.close();
            }
        });
    }
}
