package dev.omnibus.outbox.internal;

import dev.omnibus.spi.EventTime;
import io.cloudevents.CloudEvent;
import io.cloudevents.CloudEventData;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;

/**
 * The outbox's storage form of a CloudEvent: every attribute, every extension with its type, and the data bytes
 * (absent and empty kept apart), so that what the relay publishes equals what the writer stored. Stateless and
 * thread-safe.
 *
 * <p>Layout (big-endian, strings as a length and UTF-8 bytes, -1 for null): format version 1, spec version, id,
 * source, type, datacontenttype, dataschema, subject, time (ISO-8601), the extension count and each extension as
 * name, type tag and value, then the data (length -1 when the event has none).
 */
public final class EventCodec {
    private static final byte FORMAT = 1;
    private static final byte STRING = 's';
    private static final byte INTEGER = 'i';
    private static final byte BOOLEAN = 'b';
    private static final byte URI_REF = 'u';
    private static final byte TIME = 't';
    private static final byte BINARY = 'x';

    private EventCodec() {
    }

    /** {@code event} in storage form; the event must have passed validation. */
    public static byte[] encode(CloudEvent event) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            writeString(out, event.getSpecVersion().toString());
            writeString(out, event.getId());
            writeString(out, event.getSource().toString());
            writeString(out, event.getType());
            writeString(out, event.getDataContentType());
            writeString(out, event.getDataSchema() == null ? null : event.getDataSchema().toString());
            writeString(out, event.getSubject());
            writeString(out, event.getTime() == null ? null : event.getTime().toString());
            out.writeInt(event.getExtensionNames().size());
            for (String name : event.getExtensionNames()) {
                writeString(out, name);
                writeExtension(out, name, event.getExtension(name));
            }
            CloudEventData data = event.getData();
            writeBytes(out, data == null ? null : data.toBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return bytes.toByteArray();
    }

    /**
     * The event {@code stored} encodes.
     *
     * @throws IllegalArgumentException if {@code stored} is not in storage form (the row was written by something
     *     else, or damaged)
     */
    public static CloudEvent decode(byte[] stored) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(stored))) {
            byte format = in.readByte();
            if (format != FORMAT) {
                throw new IllegalArgumentException("unknown outbox event format " + format
                        + " (written by a newer omnibus-outbox?)");
            }
            CloudEventBuilder b = CloudEventBuilder.fromSpecVersion(SpecVersion.parse(readString(in)))
                    .withId(readString(in))
                    .withSource(URI.create(readString(in)))
                    .withType(readString(in));
            String contentType = readString(in);
            String schema = readString(in);
            String subject = readString(in);
            String time = readString(in);
            if (schema != null) {
                b.withDataSchema(URI.create(schema));
            }
            if (subject != null) {
                b.withSubject(subject);
            }
            if (time != null) {
                b.withTime(EventTime.parse("time", time));
            }
            int extensions = in.readInt();
            for (int i = 0; i < extensions; i++) {
                readExtension(in, b, readString(in));
            }
            byte[] data = readBytes(in);
            if (data != null) {
                b.withData(contentType, data);
            } else if (contentType != null) {
                b.withDataContentType(contentType);
            }
            return b.build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("the stored event cannot be read: " + e.getMessage(), e);
        }
    }

    private static void writeExtension(DataOutputStream out, String name, Object value) throws IOException {
        if (value instanceof String) {
            out.writeByte(STRING);
            writeString(out, (String) value);
        } else if (value instanceof Integer) {
            out.writeByte(INTEGER);
            out.writeInt((Integer) value);
        } else if (value instanceof Boolean) {
            out.writeByte(BOOLEAN);
            out.writeBoolean((Boolean) value);
        } else if (value instanceof URI) {
            out.writeByte(URI_REF);
            writeString(out, value.toString());
        } else if (value instanceof OffsetDateTime) {
            out.writeByte(TIME);
            writeString(out, value.toString());
        } else if (value instanceof byte[]) {
            out.writeByte(BINARY);
            writeBytes(out, (byte[]) value);
        } else {
            // CloudEvents allows exactly the types above; anything else is written as its string form
            out.writeByte(STRING);
            writeString(out, String.valueOf(value));
        }
    }

    private static void readExtension(DataInputStream in, CloudEventBuilder b, String name) throws IOException {
        byte tag = in.readByte();
        switch (tag) {
            case STRING -> b.withExtension(name, readString(in));
            case INTEGER -> b.withExtension(name, in.readInt());
            case BOOLEAN -> b.withExtension(name, in.readBoolean());
            case URI_REF -> b.withExtension(name, URI.create(readString(in)));
            case TIME -> b.withExtension(name, EventTime.parse(name, readString(in)));
            case BINARY -> b.withExtension(name, readBytes(in));
            default -> throw new IOException("unknown extension type tag " + tag + " of '" + name + "'");
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        writeBytes(out, s == null ? null : s.getBytes(StandardCharsets.UTF_8));
    }

    private static String readString(DataInputStream in) throws IOException {
        byte[] b = readBytes(in);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        if (b == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < -1) {
            throw new IOException("negative length " + n);
        }
        if (n == -1) {
            return null;
        }
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new IOException("truncated: " + b.length + " of " + n + " bytes");
        }
        return b;
    }
}
