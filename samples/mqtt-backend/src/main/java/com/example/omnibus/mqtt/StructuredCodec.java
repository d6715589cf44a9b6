package com.example.omnibus.mqtt;

import dev.omnibus.spi.ReceivedMessage;
import io.cloudevents.CloudEvent;
import io.cloudevents.jackson.JsonFormat;
import io.cloudevents.jackson.JsonFormatOptions;

import java.util.Map;

/**
 * CloudEvents on MQTT 3.1.1, which has no headers: the event in the CloudEvents JSON format (structured mode) as the
 * payload, and portable topics ({@code a.b.c}) as MQTT topics ({@code a/b/c}). Stateless and thread-safe.
 *
 * <p>Data always travels as {@code data_base64}, JSON data included: the Jackson format would otherwise embed JSON
 * data as a JSON value and hand it back re-serialised, changing its bytes (whitespace, key order, number forms), and
 * Omnibus promises the data bytes unchanged (kit rule R01).
 */
final class StructuredCodec {
    private static final JsonFormat FORMAT = new JsonFormat(JsonFormatOptions.builder()
            .forceDataBase64Serialization(true)
            .disableDataContentTypeDefaulting(true)
            .build());

    private StructuredCodec() {
    }

    /** The event as the JSON payload. */
    static byte[] encode(CloudEvent event) {
        return FORMAT.serialize(event);
    }

    /**
     * A received payload as a message for the library: the event, or an invalid message with the raw body when the
     * payload is not a CloudEvent in JSON. Never throws on bad input (kit rule R22).
     */
    static ReceivedMessage.Builder decode(String topic, byte[] payload) {
        try {
            return ReceivedMessage.event(topic, FORMAT.deserialize(payload));
        } catch (RuntimeException e) { // EventDeserializationException, and whatever a malformed body makes Jackson throw
            return ReceivedMessage.invalid(topic, payload, Map.of(),
                    "not a CloudEvent in the JSON format (MQTT carries structured events only): " + e.getMessage());
        }
    }

    /** A portable topic or pattern as an MQTT topic or filter: {@code .} to {@code /}, {@code *} to {@code +}, {@code >} to {@code #}. */
    static String toMqtt(String portable) {
        StringBuilder out = new StringBuilder(portable.length());
        for (String token : portable.split("\\.", -1)) {
            if (out.length() > 0) {
                out.append('/');
            }
            out.append(token.equals("*") ? "+" : token.equals(">") ? "#" : token);
        }
        return out.toString();
    }

    /** An MQTT topic as the library's topic: {@code /} to {@code .}. */
    static String fromMqtt(String mqttTopic) {
        return mqttTopic.replace('/', '.');
    }
}
