package dev.omnibus;

import java.util.List;

/**
 * Thrown when the configuration (URL, properties or environment) is invalid; lists every problem at once.
 * Immutable and thread-safe. Never contains secret values: only option names, and values of options that are
 * not secret.
 */
public class ConfigException extends OmnibusException {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    /** One exception for all {@code problems} (each a sentence naming the option and what is allowed). */
    public ConfigException(List<String> problems) {
        super(ErrorCode.INVALID_CONFIG, format(problems));
        this.problems = List.copyOf(problems);
    }

    /** A single problem. */
    public ConfigException(String problem) {
        this(List.of(problem));
    }

    /** Each problem found, in the order found. */
    public List<String> problems() {
        return problems;
    }

    private static String format(List<String> problems) {
        if (problems.size() == 1) {
            return "invalid configuration: " + problems.get(0);
        }
        StringBuilder sb = new StringBuilder("invalid configuration, ").append(problems.size()).append(" problems:");
        for (String p : problems) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }
}
