package dev.omnibus.nats.internal;

import dev.omnibus.nats.NatsBinding;
import dev.omnibus.spi.AttributeTemplates;
import io.nats.client.impl.Headers;
import io.nats.client.support.ByteArrayBuilder;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Read-only jnats {@link Headers} holding the {@code ce-} headers that repeat from event to event (spec version,
 * source, type, data content type, data schema), one per combination seen, so a binary-mode message's headers are a
 * copy of its template plus the attributes that change (id, time, subject, extensions). Why: jnats validates every
 * header it is given character by character and builds two maps entry by entry; a copy of a template skips both for
 * five of the usual seven headers (a third of the NATS core publishing thread was header building).
 *
 * <p>Thread-safe: templates are built once, never changed after, and kept in an {@link AttributeTemplates} (the
 * combination used last is found without hashing). Bounded to {@value #MAX} combinations; events with a combination
 * beyond that get their headers built one by one (same headers, slower), so an application inventing a source per
 * event cannot grow the heap. Not API.
 */
public final class HeaderTemplates {
    /** Most templates kept. */
    public static final int MAX = AttributeTemplates.MAX;

    /** {@link #encoded}'s attributes. */
    static final int SOURCE = 0;
    static final int TYPE = 1;
    static final int DATA_CONTENT_TYPE = 2;
    static final int DATA_SCHEMA = 3;

    /** Keyed by the constant attributes, percent-encoded as headers carry them. */
    private final AttributeTemplates<Template> templates = new AttributeTemplates<>(Template::of);
    /**
     * Per repeating attribute, the value last encoded and its header form. A plain array read and written by any
     * thread: an {@link Encoded} is immutable (final fields), so a thread sees none, an older or a newer one, each
     * whole; a miss only encodes again.
     */
    private final Encoded[] lastEncoded = new Encoded[4];

    /** A value and its header form. */
    private record Encoded(String value, String encoded) {
    }

    /** No templates yet; each combination's is made on its first event. */
    public HeaderTemplates() {
    }

    /**
     * The template of this combination of the constant attributes (percent-encoded as headers carry them; {@code null}
     * for an absent one), or {@code null} when {@value #MAX} others are kept.
     */
    Template templateFor(String specVersion, String source, String type, String dataContentType, String dataSchema) {
        return templates.get(specVersion, source, type, dataContentType, dataSchema);
    }

    /**
     * A copy of {@code template}'s headers, to which the caller adds the varying headers before it hands them to one
     * message and lets go of them (see {@link Sealed}).
     */
    static Headers headersFrom(Template template) {
        return new Sealed(template.headers);
    }

    /**
     * {@code template}'s constant headers and the {@code length / 2} varying (name, value) pairs of {@code varying},
     * written out at once for a NATS core publish (see {@link Written}); null when a pair is not plain printable
     * ASCII, which the caller then builds through jnats' validation. The caller must not change {@code varying}
     * afterwards.
     */
    static Headers written(Template template, String[] varying, int length) {
        return Written.of(template, varying, length);
    }

    /**
     * {@link HeaderValues#encode} of {@code value}, a value of {@code attribute} ({@link #SOURCE}, {@link #TYPE},
     * {@link #DATA_CONTENT_TYPE} or {@link #DATA_SCHEMA}): the last one's form is kept, since these repeat from event
     * to event (usually the very same string), which spares scanning them for characters to encode per event.
     */
    String encoded(int attribute, String value) {
        Encoded last = lastEncoded[attribute];
        if (last != null && (last.value == value || last.value.equals(value))) {
            return last.encoded;
        }
        String encoded = HeaderValues.encode(value);
        lastEncoded[attribute] = new Encoded(value, encoded);
        return encoded;
    }

    /**
     * One combination's headers, read-only so nothing can change a template that copies share values with, and
     * their serialized form without the closing blank line ({@code NATS/1.0\r\n} and a {@code name:value\r\n} per
     * header, as jnats writes them).
     */
    record Template(Headers headers, byte[] open) {
        static Template of(AttributeTemplates.Key key) {
            Headers headers = new Headers(build(key.specVersion(), key.source(), key.type(), key.dataContentType(),
                    key.dataSchema()), true);
            byte[] serialized = headers.getSerialized();
            return new Template(headers, Arrays.copyOf(serialized, serialized.length - 2));
        }
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

    /**
     * Headers of one NATS core publish, serialized when made: a template's bytes, then each varying header as
     * {@code name:value\r\n}, then the closing blank line. Why: the publishing thread otherwise copied a template's
     * two maps and put each varying header through jnats' validation, and jnats' writer thread walked the maps again
     * to serialize every message; together about a third of the CPU Omnibus' NATS core publishing used in a profile
     * (2026-12-05). jnats 2.26 asks a message's headers only {@code isEmpty}, {@code isReadOnly},
     * {@code serializedLength} and {@code serializeToArray} on the publish path ({@code NatsMessage.calculate},
     * {@code copyNotEmptyHeaders}); every other read fills jnats' maps from the template and the pairs on first use,
     * so the object stays a faithful {@link Headers}; it cannot be changed. Only names and values of printable ASCII
     * (no {@code :} in a name) are written so, which is what percent-encoded attribute values and validated
     * extension names are; anything else goes through jnats. Not for JetStream: jnats' JetStream publish copies a
     * message's headers by reading jnats' private maps, which this leaves empty until read. Should a later jnats
     * serialize some other way, every event would arrive without its {@code ce-} headers and every backend test would
     * fail, never silently.
     */
    static final class Written extends Headers {
        private final byte[] serialized;
        private final Headers template;
        private final String[] varying;
        private final int length;
        private boolean filled;

        private Written(byte[] serialized, Headers template, String[] varying, int length) {
            this.serialized = serialized;
            this.template = template;
            this.varying = varying;
            this.length = length;
        }

        static Written of(Template template, String[] varying, int length) {
            int size = template.open.length + 2;
            for (int i = 0; i < length; i++) {
                size += varying[i].length() + (i % 2 == 0 ? 1 : 2);
            }
            byte[] out = new byte[size];
            System.arraycopy(template.open, 0, out, 0, template.open.length);
            int at = template.open.length;
            for (int i = 0; i < length; i += 2) {
                at = plain(varying[i], true, out, at);
                if (at < 0) {
                    return null;
                }
                out[at++] = ':';
                at = plain(varying[i + 1], false, out, at);
                if (at < 0) {
                    return null;
                }
                out[at++] = '\r';
                out[at++] = '\n';
            }
            out[at++] = '\r';
            out[at] = '\n';
            return new Written(out, template.headers, varying, length);
        }

        /** Copies {@code text} as bytes to {@code out} at {@code at}; -1 if it is empty or not plain. */
        private static int plain(String text, boolean name, byte[] out, int at) {
            int n = text.length();
            if (n == 0) {
                return -1;
            }
            for (int i = 0; i < n; i++) {
                char c = text.charAt(i);
                if (c < 0x21 || c > 0x7e || (name && c == ':')) {
                    return -1;
                }
                out[at++] = (byte) c;
            }
            return at;
        }

        /** Fills jnats' maps, for any read but the publish path's. */
        private synchronized void fill() {
            if (!filled) {
                template.forEach((name, values) -> super.put(name, values));
                for (int i = 0; i < length; i += 2) {
                    super.put(varying[i], varying[i + 1]);
                }
                filled = true;
            }
        }

        @Override
        public boolean isReadOnly() {
            return true;
        }

        @Override
        public boolean isEmpty() {
            return false; // a template holds ce-specversion at least
        }

        @Override
        public int serializedLength() {
            return serialized.length;
        }

        @Override
        public byte[] getSerialized() {
            return serialized.clone();
        }

        @Override
        public int serializeToArray(int destPosition, byte[] dest) {
            System.arraycopy(serialized, 0, dest, destPosition, serialized.length);
            return serialized.length;
        }

        @Override
        public ByteArrayBuilder appendSerialized(ByteArrayBuilder bab) {
            return bab.append(serialized);
        }

        @Override
        public boolean isDirty() {
            return false;
        }

        @Override
        public int size() {
            fill();
            return super.size();
        }

        @Override
        public boolean containsKey(String key) {
            fill();
            return super.containsKey(key);
        }

        @Override
        public boolean containsKeyIgnoreCase(String key) {
            fill();
            return super.containsKeyIgnoreCase(key);
        }

        @Override
        public Set<String> keySet() {
            fill();
            return super.keySet();
        }

        @Override
        public Set<String> keySetIgnoreCase() {
            fill();
            return super.keySetIgnoreCase();
        }

        @Override
        public List<String> get(String key) {
            fill();
            return super.get(key);
        }

        @Override
        public String getFirst(String key) {
            fill();
            return super.getFirst(key);
        }

        @Override
        public String getLast(String key) {
            fill();
            return super.getLast(key);
        }

        @Override
        public List<String> getIgnoreCase(String key) {
            fill();
            return super.getIgnoreCase(key);
        }

        @Override
        public void forEach(BiConsumer<String, List<String>> action) {
            fill();
            super.forEach(action);
        }

        @Override
        public Set<Map.Entry<String, List<String>>> entrySet() {
            fill();
            return super.entrySet();
        }

        @Override
        public Map<String, List<String>> toMap() {
            fill();
            return super.toMap();
        }

        @Override
        public boolean equals(Object o) {
            fill();
            if (o instanceof Written w) {
                w.fill();
            }
            return super.equals(o);
        }

        @Override
        public int hashCode() {
            fill();
            return super.hashCode();
        }

        @Override
        public String toString() {
            fill();
            return super.toString();
        }

        @Override
        public Headers add(String key, String... values) {
            throw readOnly();
        }

        @Override
        public Headers add(String key, Collection<String> values) {
            throw readOnly();
        }

        @Override
        public Headers put(String key, String... values) {
            throw readOnly();
        }

        @Override
        public Headers put(String key, Collection<String> values) {
            throw readOnly();
        }

        @Override
        public Headers put(Map<String, List<String>> map) {
            throw readOnly();
        }

        @Override
        public void remove(String... keys) {
            throw readOnly();
        }

        @Override
        public void remove(Collection<String> keys) {
            throw readOnly();
        }

        @Override
        public void clear() {
            throw readOnly();
        }

        private static UnsupportedOperationException readOnly() {
            return new UnsupportedOperationException("the headers of a NATS core publish are written once and "
                    + "cannot change");
        }
    }

    /** How many templates are kept (for tests). */
    int size() {
        return templates.size();
    }

    /** Fresh mutable headers holding these attributes (a {@code null} is left out), each validated by jnats. */
    static Headers build(String specVersion, String source, String type, String dataContentType, String dataSchema) {
        Headers h = new Headers();
        putIfPresent(h, "specversion", specVersion);
        putIfPresent(h, "source", source);
        putIfPresent(h, "type", type);
        putIfPresent(h, "datacontenttype", dataContentType);
        putIfPresent(h, "dataschema", dataSchema);
        return h;
    }

    private static void putIfPresent(Headers h, String attribute, String value) {
        if (value != null) {
            h.put(NatsBinding.CE_PREFIX + attribute, value);
        }
    }
}
