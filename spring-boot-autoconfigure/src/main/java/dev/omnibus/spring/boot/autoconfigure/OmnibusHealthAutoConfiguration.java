package dev.omnibus.spring.boot.autoconfigure;

import dev.omnibus.spring.OmnibusConnections;
import dev.omnibus.spring.boot.actuate.OmnibusHealthIndicator;
import dev.omnibus.spring.listener.OmnibusListenerContainer;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

/**
 * The {@code omnibus} health indicator ({@link OmnibusHealthIndicator}), when Spring Boot Actuator is on the classpath;
 * {@code management.health.omnibus.enabled=false} turns it off.
 */
@AutoConfiguration(after = OmnibusAutoConfiguration.class,
        beforeName = "org.springframework.boot.actuate.autoconfigure.health.HealthContributorAutoConfiguration")
@ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
@ConditionalOnBean({OmnibusConnections.class, OmnibusListenerContainer.class})
@ConditionalOnProperty(prefix = "management.health.omnibus", name = "enabled", havingValue = "true",
        matchIfMissing = true)
public class OmnibusHealthAutoConfiguration {
    /** Created by Spring. */
    public OmnibusHealthAutoConfiguration() {
    }

    /** The indicator; its bean name makes it {@code omnibus} on {@code /actuator/health}. */
    @Bean
    @ConditionalOnMissingBean(name = "omnibusHealthIndicator")
    public OmnibusHealthIndicator omnibusHealthIndicator(OmnibusConnections connections,
                                                         OmnibusListenerContainer listeners) {
        return new OmnibusHealthIndicator(connections, listeners);
    }
}
