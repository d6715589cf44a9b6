package dev.omnibus.spring.boot.autoconfigure;

import dev.omnibus.micrometer.OmnibusMetrics;
import dev.omnibus.spring.OmnibusConfigCustomizer;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Binds {@code omnibus-micrometer} to the application's {@link MeterRegistry} (the one Spring Boot Actuator
 * creates), when both are there: every connection reports its meters to it (see {@link OmnibusMetrics}). Without it,
 * {@code omnibus-micrometer} on the classpath reports to Micrometer's global registry.
 */
@AutoConfiguration(before = OmnibusAutoConfiguration.class, afterName = {
        "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass({OmnibusMetrics.class, MeterRegistry.class})
@ConditionalOnBean(MeterRegistry.class)
public class OmnibusMetricsAutoConfiguration {
    /** Created by Spring. */
    public OmnibusMetricsAutoConfiguration() {
    }

    /** One {@link OmnibusMetrics} for the registry, shared by every connection (as its Javadoc asks). */
    @Bean
    @ConditionalOnMissingBean
    public OmnibusMetrics omnibusMetrics(MeterRegistry registry) {
        return OmnibusMetrics.of(registry);
    }

    /** Adds {@link OmnibusMetrics} to every connection. */
    @Bean
    public OmnibusConfigCustomizer omnibusMetricsCustomizer(OmnibusMetrics metrics) {
        return (name, builder) -> builder.instrumentation(metrics);
    }
}
