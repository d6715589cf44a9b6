package dev.omnibus.internal;

import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.ConfigOption;
import dev.omnibus.ConnectionListener;
import dev.omnibus.ConnectionState;
import dev.omnibus.DeliveryHandler;
import dev.omnibus.ErrorCode;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.InvalidMessagePolicy;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.Publisher;
import dev.omnibus.ReconnectPolicy;
import dev.omnibus.Registration;
import dev.omnibus.StartPosition;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscriber;
import dev.omnibus.Subscription;
import dev.omnibus.instrument.BusInfo;
import dev.omnibus.instrument.Instrumentation;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import dev.omnibus.spi.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/** The portable {@link Omnibus}: owns the backend, the scheduler, the publishers and the subscriptions. */
final class OmnibusImpl implements Omnibus, Subscriber {
    private static final Logger log = LoggerFactory.getLogger(OmnibusImpl.class);
    private static final Pattern GROUP = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    /** Subscriptions {@link #close} closes at a time once their drains have begun. */
    private static final int CLOSERS = 16;

    private final ResolvedConfig config;
    private final ScheduledThreadPoolExecutor scheduler;
    private final List<ConnectionListener> listeners = new CopyOnWriteArrayList<>();
    private final Set<SubscriptionImpl> subscriptions = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ReconnectPolicy reconnectPolicy;
    private final Duration publishTimeout;
    private final PublishTimeouts publishTimeouts;
    private final ThreadPoolExecutor completer;
    private volatile ConnectionState state;
    private Backend backend;
    private Capabilities capabilities;
    /** The instrumentations' observers; {@code null} when none is on. */
    private volatile Observers.Bus observers;

