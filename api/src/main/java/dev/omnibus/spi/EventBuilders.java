package dev.omnibus.spi;

import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;
import io.cloudevents.core.message.Encoding;
import io.cloudevents.core.message.MessageReader;
import io.cloudevents.rw.CloudEventContextWriter;
import io.cloudevents.rw.CloudEventRWException;
import io.cloudevents.rw.CloudEventWriter;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.OffsetDateTime;

/**
 * What a backend's binary-mode reader reads into: the CloudEvents SDK's own builder, except that {@code time} is
 * parsed by {@link EventTime#parse} (same result or same error as the SDK, a twentieth of the cost) rather than by
 * {@code OffsetDateTime.parse}, and {@code source} comes from a {@link Sources} cache when one is given (a stream's
 * events mostly repeat one source, and {@code new URI} costs about 200 ns each). Everything else goes to the builder
 * unchanged, so the event, its validation and its errors are the SDK's. The methods are thread-safe; each writer
 * they make is for one event on one thread.
 */
public final class EventBuilders {
    private EventBuilders() {
    }

    /**
     * The event {@code reader} holds: binary mode read into {@link #writer}, structured mode as the SDK reads it
     * ({@link MessageReader#toEvent()}).
     *
     * @throws CloudEventRWException as the SDK's {@code toEvent}, when the message is not a valid event
     */
    public static CloudEvent toEvent(MessageReader reader) {
        return toEvent(reader, null);
    }

    /**
     * As {@link #toEvent(MessageReader)}, with a binary-mode event's {@code source} taken from {@code sources}.
     *
     * @param sources the cache of the reader's stream, or null for none
     */
    public static CloudEvent toEvent(MessageReader reader, Sources sources) {
        return reader.getEncoding() == Encoding.BINARY ? reader.read(version -> writer(version, sources))
                : reader.toEvent();
    }

    /**
     * A writer building one event of {@code version}, as {@code CloudEventBuilder.fromSpecVersion(version)} does, with
     * {@code time} given as text parsed by {@link EventTime#parse} and {@code source} text looked up in
     * {@code sources}.
     *
     * @param sources the cache of the reader's stream, or null for none
     */
    public static CloudEventWriter<CloudEvent> writer(SpecVersion version, Sources sources) {
        return new Fast(CloudEventBuilder.fromSpecVersion(version), sources);
    }

    /**
     * The attribute name a binary-mode header carries after its binding's prefix, as a shared constant, when that
     * text is exactly one of the usual lower-case names ({@code id}, {@code source}, {@code type}, {@code time},
     * {@code subject}, {@code dataschema}, {@code datacontenttype}, {@code specversion}, {@code partitionkey},
     * {@code traceparent}, {@code tracestate}); else null, and the reader cuts and converts the name as its binding
     * says. Why: cutting and lower-casing every header name anew (or hashing it for a map lookup) made a visible share
     * of a receive thread; this compares the characters after the prefix in place, by length first. The caller checks
     * the prefix itself. Thread-safe (no state).
     *
     * @param key          a header name that starts with its binding's prefix
     * @param prefixLength the length of that prefix ({@code ce-}, {@code ce_}, {@code cloudEvents_}, ...)
     * @return the constant name, or null when the rest of {@code key} is not exactly a usual name
     */
    public static String usualAttribute(String key, int prefixLength) {
        return switch (key.length() - prefixLength) {
            case 2 -> named(key, prefixLength, "id");
            case 4 -> {
                String type = named(key, prefixLength, "type");
                yield type != null ? type : named(key, prefixLength, "time");
            }
            case 6 -> named(key, prefixLength, "source");
            case 7 -> named(key, prefixLength, "subject");
            case 10 -> {
                String schema = named(key, prefixLength, "dataschema");
                yield schema != null ? schema : named(key, prefixLength, "tracestate");
            }
            case 11 -> {
                String version = named(key, prefixLength, "specversion");
                yield version != null ? version : named(key, prefixLength, "traceparent");
            }
            case 12 -> named(key, prefixLength, "partitionkey");
            case 15 -> named(key, prefixLength, "datacontenttype");
            default -> null;
        };
    }

    private static String named(String key, int offset, String name) {
        return key.regionMatches(offset, name, 0, name.length()) ? name : null;
    }

    /**
     * The parsed {@code source} of the last event a reader saw, for the next one that repeats its text. Thread-safe:
     * the last pair is one immutable object, so readers on several threads may share a cache (each may then parse a
     * text another parsed already; no result is ever wrong). One per stream of events (a receiver, a binding).
     */
    public static final class Sources {
        private volatile Parsed last;

        /** An empty cache. */
        public Sources() {
        }

        /** The URI the SDK would make of {@code text}, or null when it is not one (the SDK then reports it). */
        URI uri(String text) {
            Parsed p = last;
            if (p != null && (p.text == text || p.text.equals(text))) {
                return p.uri;
            }
            URI uri;
            try {
                uri = new URI(text); // what the SDK's builders do with a source text
            } catch (URISyntaxException e) {
                return null;
            }
            last = new Parsed(text, uri);
            return uri;
        }

        private static final class Parsed {
            final String text;
            final URI uri;

            Parsed(String text, URI uri) {
                this.text = text;
                this.uri = uri;
            }
        }
    }

    /**
     * The SDK's builder with {@code time} texts parsed by {@link EventTime#parse} and {@code source} texts looked up
     * in the cache; every call goes on to the builder.
     */
    private static final class Fast implements CloudEventWriter<CloudEvent> {
        private final CloudEventBuilder builder;
        private final Sources sources;

        Fast(CloudEventBuilder builder, Sources sources) {
            this.builder = builder;
            this.sources = sources;
        }

        @Override
        public CloudEventContextWriter withContextAttribute(String name, String value) {
            if (value != null && "time".equals(name)) {
                builder.withContextAttribute(name, EventTime.parse(name, value));
                return this;
            }
            URI source = value != null && sources != null && "source".equals(name) ? sources.uri(value) : null;
            if (source != null) {
                builder.withContextAttribute(name, source);
            } else {
                builder.withContextAttribute(name, value);
            }
            return this;
        }

        @Override
        public CloudEventContextWriter withContextAttribute(String name, URI value) {
            builder.withContextAttribute(name, value);
            return this;
        }

        @Override
        public CloudEventContextWriter withContextAttribute(String name, OffsetDateTime value) {
            builder.withContextAttribute(name, value);
            return this;
        }

        @Override
        public CloudEventContextWriter withContextAttribute(String name, Number value) {
            builder.withContextAttribute(name, value);
            return this;
        }

        @Override
        public CloudEventContextWriter withContextAttribute(String name, Integer value) {
            builder.withContextAttribute(name, value);
            return this;
        }

        @Override
        public CloudEventContextWriter withContextAttribute(String name, Boolean value) {
            builder.withContextAttribute(name, value);
            return this;
        }

        @Override
        public CloudEventContextWriter withContextAttribute(String name, byte[] value) {
            builder.withContextAttribute(name, value);
            return this;
        }

        @Override
        public CloudEvent end(CloudEventData data) {
            return builder.end(data);
        }

        @Override
        public CloudEvent end() {
            return builder.end();
        }
    }
}
