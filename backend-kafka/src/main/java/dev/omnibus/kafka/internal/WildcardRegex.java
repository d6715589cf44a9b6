package dev.omnibus.kafka.internal;

import java.util.regex.Pattern;

/**
 * Translates a portable wildcard pattern into the regular expression of a Kafka pattern subscription; stateless and
 * thread-safe. {@code *} becomes one token ({@code [^.]+}), a final {@code >} one or more tokens ({@code .+} after a
 * dot: portable topic names have no empty tokens), every other token is matched literally.
 */
final class WildcardRegex {
    private WildcardRegex() {
    }

    /** The regex matching exactly the topics {@code pattern} matches; {@code pattern} is already validated. */
    static String toRegex(String pattern) {
        StringBuilder regex = new StringBuilder();
        String[] tokens = pattern.split("\\.", -1);
        for (int i = 0; i < tokens.length; i++) {
            if (i > 0) {
                regex.append("\\.");
            }
            switch (tokens[i]) {
                case "*":
                    regex.append("[^.]+");
                    break;
                case ">":
                    regex.append(".+");
                    break;
                default:
                    regex.append(Pattern.quote(tokens[i]));
            }
        }
        return regex.toString();
    }
}