    private OmnibusImpl(ResolvedConfig config) {
        this.config = config;
        this.reconnectPolicy = config.reconnectPolicy();
        this.publishTimeout = config.get(CommonOptions.PUBLISH_TIMEOUT);
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "omnibus-" + config.scheme + "-scheduler");
            t.setDaemon(true);
            return t;
        });
        this.scheduler.setRemoveOnCancelPolicy(true);
        // overdue publishes are failed on threads of their own (started on demand, gone when idle): the user's
        // continuations run there, and one that blocks must not stall the scheduler's housekeeping
        this.completer = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 10, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> {
                    Thread t = new Thread(r, "omnibus-" + config.scheme + "-publish-timeout");
                    t.setDaemon(true);
                    return t;
                });
        this.publishTimeouts = new PublishTimeouts(publishTimeout, completer);
        long sweep = publishTimeouts.sweepPeriod().toNanos();
        this.scheduler.scheduleAtFixedRate(publishTimeouts::sweep, sweep, sweep, TimeUnit.NANOSECONDS);
    }

    static OmnibusImpl open(ResolvedConfig config) {
        OmnibusImpl bus = new OmnibusImpl(config);
        try {
            bus.backend = config.provider.open(bus.new Context());
            bus.capabilities = Objects.requireNonNull(bus.backend.capabilities(), "backend capabilities");
        } catch (RuntimeException e) {
            bus.scheduler.shutdownNow();
            bus.completer.shutdown();
            if (e instanceof OmnibusException) {
                throw e;
            }
            // a client's own exception may quote what it was given: the configuration's secrets are taken out
            throw new OmnibusException(ErrorCode.UNAVAILABLE, "cannot open " + config.redactedUrl + ": "
                    + config.scrub(e.toString()), e);
        }
        if (bus.state == null) {
            bus.setState(ConnectionState.CONNECTED, null);
        }
        if (!config.instrumentations.isEmpty()) {
            bus.startObserving(config.instrumentations);
        }
        return bus;
    }

    private void startObserving(List<Instrumentation> instrumentations) {
        Observers.Bus o = Observers.open(instrumentations, new BusInfo() {
            @Override
            public String backend() {
                return backend.name();
            }

            @Override
            public String redactedUrl() {
                return config.redactedUrl;
            }

            @Override
            public Capabilities capabilities() {
                return capabilities;
            }

            @Override
            public ConnectionState connectionState() {
                return state;
            }
        });
        if (o != null) {
            synchronized (this) {
                observers = o;
                o.connectionStateChanged(state, null);
            }
        }
    }

    /** The instrumentations' observers, or {@code null} when none is on. */
    Observers.Bus observers() {
        return observers;
    }

    @Override
    public String backend() {
        return backend.name();
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public Publisher publisher() {
        ensureOpen();
        return new PublisherHandle(this);
    }

    @Override
    public Subscriber subscriber() {
        ensureOpen();
        return this;
    }

    @Override
    public ConnectionState connectionState() {
        return state;
    }

    @Override
    public Registration onConnectionStateChange(ConnectionListener listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public Subscription subscribe(SubscribeOptions options, DeliveryHandler handler) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(handler, "handler");
        ensureOpen();
        String name = backend.name();
        Topics.validatePattern("subscription topic", options.topic());
        if (Topics.isWildcard(options.topic())) {
            capabilities.require(name, Capability.WILDCARDS);
        }
        if (options.group() != null) {
            if (!GROUP.matcher(options.group()).matches()) {
                throw new InvalidArgumentException("group '" + options.group() + "' is not portable: use 1 to 128 "
                        + "characters of A-Z a-z 0-9 _ -");
            }
            capabilities.require(name, Capability.GROUPS);
        }
        if (options.startPosition().kind() != StartPosition.Kind.LATEST) {
            capabilities.require(name, Capability.REPLAY);
        }
        if (options.overflow() != null) {
            capabilities.require(name, Capability.OVERFLOW_POLICY);
        }
        if (options.deadLetterTopic() != null) {
            Topics.validateTopic("dead-letter topic", options.deadLetterTopic());
            capabilities.require(name, Capability.AT_LEAST_ONCE);
            if (Topics.matches(options.topic(), options.deadLetterTopic())) {
                throw new InvalidArgumentException("dead-letter topic '" + options.deadLetterTopic()
                        + "' matches the subscription's own topic '" + options.topic()
                        + "': dead letters would be consumed again; pick a topic outside it");
            }
        } else if (options.onInvalidMessage() == InvalidMessagePolicy.DEAD_LETTER) {
            throw new InvalidArgumentException("onInvalidMessage(DEAD_LETTER) needs a dead-letter topic: add "
                    + "deadLetter(topic, maxAttempts)");
        }
        boolean nativeDeadLetter = capabilities.has(Capability.NATIVE_DEAD_LETTER);
        ReceiverSpec spec = new ReceiverSpec(options.topic(), options.group(), options.ackDeadline(),
                options.startPosition(), options.maxInFlight(), options.overflow(), options.bufferCapacity(),
                nativeDeadLetter ? options.deadLetterTopic() : null, nativeDeadLetter ? options.maxAttempts() : 0);
        Receiver receiver;
        try {
            receiver = Objects.requireNonNull(backend.receiver(spec), "receiver");
        } catch (RuntimeException e) {
            throw backend.classify(e);
        }
        SubscriptionImpl s = new SubscriptionImpl(this, receiver, options, handler);
        subscriptions.add(s);
        if (closed.get()) {
            s.close(Duration.ZERO);
            throw closedError();
        }
        s.start();
        return s;
    }

    @Override
    public void close(Duration drain) {
        Objects.requireNonNull(drain, "drain");
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        List<SubscriptionImpl> open = new ArrayList<>(subscriptions);
        long deadline = System.nanoTime() + drain.toNanos();
        // every subscription stops fetching and starts draining now, so each gets the whole drain at once rather
        // than what the ones closed before it left over
        for (SubscriptionImpl s : open) {
            s.beginClose();
        }
        closeConcurrently(open, deadline, drain);
        try {
            backend.close();
        } catch (RuntimeException e) {
            log.warn("closing backend {} failed", backend.name(), e);
        }
        scheduler.shutdownNow();
        completer.shutdown();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
            completer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        setState(ConnectionState.CLOSED, null);
        Observers.Bus o = observers;
        if (o != null) {
            o.closed();
        }
    }

    /**
     * Closes {@code open} (every one already draining) side by side rather than one after another, up to
     * {@link #CLOSERS} at a time on daemon threads. Why: after its drain a receiver's own close can take a while (a
     * Kafka consumer leaves its group and commits: ~280 ms), and one after another 200 Kafka subscriptions took 52 s
     * to shut down (ScaleCost), so shutdown grew with the number of subscriptions instead of being bounded by the
     * drain. A subscription whose own handler is closing the bus is closed on this thread (it returns at once and
     * finishes on a thread of its own: a closer thread would wait for that very handler). Waits uninterruptibly, as
     * a subscription's close does; an interrupt is set again on return.
     */
    private void closeConcurrently(List<SubscriptionImpl> open, long deadline, Duration drain) {
        List<SubscriptionImpl> others = new ArrayList<>();
        for (SubscriptionImpl s : open) {
            if (s.calledFromOwnHandler()) {
                s.close(deadline, drain);
            } else {
                others.add(s);
            }
        }
        if (others.size() <= 1) {
            others.forEach(s -> s.close(deadline, drain));
            return;
        }
        AtomicInteger ids = new AtomicInteger();
        ExecutorService closers = Executors.newFixedThreadPool(Math.min(CLOSERS, others.size()), r -> {
            Thread t = new Thread(r, "omnibus-" + config.scheme + "-close-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> closing = new ArrayList<>(others.size());
        for (SubscriptionImpl s : others) {
            closing.add(closers.submit(() -> s.close(deadline, drain)));
        }
        closers.shutdown();
        boolean interrupted = false;
        for (Future<?> f : closing) {
            while (true) {
                try {
                    f.get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    log.warn("closing a subscription of {} failed", backend.name(), e.getCause());
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    Backend driver() {
        return backend;
    }

    ReconnectPolicy reconnectPolicy() {
        return reconnectPolicy;
    }

    PublishTimeouts publishTimeouts() {
        return publishTimeouts;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    boolean isClosed() {
        return closed.get();
    }

    void forget(SubscriptionImpl s) {
        subscriptions.remove(s);
    }

    void ensureOpen() {
        if (closed.get()) {
            throw closedError();
        }
    }

    OmnibusException closedError() {
        return new OmnibusException(ErrorCode.CLOSED, "this Omnibus connection to " + config.redactedUrl
                + " is closed");
    }

    private synchronized void setState(ConnectionState next, Throwable cause) {
        if (state == ConnectionState.CLOSED || next == state) {
            return;
        }
        ConnectionState was = state;
        state = next;
        if (was == ConnectionState.DISCONNECTED && next == ConnectionState.RECONNECTED) {
            // a receive loop backing off after failures during the outage resumes now, not after its backoff
            wakeSubscriptions();
        }
        Observers.Bus o = observers;
        if (o != null) {
            o.connectionStateChanged(next, cause);
        }
        for (ConnectionListener l : listeners) {
            try {
                l.onStateChange(next, cause);
            } catch (RuntimeException e) {
                log.warn("connection listener failed on {}", next, e);
            }
        }
    }

    private void wakeSubscriptions() {
        for (SubscriptionImpl s : subscriptions) {
            s.receiveNow();
        }
    }

    private final class Context implements BackendContext {
        @Override
        public void receiveNow() {
            wakeSubscriptions();
        }

        @Override
        public String scheme() {
            return config.scheme;
        }

        @Override
        public String address() {
            return config.address;
        }

        @Override
        public String redactedUrl() {
            return config.redactedUrl;
        }

        @Override
        public <T> T get(ConfigOption<T> option) {
            return config.get(option);
        }

        @Override
        public Map<String, String> passThrough() {
            return config.passThrough;
        }

        @Override
        public Duration publishTimeout() {
            return publishTimeout;
        }

        @Override
        public ReconnectPolicy reconnectPolicy() {
            return reconnectPolicy;
        }

        @Override
        public void connectionState(ConnectionState next, Throwable cause) {
            setState(next, cause);
        }

        @Override
        public ScheduledExecutorService scheduler() {
            return scheduler;
        }
    }
}
