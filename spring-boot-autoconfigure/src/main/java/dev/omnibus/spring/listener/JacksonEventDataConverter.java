package dev.omnibus.spring.listener;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cloudevents.CloudEvent;

import java.io.IOException;
import java.lang.reflect.Type;
import java.util.Locale;
import java.util.Objects;

/**
 * The default {@link EventDataConverter}: JSON data read with Jackson into any type Jackson can build (records,
 * beans, collections, {@code JsonNode}). Thread-safe (the {@link ObjectMapper} is, once configured).
 *
 * <p>The event's {@code datacontenttype} must be JSON: {@code application/json}, {@code text/json} or
 * {@code application/<anything>+json}, parameters such as {@code charset} allowed, or absent (CloudEvents data without
 * a content type is JSON). Anything else, no data, or data Jackson cannot read into the type is an
 * {@link EventConversionException} naming the event id, its content type and the target type; the message never
 * includes the data as a whole, though Jackson's description of a mismatch may quote the offending value.
 */
public final class JacksonEventDataConverter implements EventDataConverter {
    private final ObjectMapper mapper;

    /** A converter reading with {@code mapper} (Spring Boot's, configured by {@code spring.jackson.*}). */
    public JacksonEventDataConverter(ObjectMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    @Override
    public Object convert(CloudEvent event, Type targetType) {
        String contentType = event.getDataContentType();
        if (!isJson(contentType)) {
            throw new EventConversionException("event " + event.getId() + " has datacontenttype '" + contentType
                    + "': the JSON converter reads application/json, text/json or application/*+json only (take the "
                    + "CloudEvent or define an EventDataConverter bean to read " + targetType.getTypeName() + ")");
        }
        if (event.getData() == null) {
            throw new EventConversionException("event " + event.getId() + " has no data to convert to "
                    + targetType.getTypeName() + " (take the CloudEvent to handle events without data)");
        }
        try {
            return mapper.readValue(event.getData().toBytes(), mapper.constructType(targetType));
        } catch (JsonProcessingException e) {
            // the original message names the problem and the property path (it may quote the offending value); the
            // location, which can quote the surrounding data, is left out
            throw new EventConversionException("event " + event.getId() + ": its JSON data cannot be read as "
                    + targetType.getTypeName() + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new EventConversionException("event " + event.getId() + ": its data cannot be read as "
                    + targetType.getTypeName() + ": " + e.getClass().getSimpleName(), e);
        }
    }

    /** Whether {@code contentType} (absent counts as JSON) is a JSON media type. */
    static boolean isJson(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return true;
        }
        String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return type.equals("application/json") || type.equals("text/json")
                || (type.startsWith("application/") && type.endsWith("+json"));
    }
}
