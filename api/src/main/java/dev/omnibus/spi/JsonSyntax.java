package dev.omnibus.spi;

import java.util.function.BooleanSupplier;

/**
 * A strict check that bytes are exactly one JSON value (RFC 8259: objects, arrays, strings with their escapes,
 * numbers in JSON's grammar, {@code true}, {@code false}, {@code null}; whitespace around it allowed), without
 * building anything. Byte-level only: whether the bytes are valid UTF-8 is the caller's check. Nesting deeper than
 * {@value #MAX_DEPTH} counts as not JSON (the caller then takes its safe path). Stateless and thread-safe.
 */
final class JsonSyntax {
    static final int MAX_DEPTH = 512;

    private final byte[] b;
    private int i;

    private JsonSyntax(byte[] b) {
        this.b = b;
    }

    /** Whether {@code bytes} are one JSON value, whitespace around it allowed. */
    static boolean isOneValue(byte[] bytes) {
        JsonSyntax s = new JsonSyntax(bytes);
        s.space();
        if (!s.value(0)) {
            return false;
        }
        s.space();
        return s.i == bytes.length;
    }

    private boolean value(int depth) {
        if (i >= b.length || depth > MAX_DEPTH) {
            return false;
        }
        return switch (b[i]) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string();
            case 't' -> word("true");
            case 'f' -> word("false");
            case 'n' -> word("null");
            default -> number();
        };
    }

    private boolean object(int depth) {
        return sequence('}', () -> member(depth));
    }

    private boolean array(int depth) {
        return sequence(']', () -> value(depth));
    }

    /** A string, a colon, a value. */
    private boolean member(int depth) {
        if (!at('"') || !string()) {
            return false;
        }
        space();
        if (!at(':')) {
            return false;
        }
        i++;
        space();
        return value(depth);
    }

    /** From an opening bracket: {@code element}s separated by commas, then {@code close}; whitespace between all. */
    private boolean sequence(char close, BooleanSupplier element) {
        i++;
        space();
        if (at(close)) {
            i++;
            return true;
        }
        while (true) {
            if (!element.getAsBoolean()) {
                return false;
            }
            space();
            if (at(close)) {
                i++;
                return true;
            }
            if (!at(',')) {
                return false;
            }
            i++;
            space();
        }
    }

    private boolean string() {
        i++;
        while (i < b.length) {
            int c = b[i] & 0xFF;
            if (c == '"') {
                i++;
                return true;
            }
            if (c < 0x20) {
                return false;
            }
            if (c == '\\') {
                i++;
                if (i >= b.length) {
                    return false;
                }
                switch (b[i]) {
                    case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> i++;
                    case 'u' -> {
                        for (int k = 1; k <= 4; k++) {
                            if (i + k >= b.length || Character.digit(b[i + k], 16) < 0) {
                                return false;
                            }
                        }
                        i += 5;
                    }
                    default -> {
                        return false;
                    }
                }
            } else {
                i++;
            }
        }
        return false;
    }

    private boolean number() {
        if (at('-')) {
            i++;
        }
        if (at('0')) {
            i++;
        } else if (!digits()) {
            return false;
        }
        if (at('.')) {
            i++;
            if (!digits()) {
                return false;
            }
        }
        if (at('e') || at('E')) {
            i++;
            if (at('+') || at('-')) {
                i++;
            }
            return digits();
        }
        return true;
    }

    /** One or more digits. */
    private boolean digits() {
        int start = i;
        while (i < b.length && b[i] >= '0' && b[i] <= '9') {
            i++;
        }
        return i > start;
    }

    private boolean word(String w) {
        for (int k = 0; k < w.length(); k++) {
            if (i + k >= b.length || b[i + k] != w.charAt(k)) {
                return false;
            }
        }
        i += w.length();
        return true;
    }

    private boolean at(char c) {
        return i < b.length && b[i] == c;
    }

    private void space() {
        i = StructuredJson.skipSpace(b, i);
    }
}
