package dev.omnibus.spring.boot.autoconfigure;

import dev.omnibus.opentelemetry.OmnibusTracing;
import dev.omnibus.spring.OmnibusConfigCustomizer;
import io.opentelemetry.api.OpenTelemetry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Binds {@code omnibus-opentelemetry} to the application's {@link OpenTelemetry} bean (Spring Boot Actuator's, or
 * the application's own), when both are there: every connection traces publishes and deliveries with it (see
 * {@link OmnibusTracing}). Without the bean, {@code omnibus-opentelemetry} on the classpath uses
 * {@code GlobalOpenTelemetry}.
 */
@AutoConfiguration(before = OmnibusAutoConfiguration.class,
        afterName = "org.springframework.boot.actuate.autoconfigure.opentelemetry.OpenTelemetryAutoConfiguration")
@ConditionalOnClass({OmnibusTracing.class, OpenTelemetry.class})
@ConditionalOnBean(OpenTelemetry.class)
public class OmnibusTracingAutoConfiguration {
    /** Created by Spring. */
    public OmnibusTracingAutoConfiguration() {
    }

    /** Tracing with the application's {@link OpenTelemetry}. */
    @Bean
    @ConditionalOnMissingBean
    public OmnibusTracing omnibusTracing(OpenTelemetry openTelemetry) {
        return OmnibusTracing.of(openTelemetry);
    }

    /** Adds {@link OmnibusTracing} to every connection. */
    @Bean
    public OmnibusConfigCustomizer omnibusTracingCustomizer(OmnibusTracing tracing) {
        return (name, builder) -> builder.instrumentation(tracing);
    }
}
