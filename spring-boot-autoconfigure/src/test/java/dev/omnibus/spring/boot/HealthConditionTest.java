package dev.omnibus.spring.boot;

import dev.omnibus.spring.boot.actuate.OmnibusHealthIndicator;
import dev.omnibus.spring.boot.autoconfigure.OmnibusAutoConfiguration;
import dev.omnibus.spring.boot.autoconfigure.OmnibusHealthAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/** The health indicator exists with Spring Boot Actuator only, and can be turned off. */
class HealthConditionTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(OmnibusAutoConfiguration.class,
                    OmnibusHealthAutoConfiguration.class))
            .withPropertyValues("omnibus.url=mem://health-condition");

    @Test
    void withActuatorThereIsAnIndicator() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(OmnibusHealthIndicator.class);
            assertThat(context.getBean(OmnibusHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
        });
    }

    @Test
    void withoutActuatorThereIsNone() {
        runner.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate"))
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean("omnibusHealthIndicator"));
    }

    @Test
    void turnedOffByProperty() {
        runner.withPropertyValues("management.health.omnibus.enabled=false")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(OmnibusHealthIndicator.class));
    }

    @Test
    void downOnceTheConnectionIsClosed() {
        runner.run(context -> {
            context.getBean(dev.omnibus.Omnibus.class).close();
            assertThat(context.getBean(OmnibusHealthIndicator.class).health().getStatus()).isEqualTo(Status.DOWN);
        });
    }
}
