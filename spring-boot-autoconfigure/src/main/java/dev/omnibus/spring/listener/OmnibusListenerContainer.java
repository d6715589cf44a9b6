package dev.omnibus.spring.listener;

import dev.omnibus.ConfigException;
import dev.omnibus.OmnibusException;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import dev.omnibus.spring.OmnibusConnections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * Subscribes every {@link OmnibusListener} method when the context starts and closes the subscriptions first when
 * it stops, each draining its running handlers (they finish and their deliveries are acked) within the drain time,
 * Spring's {@code spring.lifecycle.timeout-per-shutdown-phase}. Deliveries received but not started are handed back
 * to the broker for redelivery. The connections close after, when their beans are destroyed.
 *
 * <p>Its {@linkplain #PHASE phase} is high: it starts after the other lifecycle beans (the web server, say) and stops
 * before them. Thread-safe: start and stop are serialised; {@link #statuses()} may be called from any thread.
 */
public final class OmnibusListenerContainer implements SmartLifecycle {
    /** Its lifecycle phase: started last, stopped first (as Spring's own message listener containers). */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 100;

    private static final Logger log = LoggerFactory.getLogger(OmnibusListenerContainer.class);

    private final Supplier<List<ListenerEndpoint>> endpoints;
    private final OmnibusConnections connections;
    private final Supplier<EventDataConverter> converter;
    private final List<ListenerOptionsCustomizer> customizers;
    private final Duration drain;
    private final Object lock = new Object();
    // the subscriptions of the current run, by endpoint; replaced whole under the lock, read without it (volatile)
    private volatile Map<ListenerEndpoint, Subscription> subscriptions = Map.of();
    private volatile boolean running;

    /**
     * A container for the listeners {@code endpoints} supplies (read at start).
     *
     * @param converter supplies the converter when a listener takes converted data (may supply {@code null} when
     *                  there is none: such a listener then fails the start)
     * @param customizers adjust each listener's options, in order
     * @param drain     how long stopping waits for running handlers
     */
    public OmnibusListenerContainer(Supplier<List<ListenerEndpoint>> endpoints, OmnibusConnections connections,
                                    Supplier<EventDataConverter> converter, List<ListenerOptionsCustomizer> customizers,
                                    Duration drain) {
        this.endpoints = endpoints;
        this.connections = connections;
        this.converter = converter;
        this.customizers = List.copyOf(customizers);
        this.drain = drain;
    }

    /**
     * Subscribes every listener. Every problem found before subscribing (unknown connection, no converter) is reported
     * at once; a subscription the backend refuses closes those already made.
     *
     * @throws ConfigException naming each listener and what is wrong
     * @throws OmnibusException naming the listener the backend refused
     */
    @Override
    public void start() {
        synchronized (lock) {
            if (running) {
                return;
            }
            List<ListenerEndpoint> all = endpoints.get();
            EventDataConverter dataConverter = check(all);
            Map<ListenerEndpoint, Subscription> started = new LinkedHashMap<>();
            for (ListenerEndpoint endpoint : all) {
                try {
                    SubscribeOptions options = endpoint.options();
                    for (ListenerOptionsCustomizer c : customizers) {
                        options = c.customize(endpoint.id(), options);
                    }
                    started.put(endpoint, connections.get(endpoint.connection()).subscriber().subscribe(
                            options, d -> endpoint.method().invoke(d, dataConverter)));
                } catch (OmnibusException e) {
                    started.values().forEach(s -> s.close(Duration.ZERO));
                    throw new OmnibusException(e.code(), "@OmnibusListener " + endpoint.id()
                            + " could not subscribe to '" + endpoint.options().topic() + "': " + e.getMessage(), e);
                }
            }
            subscriptions = started;
            running = true;
            log.info("omnibus: {} listener(s) subscribed", started.size());
        }
    }

    private EventDataConverter check(List<ListenerEndpoint> all) {
        List<String> problems = new ArrayList<>();
        EventDataConverter dataConverter = null;
        for (ListenerEndpoint endpoint : all) {
            if (!connections.all().containsKey(endpoint.connection())) {
                problems.add("@OmnibusListener " + endpoint.id() + ", attribute connection: no connection named '"
                        + endpoint.connection() + "'; configure omnibus.connections." + endpoint.connection()
                        + ".url (configured: " + connections.names() + ")");
            }
            if (endpoint.method().needsConverter() && dataConverter == null) {
                dataConverter = converter.get();
                if (dataConverter == null) {
                    problems.add("@OmnibusListener " + endpoint.id() + " takes the event's data, but there is no "
                            + "EventDataConverter bean: add Jackson (spring-boot-starter-json) or define one, or "
                            + "take the CloudEvent");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return dataConverter;
    }

    @Override
    public void stop() {
        CountDownLatch done = new CountDownLatch(1);
        stop(done::countDown);
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Closes every subscription at once, each on a thread of its own ({@code omnibus-spring-drain-<n>}) so that they
     * drain in parallel within one {@code drain}, then runs {@code callback}. Returns at once.
     */
    @Override
    public void stop(Runnable callback) {
        Map<ListenerEndpoint, Subscription> closing;
        synchronized (lock) {
            closing = subscriptions;
            running = false;
        }
        if (closing.isEmpty()) {
            callback.run();
            return;
        }
        CountDownLatch closed = new CountDownLatch(closing.size());
        int n = 0;
        for (Map.Entry<ListenerEndpoint, Subscription> e : closing.entrySet()) {
            Thread t = new Thread(() -> {
                try {
                    if (!e.getValue().close(drain)) {
                        log.warn("omnibus: listener {} did not finish its running handlers within {}; their "
                                + "deliveries will be redelivered", e.getKey().id(), drain);
                    }
                } catch (RuntimeException ex) {
                    log.warn("omnibus: closing listener {} failed", e.getKey().id(), ex);
                } finally {
                    closed.countDown();
                }
            }, "omnibus-spring-drain-" + (++n));
            t.start();
        }
        Thread waiter = new Thread(() -> {
            try {
                closed.await();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            } finally {
                log.info("omnibus: {} listener(s) closed", closing.size());
                callback.run();
            }
        }, "omnibus-spring-drain");
        waiter.start();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    /** The state of every listener found, in the order found. */
    public List<ListenerStatus> statuses() {
        Map<ListenerEndpoint, Subscription> current = subscriptions;
        boolean on = running;
        List<ListenerStatus> out = new ArrayList<>();
        for (ListenerEndpoint endpoint : endpoints.get()) {
            Subscription s = on ? current.get(endpoint) : null;
            ListenerStatus.State state = s == null ? ListenerStatus.State.STOPPED
                    : s.isActive() ? ListenerStatus.State.ACTIVE : ListenerStatus.State.FAILED;
            Optional<OmnibusException> failure = s == null ? Optional.empty() : s.failure();
            out.add(new ListenerStatus(endpoint.id(), endpoint.connection(), endpoint.options().topic(),
                    endpoint.options().group(), state, failure));
        }
        return out;
    }

    /** The subscription of the listener {@code id} while the container runs (for tests and diagnostics). */
    public Optional<Subscription> subscription(String id) {
        return subscriptions.entrySet().stream().filter(e -> e.getKey().id().equals(id)).map(Map.Entry::getValue)
                .findFirst();
    }
}
