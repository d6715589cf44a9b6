package dev.omnibus.nats;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Reaches into jnats' connection behind a bus, to simulate jnats' own faults in tests. Relies on jnats 2.26's field
 * names; a jnats upgrade that renames them fails the tests that use this with a message naming the field.
 */
final class JnatsInternals {
    private static final String CONNECTION_CLASS = "io.nats.client.impl.NatsConnection";

    private JnatsInternals() {
    }

    /**
     * Queues a pong future with no PING behind it, as jnats does when a PING it queued is never sent: from then on
     * each PONG completes the future of the flush before.
     */
    @SuppressWarnings("unchecked")
    static void loseAPing(Object bus) throws Exception {
        Object connection = find(bus);
        Field f = Class.forName(CONNECTION_CLASS).getDeclaredField("pongQueue");
        f.setAccessible(true);
        ((Deque<CompletableFuture<Boolean>>) f.get(connection)).add(new CompletableFuture<>());
    }

    /** The jnats connection reachable from {@code root} through the library's own objects. */
    private static Object find(Object root) throws IllegalAccessException {
        Deque<Object> todo = new ArrayDeque<>();
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        todo.add(root);
        while (!todo.isEmpty()) {
            Object o = todo.poll();
            if (!seen.add(o)) {
                continue;
            }
            if (o.getClass().getName().equals(CONNECTION_CLASS)) {
                return o;
            }
            if (!o.getClass().getName().startsWith("dev.omnibus.")) {
                continue;
            }
            for (Class<?> k = o.getClass(); k != null && k.getName().startsWith("dev.omnibus.");
                    k = k.getSuperclass()) {
                for (Field field : k.getDeclaredFields()) {
                    if (field.getType().isPrimitive() || Modifier.isStatic(field.getModifiers())) {
                        continue;
                    }
                    field.setAccessible(true);
                    Object value = field.get(o);
                    if (value != null) {
                        todo.add(value);
                    }
                }
            }
        }
        throw new IllegalStateException("no " + CONNECTION_CLASS + " reachable from " + root.getClass().getName());
    }
}
