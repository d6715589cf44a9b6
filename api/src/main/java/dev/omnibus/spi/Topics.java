package dev.omnibus.spi;

import dev.omnibus.InvalidArgumentException;

/**
 * Portable topic names and patterns, shared by the library and the backends; stateless and thread-safe.
 *
 * <p>A portable topic is 1 to {@value #MAX_LENGTH} characters of dot-separated, non-empty tokens made of
 * {@code A-Z a-z 0-9 _ -} (valid on NATS subjects, Kafka topics, Redis keys and Pub/Sub ids alike). A pattern may
 * also use {@code *} as a whole token (one token) and {@code >} as the last token (one or more tokens).
 */
public final class Topics {
    /** Longest portable topic (Kafka's limit). */
    public static final int MAX_LENGTH = 249;

    private static final String RULE = "a portable topic is 1 to " + MAX_LENGTH
            + " characters of dot-separated tokens made of A-Z a-z 0-9 _ - (e.g. 'orders.created')";

    private Topics() {
    }

    /** Throws {@link InvalidArgumentException} unless {@code topic} is a portable topic (no wildcards). */
    public static void validateTopic(String what, String topic) {
        validate(what, topic, false);
    }

    /** Throws {@link InvalidArgumentException} unless {@code pattern} is a portable topic or wildcard pattern. */
    public static void validatePattern(String what, String pattern) {
        validate(what, pattern, true);
    }

    /** Whether {@code pattern} uses {@code *} or {@code >}. */
    public static boolean isWildcard(String pattern) {
        for (String token : pattern.split("\\.", -1)) {
            if (token.equals("*") || token.equals(">")) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code topic} matches {@code pattern} ({@code *} one token, final {@code >} one or more). */
    public static boolean matches(String pattern, String topic) {
        if (pattern.equals(topic)) {
            return true;
        }
        int p = 0;
        int t = 0;
        int pl = pattern.length();
        int tl = topic.length();
        while (p < pl) {
            int pe = pattern.indexOf('.', p);
            if (pe < 0) {
                pe = pl;
            }
            if (t > tl) {
                return false;
            }
            int te = topic.indexOf('.', t);
            if (te < 0) {
                te = tl;
            }
            String ptoken = pattern.substring(p, pe);
            if (ptoken.equals(">")) {
                return t < tl;
            }
            if (t >= tl) {
                return false;
            }
            if (!ptoken.equals("*") && !pattern.regionMatches(p, topic, t, Math.max(pe - p, te - t))) {
                return false;
            }
            p = pe + 1;
            t = te + 1;
        }
        return t > tl;
    }

    private static void validate(String what, String name, boolean allowWildcards) {
        if (name == null || name.isEmpty()) {
            throw new InvalidArgumentException(what + " is empty: " + RULE);
        }
        int length = name.length();
        if (length > MAX_LENGTH) {
            throw new InvalidArgumentException(what + " is " + length + " characters long: " + RULE);
        }
        int tokenStart = 0;
        for (int i = 0; i <= length; i++) {
            char ch = i < length ? name.charAt(i) : '.';
            if (ch != '.') {
                continue;
            }
            if (i == tokenStart) {
                throw new InvalidArgumentException(what + " '" + printable(name) + "' has an empty token: " + RULE);
            }
            checkToken(what, name, tokenStart, i, allowWildcards);
            tokenStart = i + 1;
        }
    }

    private static void checkToken(String what, String name, int from, int to, boolean allowWildcards) {
        if (to - from == 1 && (name.charAt(from) == '*' || name.charAt(from) == '>')) {
            char wildcard = name.charAt(from);
            if (!allowWildcards) {
                throw new InvalidArgumentException(what + " '" + name + "' contains the wildcard '" + wildcard
                        + "', only allowed when subscribing: " + RULE);
            }
            if (wildcard == '>' && to != name.length()) {
                throw new InvalidArgumentException(what + " '" + name + "': '>' must be the last token");
            }
            return;
        }
        for (int c = from; c < to; c++) {
            char ch = name.charAt(c);
            boolean ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
                    || ch == '_' || ch == '-';
            if (!ok) {
                throw new InvalidArgumentException(what + " '" + printable(name) + "' has the character "
                        + describe(ch) + " which is not allowed: " + RULE
                        + (allowWildcards ? "; '*' and a final '>' are whole-token wildcards" : ""));
            }
        }
    }

    private static String describe(char ch) {
        if (ch == ' ') {
            return "' ' (space)";
        }
        if (Character.isISOControl(ch) || Character.isWhitespace(ch)) {
            return String.format("U+%04X", (int) ch);
        }
        return "'" + ch + "'";
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) {
            sb.append(Character.isISOControl(ch) ? '?' : ch);
        }
        return sb.toString();
    }
}
