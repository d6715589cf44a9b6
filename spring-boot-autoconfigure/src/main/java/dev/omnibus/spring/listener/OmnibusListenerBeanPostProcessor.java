package dev.omnibus.spring.listener;

import dev.omnibus.AckMode;
import dev.omnibus.ConfigException;
import dev.omnibus.InvalidArgumentException;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.annotation.AnnotationUtils;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Finds the {@link OmnibusListener} methods of every bean as it is initialised, checks them and resolves their
 * placeholders; an invalid one fails the bean's creation, and so the context's start, with a {@link ConfigException}
 * naming the bean, the method and the attribute. It subscribes nothing: {@link OmnibusListenerContainer} does, once
 * the context has started. Thread-safe (beans may be initialised on several threads).
 */
public final class OmnibusListenerBeanPostProcessor implements BeanPostProcessor, BeanFactoryAware {
    private final List<ListenerEndpoint> endpoints = new CopyOnWriteArrayList<>();
    private ConfigurableBeanFactory beanFactory;

    /** A processor; registered by the auto-configuration as a static bean. */
    public OmnibusListenerBeanPostProcessor() {
    }

    @Override
    public void setBeanFactory(BeanFactory beanFactory) {
        this.beanFactory = (ConfigurableBeanFactory) beanFactory;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
        Class<?> type = AopUtils.getTargetClass(bean);
        if (!AnnotationUtils.isCandidateClass(type, OmnibusListener.class)) {
            return bean; // JDK and Spring types, say: cannot carry the annotation, no need to look at their methods
        }
        Map<Method, OmnibusListener> annotated = MethodIntrospector.selectMethods(type,
                (MethodIntrospector.MetadataLookup<OmnibusListener>) m ->
                        AnnotatedElementUtils.findMergedAnnotation(m, OmnibusListener.class));
        annotated.forEach((method, annotation) -> endpoints.add(endpoint(bean, beanName, type, method, annotation)));
        return bean;
    }

    private ListenerEndpoint endpoint(Object bean, String beanName, Class<?> type, Method method,
                                      OmnibusListener annotation) {
        String where = "@OmnibusListener on bean '" + beanName + "', method " + type.getSimpleName() + "."
                + method.getName();
        ListenerAttributes attributes = new ListenerAttributes(annotation, beanFactory::resolveEmbeddedValue, where);
        try {
            // a proxied bean (AOP, @Transactional) is called through the proxy, on the method the proxy exposes
            Method invocable = AopUtils.selectInvocableMethod(method, bean.getClass());
            ListenerMethod target = ListenerMethod.of(bean, invocable, where);
            if (annotation.ackMode() == AckMode.MANUAL && !target.takesDelivery()) {
                throw new ConfigException(where + ", attribute ackMode = MANUAL: the method settles each delivery "
                        + "itself, so it takes the Delivery as a parameter (or use AckMode.AUTO)");
            }
            return new ListenerEndpoint(beanName + "." + method.getName(), attributes.connection(),
                    attributes.options(), target);
        } catch (IllegalStateException e) {
            throw new ConfigException(where + ": " + e.getMessage());
        } catch (InvalidArgumentException e) {
            throw new ConfigException(where + ": " + e.getMessage());
        }
    }

    /** The listeners found so far, in the order their beans were initialised. */
    public List<ListenerEndpoint> endpoints() {
        return List.copyOf(endpoints);
    }
}
