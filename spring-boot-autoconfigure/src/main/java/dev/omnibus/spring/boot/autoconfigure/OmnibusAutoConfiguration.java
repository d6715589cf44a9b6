package dev.omnibus.spring.boot.autoconfigure;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnibus.Omnibus;
import dev.omnibus.Publisher;
import dev.omnibus.spring.OmnibusConfigCustomizer;
import dev.omnibus.spring.OmnibusConnections;
import dev.omnibus.spring.listener.EventDataConverter;
import dev.omnibus.spring.listener.JacksonEventDataConverter;
import dev.omnibus.spring.listener.ListenerOptionsCustomizer;
import dev.omnibus.spring.listener.OmnibusListenerBeanPostProcessor;
import dev.omnibus.spring.listener.OmnibusListenerContainer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Auto-configures Omnibus from {@code omnibus.*}: the {@link Omnibus} connection of {@code omnibus.url} (closed
 * last, when the context's beans are destroyed), a {@link Publisher}, the named connections
 * ({@link OmnibusConnections}), and the {@link OmnibusListenerContainer} that subscribes the
 * {@link dev.omnibus.spring.listener.OmnibusListener} methods once the context has started and drains them first on
 * shutdown, within {@code spring.lifecycle.timeout-per-shutdown-phase}. Every bean backs off when the application
 * defines its own. {@code omnibus.enabled=false} turns it all off.
 */
@AutoConfiguration(after = JacksonAutoConfiguration.class)
@ConditionalOnClass(Omnibus.class)
@ConditionalOnProperty(prefix = "omnibus", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(OmnibusProperties.class)
public class OmnibusAutoConfiguration {
    /** Spring Boot's default for {@code spring.lifecycle.timeout-per-shutdown-phase}. */
    static final Duration DEFAULT_SHUTDOWN_PHASE = Duration.ofSeconds(30);

    /** Created by Spring. */
    public OmnibusAutoConfiguration() {
    }

    /** The connection of {@code omnibus.url} and {@code omnibus.options.*}; closed when the context closes. */
    @Bean
    @ConditionalOnMissingBean
    public Omnibus omnibus(OmnibusProperties properties, ObjectProvider<OmnibusConfigCustomizer> customizers) {
        return OmnibusConnector.connect(OmnibusConnections.PRIMARY, properties.getUrl(), properties.getOptions(),
                customizers.orderedStream().toList());
    }

    /** The primary connection plus those of {@code omnibus.connections.<name>}; closes the named ones. */
    @Bean
    @ConditionalOnMissingBean
    public OmnibusConnections omnibusConnections(Omnibus omnibus, OmnibusProperties properties,
                                                 ObjectProvider<OmnibusConfigCustomizer> customizers) {
        List<OmnibusConfigCustomizer> all = customizers.orderedStream().toList();
        Map<String, Omnibus> named = new LinkedHashMap<>();
        try {
            properties.getConnections().forEach((name, c) ->
                    named.put(name, OmnibusConnector.connect(name, c.getUrl(), c.getOptions(), all)));
        } catch (RuntimeException e) {
            named.values().forEach(Omnibus::close);
            throw e;
        }
        return new OmnibusConnections(omnibus, named);
    }

    /** A publisher on the primary connection. */
    @Bean
    @ConditionalOnMissingBean
    public Publisher omnibusPublisher(Omnibus omnibus) {
        return omnibus.publisher();
    }

    /** Finds and checks the {@code @OmnibusListener} methods (static: it post-processes the other beans). */
    @Bean
    public static OmnibusListenerBeanPostProcessor omnibusListenerBeanPostProcessor() {
        return new OmnibusListenerBeanPostProcessor();
    }

    /** Subscribes the listeners after the context started; drains them first on shutdown. */
    @Bean
    @ConditionalOnMissingBean
    public OmnibusListenerContainer omnibusListenerContainer(OmnibusListenerBeanPostProcessor listeners,
                                                             OmnibusConnections connections,
                                                             ObjectProvider<EventDataConverter> converter,
                                                             ObjectProvider<ListenerOptionsCustomizer> customizers,
                                                             Environment environment) {
        return new OmnibusListenerContainer(listeners::endpoints, connections, converter::getIfAvailable,
                customizers.orderedStream().toList(), drain(environment));
    }

    /**
     * The drain: Spring's shutdown phase timeout less a margin (a tenth, at most a second), so that the subscriptions
     * are closed, and say so in the log, before Spring stops waiting for the phase.
     */
    static Duration drain(Environment environment) {
        Duration phase = Binder.get(environment).bind("spring.lifecycle.timeout-per-shutdown-phase", Duration.class)
                .orElse(DEFAULT_SHUTDOWN_PHASE);
        Duration margin = phase.dividedBy(10);
        if (margin.compareTo(Duration.ofSeconds(1)) > 0) {
            margin = Duration.ofSeconds(1);
        }
        return phase.minus(margin);
    }

    /** The default {@link EventDataConverter}: JSON with the application's {@link ObjectMapper}. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(ObjectMapper.class)
    static class JacksonConverterConfiguration {
        @Bean
        @ConditionalOnMissingBean(EventDataConverter.class)
        JacksonEventDataConverter omnibusEventDataConverter(ObjectProvider<ObjectMapper> mapper) {
            return new JacksonEventDataConverter(mapper.getIfAvailable(ObjectMapper::new));
        }
    }
}
