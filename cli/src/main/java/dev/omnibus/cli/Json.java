package dev.omnibus.cli;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * One JSON object written field by field, for the {@code --json} output of the commands (one object per line);
 * not thread-safe (one writer per object).
 *
 * <p>Strings are escaped so that the line stays one line and prints harmlessly on a terminal: besides {@code "} and
 * {@code \}, every control character (C0, DEL, C1), the line and paragraph separators and lone surrogates become
 * {@code \\uXXXX}, so producer-controlled text can neither end the line nor move the cursor, and the output is
 * valid UTF-8.
 */
final class Json {
    private final StringBuilder text = new StringBuilder("{");

    /** Adds a string field; {@code null} is written as JSON {@code null}. */
    Json field(String name, String value) {
        name(name);
        if (value == null) {
            text.append("null");
        } else {
            quote(value, text);
        }
        return this;
    }

    /** Adds a whole-number field. */
    Json field(String name, long value) {
        name(name).append(value);
        return this;
    }

    /** Adds a number field rounded to 3 decimals; a non-finite value (no measurement) is written as {@code null}. */
    Json field(String name, double value) {
        name(name).append(Double.isFinite(value) ? String.format(Locale.ROOT, "%.3f", value) : "null");
        return this;
    }

    /** Adds a boolean field. */
    Json field(String name, boolean value) {
        name(name).append(value);
        return this;
    }

    /** Adds a nested object. */
    Json field(String name, Json value) {
        name(name).append(value);
        return this;
    }

    /** Adds an array of objects. */
    Json field(String name, List<Json> values) {
        name(name).append('[');
        for (int i = 0; i < values.size(); i++) {
            text.append(i == 0 ? "" : ",").append(values.get(i));
        }
        text.append(']');
        return this;
    }

    /**
     * Adds {@code bytes} as {@code "<name>"} (a string) when they are valid UTF-8, else as {@code "<name>_base64"},
     * the shape of the CloudEvents JSON format's {@code data} and {@code data_base64}.
     */
    Json data(String name, byte[] bytes) {
        try {
            String decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            return field(name, decoded);
        } catch (CharacterCodingException e) {
            return field(name + "_base64", Base64.getEncoder().encodeToString(bytes));
        }
    }

    /** The object as JSON text, on one line. */
    @Override
    public String toString() {
        return text + "}";
    }

    private StringBuilder name(String name) {
        if (text.length() > 1) {
            text.append(',');
        }
        quote(name, text);
        return text.append(':');
    }

    /** Appends {@code s} as a JSON string literal to {@code out}. */
    static void quote(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    boolean control = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
                    boolean loneSurrogate = Character.isSurrogate(c) && !(Character.isHighSurrogate(c)
                            && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)));
                    if (control || loneSurrogate) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                        if (Character.isHighSurrogate(c)) {
                            out.append(s.charAt(++i));
                        }
                    }
                }
            }
        }
        out.append('"');
    }
}
