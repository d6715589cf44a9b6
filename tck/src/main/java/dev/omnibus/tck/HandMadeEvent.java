package dev.omnibus.tck;

import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;

import java.net.URI;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Set;

/**
 * A CloudEvent as a hand-written implementation could produce it, bypassing the SDK builder's checks: one
 * required attribute dropped, or extensions with any names. Used by R15 to prove the library validates itself.
 */
final class HandMadeEvent implements CloudEvent {
    private final CloudEvent base;
    private final String dropped;
    private final Map<String, Object> extensions;

    private HandMadeEvent(CloudEvent base, String dropped, Map<String, Object> extensions) {
        this.base = base;
        this.dropped = dropped;
        this.extensions = extensions;
    }

    /** {@code base} without {@code attribute} (id, source, type or specversion). */
    static CloudEvent without(CloudEvent base, String attribute) {
        return new HandMadeEvent(base, attribute, Map.of());
    }

    /** {@code base} with exactly {@code extensions}, names unchecked. */
    static CloudEvent withExtensions(CloudEvent base, Map<String, Object> extensions) {
        return new HandMadeEvent(base, "", Map.copyOf(extensions));
    }

    @Override
    public CloudEventData getData() {
        return base.getData();
    }

    @Override
    public SpecVersion getSpecVersion() {
        return dropped.equals("specversion") ? null : base.getSpecVersion();
    }

    @Override
    public String getId() {
        return dropped.equals("id") ? null : base.getId();
    }

    @Override
    public String getType() {
        return dropped.equals("type") ? "" : base.getType();
    }

    @Override
    public URI getSource() {
        return dropped.equals("source") ? null : base.getSource();
    }

    @Override
    public String getDataContentType() {
        return base.getDataContentType();
    }

    @Override
    public URI getDataSchema() {
        return base.getDataSchema();
    }

    @Override
    public String getSubject() {
        return base.getSubject();
    }

    @Override
    public OffsetDateTime getTime() {
        return base.getTime();
    }

    @Override
    public Object getAttribute(String name) {
        return base.getAttribute(name);
    }

    @Override
    public Object getExtension(String name) {
        return extensions.get(name);
    }

    @Override
    public Set<String> getExtensionNames() {
        return extensions.keySet();
    }
}
