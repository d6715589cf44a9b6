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
import java.time.OffsetDateTime;

/**
 * What a backend's binary-mode reader reads into: the CloudEvents SDK's own builder, except that {@code time} is
 * parsed by {@link EventTime#parse} (same result or same error as the SDK, about a tenth of the cost) rather than
 * by {@code OffsetDateTime.parse}. Everything else goes to the builder unchanged, so the event, its validation and its
 * errors are the SDK's. Stateless and thread-safe; each writer it makes is for one event on one thread.
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
        return reader.getEncoding() == Encoding.BINARY ? reader.read(EventBuilders::writer) : reader.toEvent();
    }

    /**
     * A writer building one event of {@code version}, as {@code CloudEventBuilder.fromSpecVersion(version)} does, with
     * {@code time} given as text parsed by {@link EventTime#parse}.
     */
    public static CloudEventWriter<CloudEvent> writer(SpecVersion version) {
        return new TimeParsing(CloudEventBuilder.fromSpecVersion(version));
    }

    /** The SDK's builder with {@code time} texts parsed by {@link EventTime#parse}; each call goes to the builder. */
    private static final class TimeParsing implements CloudEventWriter<CloudEvent> {
        private final CloudEventBuilder builder;

        TimeParsing(CloudEventBuilder builder) {
            this.builder = builder;
        }

        @Override
        public CloudEventContextWriter withContextAttribute(String name, String value) {
            if ("time".equals(name) && value != null) {
                builder.withContextAttribute(name, EventTime.parse(name, value));
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
