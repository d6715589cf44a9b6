package dev.omnibus.cli;

import dev.omnibus.Config;
import dev.omnibus.internal.Redaction;
import dev.omnibus.spi.UserInfo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Takes the secrets the command line was given (the URL's password or token from {@code --url} or
 * {@code OMNIBUS_URL}, values of secret-looking {@code -o} options and {@code OMNIBUS_*} variables) out of text
 * before it is printed: error lines and {@code --verbose} stack traces may quote a broker client's message, and
 * a client may put what it was given into it. Immutable and thread-safe.
 */
final class Scrubber {
    /** Shorter secrets are not scrubbed: replacing every "a" in a stack trace would hide it and protect nothing. */
    private static final int MIN_LENGTH = 3;

    private final List<String> secrets;

    private Scrubber(List<String> secrets) {
        this.secrets = secrets;
    }

    /** The secrets in {@code args} and {@code environment}. */
    static Scrubber of(List<String> args, Map<String, String> environment) {
        List<String> found = new ArrayList<>();
        for (String arg : args) {
            collect(arg, found);
        }
        environment.forEach((name, value) -> {
            if (name.equals(Config.URL_VARIABLE)) {
                collect(value, found);
            } else if (name.startsWith("OMNIBUS_") && Redaction.looksSecret(name)) {
                found.add(value);
            }
        });
        // longest first, so that a secret containing another is replaced whole
        found.removeIf(s -> s == null || s.length() < MIN_LENGTH);
        found.sort(Comparator.comparingInt(String::length).reversed());
        return new Scrubber(List.copyOf(found));
    }

    private static void collect(String arg, List<String> found) {
        if (arg == null) {
            return;
        }
        int scheme = arg.indexOf("://");
        if (scheme >= 0) {
            String rest = arg.substring(scheme + 3);
            int query = rest.indexOf('?', Math.max(0, rest.lastIndexOf('@')));
            UserInfo info = UserInfo.split(query < 0 ? rest : rest.substring(0, query));
            if (info.present()) {
                String raw = rest.substring(0, rest.lastIndexOf('@'));
                found.add(raw);
                int colon = raw.indexOf(':');
                if (colon >= 0) {
                    found.add(raw.substring(colon + 1));
                }
                info.password().ifPresent(found::add);
                if (info.password().isEmpty()) {
                    info.user().ifPresent(found::add);
                }
            }
            return;
        }
        int eq = arg.indexOf('=');
        if (eq > 0 && Redaction.looksSecret(arg.substring(0, eq))) {
            found.add(arg.substring(eq + 1));
        }
    }

    /** {@code text} with every secret replaced by {@link Redaction#MASK}. */
    String scrub(String text) {
        String out = text;
        for (String secret : secrets) {
            out = out.replace(secret, Redaction.MASK);
        }
        return out;
    }
}
