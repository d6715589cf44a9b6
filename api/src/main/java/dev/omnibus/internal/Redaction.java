package dev.omnibus.internal;

import java.util.regex.Pattern;

/**
 * Masks secrets in URLs and option maps before they reach a message, a log line or a {@code toString}, and escapes
 * text a peer controls before it reaches a log line. Stateless and thread-safe.
 *
 * <p>The userinfo of a URL ends at its <em>last</em> {@code @} (the same rule {@link Connector} parses by), so a
 * password with a raw {@code /}, {@code ?}, {@code #}, {@code :} or {@code @} is masked whole; an {@code @} in a query
 * value makes more than the password masked, never less.
 */
public final class Redaction {
    /** What a secret is replaced with. */
    public static final String MASK = "****";

    private static final Pattern SECRET_NAME = Pattern.compile(
            "(?i).*(password|passwd|pwd|secret|token|credential|credentials|apikey|api[._-]key|private[._-]key|"
                    + "access[._-]key|auth|sasl[._-]jaas|jaas|seed|nkey|creds|key[._-]?password|keystore[._-]key).*");

    private Redaction() {
    }

    /** Whether an option or parameter named {@code name} probably holds a secret. */
    public static boolean looksSecret(String name) {
        return name != null && SECRET_NAME.matcher(name).matches();
    }

    /** {@code url} with its whole userinfo and secret-looking query values masked; never fails. */
    public static String url(String url) {
        if (url == null) {
            return "null";
        }
        String s = url;
        int schemeEnd = s.indexOf("://");
        int start = schemeEnd < 0 ? 0 : schemeEnd + 3;
        int at = s.lastIndexOf('@');
        StringBuilder out = new StringBuilder(s.length());
        int rest = start;
        out.append(s, 0, start);
        if (at >= start) {
            // the whole userinfo: a user name is not shown either, since a token with a ':' in it would parse as
            // one and a half of it would show
            out.append(MASK).append('@');
            rest = at + 1;
        }
        int queryStart = s.indexOf('?', rest);
        out.append(s, rest, queryStart < 0 ? s.length() : queryStart);
        if (queryStart >= 0) {
            out.append('?');
            String[] pairs = s.substring(queryStart + 1).split("&", -1);
            for (int i = 0; i < pairs.length; i++) {
                if (i > 0) {
                    out.append('&');
                }
                String pair = pairs[i];
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                out.append(eq >= 0 && looksSecret(key) ? key + "=" + MASK : pair);
            }
        }
        return out.toString();
    }

    /**
     * {@code text} with its control characters escaped ({@code \n}, {@code \r}, {@code \t} as such, others as
     * {@code \\uXXXX}) and cut to {@code 256} characters, for text a producer or a broker controls (event ids, reasons)
     * before it reaches a log line: a newline in an id cannot forge a log entry. {@code "null"} for null.
     */
    public static String printable(CharSequence text) {
        return printable(text, 256);
    }

    /** {@code text} with its control characters escaped as {@link #printable(CharSequence)} does, cut to {@code max}. */
    public static String printable(CharSequence text, int max) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = null;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            boolean control = c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
            if (out == null && (control || i >= max)) {
                out = new StringBuilder(Math.min(n, max) + 16).append(text, 0, i);
            }
            if (out == null) {
                continue;
            }
            if (i >= max) {
                out.append("…(").append(n - max).append(" more)");
                break;
            }
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (control) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out == null ? text.toString() : out.toString();
    }
}
