package dev.omnibus.spi;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A binary-mode writer's templates: for each combination of the attributes that usually repeat from event to event
 * (spec version, source, type, data content type, data schema), one value of the writer's own (encoded headers, say)
 * built once and shared by every event with that combination, so the writer encodes only the attributes that change
 * (id, time, subject, extensions).
 *
 * <p>The combination used last is checked first, field by field ({@code ==}, then {@code equals}), without hashing
 * or allocating: an application publishing one kind of event (the usual case) never reaches the map. Why: the Kafka
 * backend's lookup (a record key made per publish, hashed and compared through the record's generated
 * {@code hashCode}/{@code equals}) was a fifth of its publishing thread in a JFR profile (2026-12-06), more than the
 * encoding it saved.
 *
 * <p>Bounded to {@value #MAX} combinations: past that, {@link #get} returns {@code null} for a combination it does
 * not hold and the writer builds that event's headers itself, so an application inventing a source per event cannot
 * grow the heap.
 *
 * <p>Thread-safe, never blocks (but for the first use of a combination, which builds its template once under the
 * map's bin lock). A template is built once and published through a concurrent map; the last-used entry is one
 * volatile reference to an immutable entry.
 *
 * @param <T> what the writer keeps per combination; must be immutable or never changed once built
 */
public final class AttributeTemplates<T> {
    /** Most combinations kept. */
    public static final int MAX = 1024;

    private final Function<? super Key, ? extends T> build;
    private final ConcurrentHashMap<Key, Entry<T>> byKey = new ConcurrentHashMap<>();
    /** The entry returned last: checked before the map. */
    private volatile Entry<T> last;

    /**
     * Templates made by {@code build}, one per combination on its first event.
     *
     * @param build makes a combination's template; called at most once per combination kept, must not return
     *              {@code null}
     * @throws NullPointerException if {@code build} is null
     */
    public AttributeTemplates(Function<? super Key, ? extends T> build) {
        this.build = Objects.requireNonNull(build, "build");
    }

    /**
     * The template of this combination (a {@code null} attribute is an absent one), built on its first use;
     * {@code null} when {@value #MAX} other combinations are kept already.
     *
     * @throws NullPointerException if the builder returned {@code null}
     * @throws RuntimeException     what the builder threw, on the combination's first use
     */
    public T get(String specVersion, String source, String type, String dataContentType, String dataSchema) {
        Entry<T> e = last;
        if (e != null && e.key.is(specVersion, source, type, dataContentType, dataSchema)) {
            return e.template;
        }
        Key key = new Key(specVersion, source, type, dataContentType, dataSchema);
        e = byKey.get(key);
        if (e == null) {
            if (byKey.size() >= MAX) {
                return null;
            }
            e = byKey.computeIfAbsent(key, k -> new Entry<>(k, Objects.requireNonNull(build.apply(k),
                    "the template builder returned null")));
        }
        last = e;
        return e.template;
    }

    /** How many combinations are kept. */
    public int size() {
        return byKey.size();
    }

    /** A kept combination and its template; immutable. */
    private static final class Entry<T> {
        final Key key;
        final T template;

        Entry(Key key, T template) {
            this.key = key;
            this.template = template;
        }
    }

    /**
     * One combination of the repeating attributes, as the writer gave them ({@code null}: absent). Immutable;
     * equal when every attribute is.
     */
    public static final class Key {
        private final String specVersion;
        private final String source;
        private final String type;
        private final String dataContentType;
        private final String dataSchema;
        private final int hash;

        Key(String specVersion, String source, String type, String dataContentType, String dataSchema) {
            this.specVersion = specVersion;
            this.source = source;
            this.type = type;
            this.dataContentType = dataContentType;
            this.dataSchema = dataSchema;
            int h = Objects.hashCode(specVersion);
            h = 31 * h + Objects.hashCode(source);
            h = 31 * h + Objects.hashCode(type);
            h = 31 * h + Objects.hashCode(dataContentType);
            this.hash = 31 * h + Objects.hashCode(dataSchema);
        }

        /** The spec version, or {@code null}. */
        public String specVersion() {
            return specVersion;
        }

        /** The source, or {@code null}. */
        public String source() {
            return source;
        }

        /** The type, or {@code null}. */
        public String type() {
            return type;
        }

        /** The data content type, or {@code null}. */
        public String dataContentType() {
            return dataContentType;
        }

        /** The data schema, or {@code null}. */
        public String dataSchema() {
            return dataSchema;
        }

        boolean is(String specVersion, String source, String type, String dataContentType, String dataSchema) {
            return same(this.specVersion, specVersion) && same(this.source, source) && same(this.type, type)
                    && same(this.dataContentType, dataContentType) && same(this.dataSchema, dataSchema);
        }

        private static boolean same(String a, String b) {
            return a == b || (a != null && a.equals(b));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && hash == k.hash
                    && k.is(specVersion, source, type, dataContentType, dataSchema);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public String toString() {
            return "Key{specversion=" + specVersion + ", source=" + source + ", type=" + type + ", datacontenttype="
                    + dataContentType + ", dataschema=" + dataSchema + "}";
        }
    }
}
