package dev.omnibus.internal;

import java.util.regex.Pattern;

/** Masks secrets in URLs and option maps before they reach a message, a log line or a {@code toString}. */
public final class Redaction {
    /** What a secret is replaced with. */
    public static final String MASK = "****";

    private static final Pattern SECRET_NAME = Pattern.compile(
            "(?i).*(password|passwd|pwd|secret|token|credential|credentials|apikey|api[._-]key|private[._-]key|"
                    + "access[._-]key|auth|sasl[._-]jaas).*");

    private Redaction() {
    }

    /** Whether an option or parameter named {@code name} probably holds a secret. */
    public static boolean looksSecret(String name) {
        return name != null && SECRET_NAME.matcher(name).matches();
    }

    /** {@code url} with the userinfo password and secret-looking query values masked; never fails. */
    public static String url(String url) {
        if (url == null) {
            return "null";
        }
        String s = url;
        int schemeEnd = s.indexOf("://");
        int start = schemeEnd < 0 ? 0 : schemeEnd + 3;
        int queryStart = s.indexOf('?', start);
        int authorityEnd = queryStart < 0 ? s.length() : queryStart;
        int slash = s.indexOf('/', start);
        if (slash >= 0 && slash < authorityEnd) {
            authorityEnd = slash;
        }
        int at = s.lastIndexOf('@', authorityEnd - 1);
        StringBuilder out = new StringBuilder();
        if (at >= start) {
            String userInfo = s.substring(start, at);
            int colon = userInfo.indexOf(':');
            out.append(s, 0, start);
            out.append(colon >= 0 ? userInfo.substring(0, colon) + ":" + MASK : MASK);
            out.append(s, at, queryStart < 0 ? s.length() : queryStart);
        } else {
            out.append(s, 0, queryStart < 0 ? s.length() : queryStart);
        }
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
}
