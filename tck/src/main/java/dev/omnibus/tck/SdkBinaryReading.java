package dev.omnibus.tck;

import io.cloudevents.SpecVersion;
import io.cloudevents.core.data.BytesCloudEventData;
import io.cloudevents.core.message.impl.BaseGenericBinaryMessageReaderImpl;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The CloudEvents SDK's generic reading of a binary-mode message ({@code BaseGenericBinaryMessageReaderImpl}: every
 * header in order, the content-type header as the data content type, each attribute header as the attribute it names,
 * the SDK's own event builder), for tests that check a backend's own reader against it on generated and bent
 * messages ({@link GeneratedEvents}). A binding that reads with the SDK's generic reader is exactly this with its
 * {@link Naming}; a reader written to replace one must give the same event, or refuse the same messages.
 * Stateless and thread-safe; creates no threads.
 */
public final class SdkBinaryReading {
    /** What {@link #read} returns, before the SDK's message, when the SDK refuses a message. */
    public static final String REFUSED = "not a valid CloudEvent: ";

    private SdkBinaryReading() {
    }

    /**
     * How a binding names things on its messages.
     *
     * @param contentTypeHeader the header that carries the data content type ({@code content-type})
     * @param isAttribute       whether a header carries an attribute ({@code ce-} and a name, say)
     * @param attributeName     the attribute a header carries, from the header's name
     * @param text              a header value's text
     * @param <V>               the type of a header value on the broker's messages
     */
    public record Naming<V>(String contentTypeHeader, Predicate<String> isAttribute,
                            UnaryOperator<String> attributeName, Function<V, String> text) {
        /** Checks that nothing is null. */
        public Naming {
            Objects.requireNonNull(contentTypeHeader, "contentTypeHeader");
            Objects.requireNonNull(isAttribute, "isAttribute");
            Objects.requireNonNull(attributeName, "attributeName");
            Objects.requireNonNull(text, "text");
        }
    }

    /**
     * What the SDK reads from a message.
     *
     * @param specVersion the spec version header's value, or {@code null} when the message has none
     * @param headers     every header in the order the message holds them (a repeated header is read each time);
     *                    values may be {@code null}
     * @param data        the data, or {@code null} for none
     * @param naming      how the binding names things
     * @param <V>         the type of a header value
     * @return the event, or {@link #REFUSED} followed by the SDK's message
     */
    public static <V> Object read(V specVersion, List<? extends Map.Entry<String, V>> headers, byte[] data,
                                  Naming<V> naming) {
        try {
            SpecVersion version = SpecVersion.parse(naming.text().apply(specVersion));
            return new Reader<>(version, headers, data, naming).toEvent();
        } catch (RuntimeException e) {
            return REFUSED + e.getMessage();
        }
    }

    private static final class Reader<V> extends BaseGenericBinaryMessageReaderImpl<String, V> {
        private final List<? extends Map.Entry<String, V>> headers;
        private final Naming<V> naming;

        Reader(SpecVersion version, List<? extends Map.Entry<String, V>> headers, byte[] data, Naming<V> naming) {
            super(version, data == null ? null : BytesCloudEventData.wrap(data));
            this.headers = headers;
            this.naming = naming;
        }

        @Override
        protected boolean isContentTypeHeader(String key) {
            return key.equals(naming.contentTypeHeader());
        }

        @Override
        protected boolean isCloudEventsHeader(String key) {
            return naming.isAttribute().test(key);
        }

        @Override
        protected String toCloudEventsKey(String key) {
            return naming.attributeName().apply(key);
        }

        @Override
        protected void forEachHeader(BiConsumer<String, V> fn) {
            headers.forEach(h -> fn.accept(h.getKey(), h.getValue()));
        }

        @Override
        protected String toCloudEventsValue(V value) {
            return naming.text().apply(value);
        }
    }
}
