package dev.omnibus.spring.listener;

import dev.omnibus.ConfigException;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.SubscribeOptions;

import java.util.function.UnaryOperator;

/**
 * Resolves the placeholders of one {@link OmnibusListener} and turns its attributes into {@link SubscribeOptions},
 * failing with a {@link ConfigException} that names the bean and method ({@code where}), the attribute, what it was
 * written as, and what is allowed. Stateless; used once per annotated method at startup.
 */
final class ListenerAttributes {
    private final OmnibusListener annotation;
    private final UnaryOperator<String> resolver;
    private final String where;

    ListenerAttributes(OmnibusListener annotation, UnaryOperator<String> resolver, String where) {
        this.annotation = annotation;
        this.resolver = resolver;
        this.where = where;
    }

    /** The subscription options the annotation asks for. */
    SubscribeOptions options() {
        String topic = resolve("topic", annotation.topic());
        if (topic.isBlank()) {
            throw problem("topic", annotation.topic(), "a topic is required");
        }
        SubscribeOptions options = SubscribeOptions.topic(topic).ackMode(annotation.ackMode());
        String group = resolve("group", annotation.group());
        if (!group.isEmpty()) {
            options = options.group(group);
        }
        Integer concurrency = integer("concurrency", annotation.concurrency());
        if (concurrency != null) {
            options = apply("concurrency", annotation.concurrency(), options, o -> o.concurrency(concurrency));
        }
        Integer maxInFlight = integer("maxInFlight", annotation.maxInFlight());
        if (maxInFlight != null) {
            options = apply("maxInFlight", annotation.maxInFlight(), options, o -> o.maxInFlight(maxInFlight));
        }
        String deadLetter = resolve("deadLetter", annotation.deadLetter());
        Integer maxAttempts = integer("maxAttempts", annotation.maxAttempts());
        if (deadLetter.isEmpty() != (maxAttempts == null)) {
            String missing = deadLetter.isEmpty() ? "deadLetter" : "maxAttempts";
            throw problem(missing, missing.equals("deadLetter") ? annotation.deadLetter() : annotation.maxAttempts(),
                    "deadLetter and maxAttempts go together: set both (dead-letter after maxAttempts failed "
                            + "attempts) or neither");
        }
        if (maxAttempts != null) {
            options = apply("maxAttempts", annotation.maxAttempts(), options, o -> o.deadLetter(deadLetter, maxAttempts));
        }
        return options;
    }

    /** The connection name, placeholders resolved (empty: the default connection). */
    String connection() {
        return resolve("connection", annotation.connection());
    }

    private String resolve(String attribute, String value) {
        try {
            String resolved = resolver.apply(value);
            if (resolved != null && resolved.contains("${")) {
                // a context without a placeholder configurer resolves leniently and leaves the placeholder
                throw problem(attribute, value, "a placeholder did not resolve: '" + resolved + "'");
            }
            return resolved == null ? "" : resolved.trim();
        } catch (IllegalArgumentException e) {
            throw problem(attribute, value, e.getMessage());
        }
    }

    private Integer integer(String attribute, String value) {
        String resolved = resolve(attribute, value);
        if (resolved.isEmpty()) {
            return null;
        }
        try {
            return Integer.valueOf(resolved);
        } catch (NumberFormatException e) {
            throw problem(attribute, value, "'" + resolved + "' is not a whole number");
        }
    }

    private SubscribeOptions apply(String attribute, String value, SubscribeOptions options,
                                   UnaryOperator<SubscribeOptions> change) {
        try {
            return change.apply(options);
        } catch (InvalidArgumentException e) {
            throw problem(attribute, value, e.getMessage());
        }
    }

    private ConfigException problem(String attribute, String value, String what) {
        return new ConfigException(where + ", attribute " + attribute + " = \"" + value + "\": " + what);
    }
}
