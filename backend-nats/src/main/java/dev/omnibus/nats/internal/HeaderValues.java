package dev.omnibus.nats.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Percent-encoding of CloudEvents attribute values in NATS header values, as the CloudEvents NATS binding
 * specifies; stateless and thread-safe. Not API.
 *
 * <p>Encoding: the value's UTF-8 bytes, each kept as is when it is in U+0021..U+007E and is neither {@code "} nor
 * {@code %}, else written {@code %XX} with upper-case hex (so space, {@code "}, {@code %}, controls and every
 * non-ASCII character are encoded). Decoding: a value wrapped in double quotes loses them, {@code %XX} sequences
 * become bytes, other characters are taken as their own byte (jnats reads header bytes one char per byte), and the
 * bytes must be valid UTF-8.
 */
public final class HeaderValues {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private HeaderValues() {
    }

    /** The header form of an attribute value. */
    public static String encode(String value) {
        int n = value.length();
        int i = 0;
        while (i < n && keeps(value.charAt(i))) {
            i++;
        }
        if (i == n) {
            return value;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            int c = b & 0xff;
            if (keeps(c)) {
                out.append((char) c);
            } else {
                out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
            }
        }
        return out.toString();
    }

    private static boolean keeps(int c) {
        return c >= 0x21 && c <= 0x7e && c != '"' && c != '%';
    }

    /**
     * The attribute value a header carries.
     *
     * @throws IllegalArgumentException naming the problem: a {@code %} not followed by two hex digits, or bytes that
     *                                  are not valid UTF-8
     */
    public static String decode(String header) {
        String v = header;
        if (v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"') {
            v = v.substring(1, v.length() - 1);
        }
        boolean plain = true;
        for (int i = 0; i < v.length() && plain; i++) {
            char c = v.charAt(i);
            plain = c != '%' && c < 0x80;
        }
        if (plain) {
            return v;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '%') {
                int hi = i + 2 < v.length() ? Character.digit(v.charAt(i + 1), 16) : -1;
                int lo = hi < 0 ? -1 : Character.digit(v.charAt(i + 2), 16);
                if (lo < 0) {
                    throw new IllegalArgumentException("malformed percent-encoding at character " + i
                            + ": '%' must be followed by two hex digits");
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c > 0xff) {
                throw new IllegalArgumentException("character U+" + String.format("%04X", (int) c) + " at " + i
                        + " is not a header byte");
            } else {
                bytes.write(c);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("not valid UTF-8 after percent-decoding");
        }
    }
}
