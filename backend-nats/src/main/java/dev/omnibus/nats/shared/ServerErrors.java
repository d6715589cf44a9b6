package dev.omnibus.nats.shared;

/**
 * Reads the permission violations out of a NATS server's {@code -ERR} texts as jnats hands them to its error listener;
 * stateless and thread-safe. Not API.
 *
 * <p>nats-server writes {@code Permissions Violation for Publish to "subject"} and
 * {@code Permissions Violation for Subscription to "subject"} (with {@code using queue "group"} for a queue
 * subscription), quoting with Go's {@code %q}; jnats strips every {@code '} from the text. Subjects are compared in
 * that form ({@link #comparable}).
 */
public final class ServerErrors {
    private static final String PUBLISH = "Permissions Violation for Publish to \"";
    private static final String SUBSCRIPTION = "Permissions Violation for Subscription to \"";
    private static final String QUEUE = "\" using queue \"";

    private ServerErrors() {
    }

    /** The subject of a denied publish, or {@code null} when {@code error} is no such violation. */
    public static String deniedPublish(String error) {
        if (error == null || !error.startsWith(PUBLISH) || !error.endsWith("\"")) {
            return null;
        }
        return unquote(error.substring(PUBLISH.length(), error.length() - 1));
    }

    /**
     * The subject and queue group ({@code null} for none) of a denied subscription, or {@code null} when
     * {@code error} is no such violation.
     */
    public static String[] deniedSubscription(String error) {
        if (error == null || !error.startsWith(SUBSCRIPTION) || !error.endsWith("\"")) {
            return null;
        }
        String rest = error.substring(SUBSCRIPTION.length(), error.length() - 1);
        int queue = rest.lastIndexOf(QUEUE);
        if (queue >= 0) {
            return new String[]{unquote(rest.substring(0, queue)), unquote(rest.substring(queue + QUEUE.length()))};
        }
        return new String[]{unquote(rest), null};
    }

    /** {@code subject} as it appears in a violation jnats reports (without {@code '}). */
    public static String comparable(String subject) {
        return subject == null ? null : subject.replace("'", "");
    }

    /** Undoes Go's {@code %q} escapes that a subject can carry ({@code \"}, {@code \\}, {@code \xNN}, {@code \}u). */
    static String unquote(String quoted) {
        if (quoted.indexOf('\\') < 0) {
            return quoted;
        }
        StringBuilder out = new StringBuilder(quoted.length());
        for (int i = 0; i < quoted.length(); i++) {
            char c = quoted.charAt(i);
            if (c != '\\' || i + 1 >= quoted.length()) {
                out.append(c);
                continue;
            }
            char e = quoted.charAt(++i);
            int hex = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
            if (hex > 0 && i + hex < quoted.length()) {
                try {
                    out.appendCodePoint(Integer.parseInt(quoted.substring(i + 1, i + 1 + hex), 16));
                    i += hex;
                    continue;
                } catch (IllegalArgumentException notHex) {
                    // keep it as it is
                }
            }
            switch (e) {
                case 't':
                    out.append('\t');
                    break;
                case 'n':
                    out.append('\n');
                    break;
                case 'r':
                    out.append('\r');
                    break;
                default:
                    out.append(e);
            }
        }
        return out.toString();
    }
}
