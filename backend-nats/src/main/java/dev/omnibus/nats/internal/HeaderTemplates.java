package dev.omnibus.nats.internal;

import dev.omnibus.nats.NatsBinding;
import io.nats.client.impl.Headers;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Read-only jnats {@link Headers} holding the {@code ce-} headers that repeat from event to event (spec version,
 * source, type, data content type, data schema), one per combination seen, so a binary-mode message's headers are a
 * copy of its template plus the attributes that change (id, time, subject, extensions). Why: jnats validates every
 * header it is given character by character and builds two maps entry by entry; a copy of a template skips both for
 * five of the usual seven headers (a third of the NATS core publishing thread was header building).
 *
 * <p>Thread-safe: templates are built once, never changed after, and published through a concurrent map. Bounded to
 * {@value #MAX} combinations; events with a combination beyond that get their headers built one by one (same
 * headers, slower), so an application inventing a source per event cannot grow the heap. Not API.
 */
public final class HeaderTemplates {
    /** Most templates kept. */
    public static final int MAX = 1024;

    /** The constant attributes, percent-encoded as headers carry them; a {@code null} is an absent attribute. */
    record Key(String specVersion, String source, String type, String dataContentType, String dataSchema) {
    }

    private final ConcurrentHashMap<Key, Headers> templates = new ConcurrentHashMap<>();

    /** No templates yet; each combination's is made on its first event. */
    public HeaderTemplates() {
    }

    /**
     * A copy of the template for {@code key}, to which the caller adds the varying headers before it hands them to
     * one message and lets go of them (see {@link Sealed}).
     */
    Headers headersFor(Key key) {
        Headers template = templates.get(key);
        if (template == null) {
            if (templates.size() >= MAX) {
                return new Sealed(build(key));
            }
            // read-only so nothing can change a template that copies share values with
            template = templates.computeIfAbsent(key, k -> new Headers(build(k), true));
        }
        return new Sealed(template);
    }

    /**
     * Headers that report themselves read-only although {@code put} still works on them. Why: jnats copies a
     * message's headers on every publish unless {@link Headers#isReadOnly()} says they cannot change (jnats 2.26
     * {@code NatsPublishableMessage}); the writer fills these in, hands them to exactly one message and never
     * touches them again, so the copy (two maps per event) buys nothing. jnats' own mutators check its private flag,
     * not this method, so filling them in works; should a later jnats check the method instead, every publish fails
     * at once with {@code UnsupportedOperationException} (the backend tests would show it), never silently.
     */
    static final class Sealed extends Headers {
        Sealed(Headers template) {
            super(template);
        }

        @Override
        public boolean isReadOnly() {
            return true;
        }
    }

    /** How many templates are kept (for tests). */
    int size() {
        return templates.size();
    }

    /** Fresh mutable headers holding {@code key}'s attributes, each validated by jnats. */
    static Headers build(Key key) {
        Headers h = new Headers();
        putIfPresent(h, "specversion", key.specVersion());
        putIfPresent(h, "source", key.source());
        putIfPresent(h, "type", key.type());
        putIfPresent(h, "datacontenttype", key.dataContentType());
        putIfPresent(h, "dataschema", key.dataSchema());
        return h;
    }

    private static void putIfPresent(Headers h, String attribute, String value) {
        if (value != null) {
            h.put(NatsBinding.CE_PREFIX + attribute, value);
        }
    }
}
