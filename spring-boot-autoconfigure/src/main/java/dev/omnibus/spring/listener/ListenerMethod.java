package dev.omnibus.spring.listener;

import dev.omnibus.ConfigException;
import dev.omnibus.Delivery;
import io.cloudevents.CloudEvent;
import org.springframework.util.ReflectionUtils;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.util.Objects;

/**
 * A listener method bound to its bean, turning a {@link Delivery} into its arguments: the delivery itself, its
 * {@link CloudEvent}, or the event's data converted by an {@link EventDataConverter}. Immutable and thread-safe when
 * the bean is: it is called on the subscription's handler threads.
 */
public final class ListenerMethod {
    private enum Kind { DELIVERY, EVENT, DATA }

    private final Object bean;
    private final Method method;
    private final Kind[] kinds;
    private final Type[] types;

    private ListenerMethod(Object bean, Method method, Kind[] kinds) {
        this.bean = bean;
        this.method = method;
        this.kinds = kinds;
        this.types = method.getGenericParameterTypes();
    }

    /**
     * Checks the signature of {@code method} (to be invoked on {@code bean}): {@code void}, one or two parameters,
     * at most one {@link Delivery} and one event or data parameter.
     *
     * @param where names the bean and method in the error
     * @throws ConfigException naming {@code where} and what is wrong
     */
    static ListenerMethod of(Object bean, Method method, String where) {
        if (method.getReturnType() != void.class) {
            throw new ConfigException(where + ": a listener method returns void, this one returns "
                    + method.getGenericReturnType().getTypeName());
        }
        Class<?>[] params = method.getParameterTypes();
        if (params.length < 1 || params.length > 2) {
            throw new ConfigException(where + ": a listener method takes the event (a CloudEvent, or its data as any "
                    + "type) and optionally the Delivery; this one takes " + params.length + " parameters");
        }
        Kind[] kinds = new Kind[params.length];
        int deliveries = 0;
        for (int i = 0; i < params.length; i++) {
            kinds[i] = params[i] == Delivery.class ? Kind.DELIVERY
                    : params[i] == CloudEvent.class ? Kind.EVENT : Kind.DATA;
            deliveries += kinds[i] == Kind.DELIVERY ? 1 : 0;
        }
        if (params.length == 2 && deliveries != 1) {
            throw new ConfigException(where + ": with two parameters, one is the Delivery and the other the event or "
                    + "its data");
        }
        ReflectionUtils.makeAccessible(method);
        return new ListenerMethod(Objects.requireNonNull(bean, "bean"), method, kinds);
    }

    /** Whether a parameter takes the {@link Delivery} (which a MANUAL listener needs, to settle it). */
    public boolean takesDelivery() {
        for (Kind k : kinds) {
            if (k == Kind.DELIVERY) {
                return true;
            }
        }
        return false;
    }

    /** Whether a parameter takes the event's data, so an {@link EventDataConverter} is needed. */
    public boolean needsConverter() {
        for (Kind k : kinds) {
            if (k == Kind.DATA) {
                return true;
            }
        }
        return false;
    }

    /**
     * Calls the method for {@code delivery}, converting the data with {@code converter} where a parameter asks for
     * it; what the method throws is thrown as it is (so the delivery fails).
     */
    public void invoke(Delivery delivery, EventDataConverter converter) throws Exception {
        Object[] args = new Object[kinds.length];
        for (int i = 0; i < kinds.length; i++) {
            args[i] = switch (kinds[i]) {
                case DELIVERY -> delivery;
                case EVENT -> delivery.event();
                case DATA -> converter.convert(delivery.event(), types[i]);
            };
        }
        try {
            method.invoke(bean, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    @Override
    public String toString() {
        return method.getDeclaringClass().getSimpleName() + "." + method.getName();
    }
}
