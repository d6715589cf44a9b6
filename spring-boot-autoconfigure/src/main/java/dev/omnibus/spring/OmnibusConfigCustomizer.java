package dev.omnibus.spring;

import dev.omnibus.Config;

/**
 * Adjusts the {@link Config} of every connection the auto-configuration opens, after {@code omnibus.url} and
 * {@code omnibus.options.*} were applied: define a bean of this type to add an instrumentation or set an option in
 * code. Called once per connection, at startup, on the thread creating the beans; ordered by
 * {@link org.springframework.core.Ordered}.
 */
@FunctionalInterface
public interface OmnibusConfigCustomizer {
    /**
     * Adjusts the builder of the connection {@code name} (empty for the primary one).
     *
     * @param name    the connection's name under {@code omnibus.connections}, or empty for {@code omnibus.url}'s
     * @param builder the builder; the URL and options are already set
     */
    void customize(String name, Config.Builder builder);
}
