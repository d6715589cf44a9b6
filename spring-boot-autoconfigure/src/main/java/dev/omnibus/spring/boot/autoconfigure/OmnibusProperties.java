package dev.omnibus.spring.boot.autoconfigure;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code omnibus.*} properties: the primary connection's URL and options, and named connections. Bound by Spring
 * Boot with relaxed binding; not thread-safe, read once at startup. Holds secrets (the URL's password, some options):
 * it has no {@code toString} that would print them.
 */
@ConfigurationProperties(prefix = "omnibus")
public class OmnibusProperties {
    /**
     * Whether to auto-configure Omnibus at all.
     */
    private boolean enabled = true;

    /**
     * The broker's URL; its scheme picks the backend: mem://, nats://, jetstream://, kafka://, redis://, amqp://,
     * gcppubsub://. Falls back on the environment variable OMNIBUS_URL.
     */
    private String url;

    /**
     * Connection options (publish.timeout, reconnect.max, tls.ca.file...), as Config properties: they win over the
     * URL query and OMNIBUS_* environment variables.
     */
    private Map<String, String> options = new LinkedHashMap<>();

    /**
     * Further connections by name, for listeners and publishers on another broker.
     */
    private Map<String, Connection> connections = new LinkedHashMap<>();

    /** Whether to auto-configure Omnibus at all. */
    public boolean isEnabled() {
        return enabled;
    }

    /** Sets {@link #isEnabled()}. */
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** The primary connection's URL, or {@code null}. Contains secrets: do not log it. */
    public String getUrl() {
        return url;
    }

    /** Sets {@link #getUrl()}. */
    public void setUrl(String url) {
        this.url = url;
    }

    /** The primary connection's options. */
    public Map<String, String> getOptions() {
        return options;
    }

    /** Sets {@link #getOptions()}. */
    public void setOptions(Map<String, String> options) {
        this.options = options;
    }

    /** The named connections. */
    public Map<String, Connection> getConnections() {
        return connections;
    }

    /** Sets {@link #getConnections()}. */
    public void setConnections(Map<String, Connection> connections) {
        this.connections = connections;
    }

    /** One named connection: {@code omnibus.connections.<name>.*}. Not thread-safe. */
    public static class Connection {
        /**
         * The broker's URL; its scheme picks the backend.
         */
        private String url;

        /**
         * Connection options, as for omnibus.options.
         */
        private Map<String, String> options = new LinkedHashMap<>();

        /** The URL, or {@code null}. Contains secrets: do not log it. */
        public String getUrl() {
            return url;
        }

        /** Sets {@link #getUrl()}. */
        public void setUrl(String url) {
            this.url = url;
        }

        /** The options. */
        public Map<String, String> getOptions() {
            return options;
        }

        /** Sets {@link #getOptions()}. */
        public void setOptions(Map<String, String> options) {
            this.options = options;
        }
    }
}
