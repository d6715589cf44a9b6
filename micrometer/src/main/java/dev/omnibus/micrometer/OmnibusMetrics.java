package dev.omnibus.micrometer;

import dev.omnibus.ConnectionState;
import dev.omnibus.Delivery;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.Subscription;
import dev.omnibus.SubscriptionStats;
import dev.omnibus.instrument.BusInfo;
import dev.omnibus.instrument.BusObserver;
import dev.omnibus.instrument.Instrumentation;
import dev.omnibus.instrument.PublishContext;
import dev.omnibus.instrument.PublishObserver;
import dev.omnibus.instrument.SubscriptionObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToLongFunction;

/**
 * Micrometer meters for Omnibus, the same names and tags on every backend; immutable and thread-safe: one instance
 * may serve any number of connections. Turn it on with one line,
 * {@code Config.builder().url(url).instrumentation(OmnibusMetrics.of(registry))}, or just put this module on the
 * classpath: with the {@code instrumentation} option at its default {@code auto} it then reports to
 * {@link io.micrometer.core.instrument.Metrics#globalRegistry}.
 *
 * <h2>Meters</h2>
 * Every meter has the tag {@code backend}; subscription meters also {@code topic} (the subscription's topic or
 * pattern) and {@code group} ({@value #NO_GROUP} for a subscription without one).
 * <table>
 *   <caption>Meters (Prometheus names in brackets)</caption>
 *   <tr><td>{@code omnibus.published} ({@code omnibus_published_total})</td><td>counter, tags backend, topic:
 *   publishes the broker confirmed</td></tr>
 *   <tr><td>{@code omnibus.publish.failures}</td><td>counter, tags backend, topic, error (the
 *   {@link dev.omnibus.ErrorCode}, lower case): publishes that failed or timed out (not those refused by
 *   validation, which throw)</td></tr>
 *   <tr><td>{@code omnibus.delivered}, {@code omnibus.acked}, {@code omnibus.nacked}, {@code omnibus.redelivered},
 *   {@code omnibus.dead.lettered}, {@code omnibus.expired}</td><td>function counters over
 *   {@link Subscription#stats()}, summed over the subscriptions with the same tags, and monotonic across their
 *   closes</td></tr>
 *   <tr><td>{@code omnibus.dropped}</td><td>counter, plus tag reason ({@code overflow}, {@code not-redeliverable}):
 *   events lost</td></tr>
 *   <tr><td>{@code omnibus.handler.duration}</td><td>timer, plus tag outcome ({@code success}, {@code error}):
 *   count and total time (a function timer, cheap); a full timer with max, percentiles and histogram buckets when
 *   those are asked for in the {@link Builder}</td></tr>
 *   <tr><td>{@code omnibus.in.flight}</td><td>gauge: deliveries not yet settled</td></tr>
 *   <tr><td>{@code omnibus.consumer.lag}</td><td>gauge: events on the broker the group has yet to receive
 *   ({@link Subscription#lag()}): memory, Redis Streams ({@code XINFO GROUPS} lag); NaN where the broker cannot
 *   tell. Reading it may ask the broker (up to a second), at scrape time only</td></tr>
 *   <tr><td>{@code omnibus.connection.state}</td><td>gauge, tags backend, state: how many connections of that
 *   backend are in that {@link ConnectionState} (1 or 0 with one connection)</td></tr>
 * </table>
 *
 * <p>Cost: counts that the library keeps anyway are read at scrape time, so the hot path pays for the publish
 * counter and the handler times only (two adders; the library times handlers without an extra clock reading). Make one
 * {@code OmnibusMetrics} per registry and give it to every connection: the gauges and function counters of a second
 * instance on the same registry would clash with the first's (Micrometer keeps the first meter registered under a name
 * and tags).
 */
public final class OmnibusMetrics implements Instrumentation {
    /** Its name in the {@code instrumentation} option. */
    public static final String NAME = "micrometer";
    /** The {@code group} tag of a subscription without a group (not a valid group name, so never ambiguous). */
    public static final String NO_GROUP = "(none)";

    private final MeterRegistry registry;
    private final double[] percentiles;
    private final boolean histogram;
    private final Shared shared;

    private OmnibusMetrics(Builder b) {
        this.registry = b.registry;
        this.percentiles = b.percentiles.clone();
        this.histogram = b.histogram;
        this.shared = new Shared(registry);
    }

    /** Meters in {@code registry}, handler timer without percentiles. */
    public static OmnibusMetrics of(MeterRegistry registry) {
        return builder(registry).build();
    }

    /** A builder for meters in {@code registry}. */
    public static Builder builder(MeterRegistry registry) {
        return new Builder(Objects.requireNonNull(registry, "registry"));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public BusObserver open(BusInfo bus) {
        shared.opened(bus);
        return new BusMeters(shared, bus);
    }

    @Override
    public String toString() {
        return "OmnibusMetrics{" + registry.getClass().getSimpleName() + "}";
    }

    /** Options of {@link OmnibusMetrics}; not thread-safe. */
    public static final class Builder {
        private final MeterRegistry registry;
        private double[] percentiles = new double[0];
        private boolean histogram;

        private Builder(MeterRegistry registry) {
            this.registry = registry;
        }

        /**
         * Client-side percentiles of the handler timer, e.g. {@code 0.5, 0.99}.
         *
         * @throws IllegalArgumentException if one is outside [0, 1]
         */
        public Builder handlerPercentiles(double... values) {
            for (double v : values) {
                if (!(v >= 0 && v <= 1)) {
                    throw new IllegalArgumentException("a percentile is from 0 to 1 (0.99 is p99), was " + v);
                }
            }
            this.percentiles = values.clone();
            return this;
        }

        /** Histogram buckets of the handler timer, for percentiles aggregated server-side (Prometheus). */
        public Builder handlerHistogram(boolean on) {
            this.histogram = on;
            return this;
        }

        /** The instrumentation. */
        public OmnibusMetrics build() {
            return new OmnibusMetrics(this);
        }
    }

    // ------------------------------------------------------------------------------------------ per registry

    /** What the registry's meters read: the live connections and subscriptions, by tags. */
    private final class Shared {
        final MeterRegistry registry;
        final Map<String, Set<BusInfo>> busesByBackend = new ConcurrentHashMap<>();
        final Map<List<String>, SubscriptionMeters> subscriptions = new ConcurrentHashMap<>();

        Shared(MeterRegistry registry) {
            this.registry = registry;
        }

        void opened(BusInfo bus) {
            Set<BusInfo> buses = busesByBackend.computeIfAbsent(bus.backend(), backend -> {
                Set<BusInfo> set = ConcurrentHashMap.newKeySet();
                for (ConnectionState state : ConnectionState.values()) {
                    Gauge.builder("omnibus.connection.state", set, s -> s.stream()
                                    .filter(b -> b.connectionState() == state).count())
                            .tags("backend", backend, "state", state.name())
                            .description("connections of this backend in this state")
                            .register(registry);
                }
                return set;
            });
            buses.add(bus);
        }

        void closed(BusInfo bus) {
            Set<BusInfo> buses = busesByBackend.get(bus.backend());
            if (buses != null) {
                buses.remove(bus);
            }
        }

        SubscriptionMeters subscription(String backend, String topic, String group) {
            return subscriptions.computeIfAbsent(List.of(backend, topic, group),
                    k -> new SubscriptionMeters(registry, Tags.of("backend", backend, "topic", topic, "group", group)));
        }
    }

    /** The meters of one (backend, topic, group), over its live and closed subscriptions. */
    private final class SubscriptionMeters {
        final Set<Subscription> live = new HashSet<>();
        final long[] retired = new long[COUNTS.length];
        final HandlerTime succeeded;
        final HandlerTime failed;
        final Map<String, Counter> dropped = new ConcurrentHashMap<>();
        final MeterRegistry registry;
        final Tags tags;

        SubscriptionMeters(MeterRegistry registry, Tags tags) {
            this.registry = registry;
            this.tags = tags;
            for (int i = 0; i < COUNTS.length; i++) {
                int which = i;
                FunctionCounter.builder(COUNTS[i].name, this, m -> m.sum(which))
                        .tags(tags).description(COUNTS[i].description).register(registry);
            }
            Gauge.builder("omnibus.in.flight", this, SubscriptionMeters::inFlight).tags(tags)
                    .description("deliveries not yet settled").register(registry);
            Gauge.builder("omnibus.consumer.lag", this, SubscriptionMeters::lag).tags(tags)
                    .description("events on the broker the group has yet to receive (NaN: the broker cannot tell)")
                    .register(registry);
            this.succeeded = timer(registry, tags, "success");
            this.failed = timer(registry, tags, "error");
        }

        /**
         * A real {@link Timer} when percentiles or a histogram are asked for; otherwise a {@link FunctionTimer} over
         * two adders (count and total; no max), which costs the hot path far less.
         */
        private HandlerTime timer(MeterRegistry registry, Tags tags, String outcome) {
            if (percentiles.length == 0 && !histogram) {
                Totals totals = new Totals();
                FunctionTimer.builder(HANDLER_DURATION, totals, t -> t.count.sum(), t -> t.nanos.sum(),
                                TimeUnit.NANOSECONDS)
                        .tags(tags).tag("outcome", outcome).description(HANDLER_DESCRIPTION).register(registry);
                return totals;
            }
            Timer.Builder b = Timer.builder(HANDLER_DURATION).tags(tags).tag("outcome", outcome)
                    .description(HANDLER_DESCRIPTION);
            if (percentiles.length > 0) {
                b.publishPercentiles(percentiles);
            }
            if (histogram) {
                b.publishPercentileHistogram();
            }
            Timer timer = b.register(registry);
            return nanos -> timer.record(nanos, TimeUnit.NANOSECONDS);
        }

        synchronized void add(Subscription s) {
            live.add(s);
        }

        synchronized void remove(Subscription s) {
            if (live.remove(s)) {
                SubscriptionStats stats = s.stats();
                for (int i = 0; i < COUNTS.length; i++) {
                    retired[i] += COUNTS[i].read.applyAsLong(stats);
                }
            }
        }

        synchronized double sum(int which) {
            long total = retired[which];
            for (Subscription s : live) {
                total += COUNTS[which].read.applyAsLong(s.stats());
            }
            return total;
        }

        synchronized double inFlight() {
            long total = 0;
            for (Subscription s : live) {
                total += s.stats().inFlight();
            }
            return total;
        }

        /** The largest lag any live member reports (members of a group share it); NaN when none can tell. */
        double lag() {
            List<Subscription> members;
            synchronized (this) {
                members = new ArrayList<>(live);
            }
            double lag = Double.NaN;
            for (Subscription s : members) {
                OptionalLong l = s.lag();
                if (l.isPresent() && !(l.getAsLong() <= lag)) {
                    lag = l.getAsLong();
                }
            }
            return lag;
        }

        Counter dropped(String reason) {
            return dropped.computeIfAbsent(reason, r -> Counter.builder("omnibus.dropped").tags(tags).tag("reason", r)
                    .description("events lost: dropped by the overflow policy, or failed where the backend cannot "
                            + "redeliver").register(registry));
        }
    }

    private record Count(String name, String description, ToLongFunction<SubscriptionStats> read) {
    }

    private static final String HANDLER_DURATION = "omnibus.handler.duration";
    private static final String HANDLER_DESCRIPTION = "how long handlers ran";

    /** Where a handler's run time goes. */
    private interface HandlerTime {
        void record(long nanos);
    }

    /** Count and total of handler run times, read by a {@link FunctionTimer}. */
    private static final class Totals implements HandlerTime {
        final LongAdder count = new LongAdder();
        final LongAdder nanos = new LongAdder();

        @Override
        public void record(long nanos) {
            count.increment();
            this.nanos.add(nanos);
        }
    }

    private static final Count[] COUNTS = {
            new Count("omnibus.delivered", "handler invocations", SubscriptionStats::delivered),
            new Count("omnibus.acked", "deliveries acked", SubscriptionStats::acked),
            new Count("omnibus.nacked", "deliveries nacked or failed by their handler", SubscriptionStats::nacked),
            new Count("omnibus.redelivered", "deliveries of an event seen before (attempt > 1)",
                    SubscriptionStats::redelivered),
            new Count("omnibus.dead.lettered", "events moved to the dead-letter topic", SubscriptionStats::deadLettered),
            new Count("omnibus.expired", "deliveries not settled before their ack deadline",
                    SubscriptionStats::expired),
    };

    // ------------------------------------------------------------------------------------------ per connection

    /** One connection's observer. */
    private final class BusMeters implements BusObserver {
        private final Shared shared;
        private final BusInfo bus;
        private final String backend;
        private final Map<String, TopicMeters> topics = new ConcurrentHashMap<>();

        BusMeters(Shared shared, BusInfo bus) {
            this.shared = shared;
            this.bus = bus;
            this.backend = bus.backend();
        }

        @Override
        public PublishObserver publishing(PublishContext publish) {
            TopicMeters t = topics.get(publish.topic());
            return t != null ? t : topics.computeIfAbsent(publish.topic(), TopicMeters::new);
        }

        @Override
        public SubscriptionObserver subscribed(Subscription subscription) {
            String group = subscription.options().group();
            SubscriptionMeters meters = shared.subscription(backend, subscription.options().topic(),
                    group == null ? NO_GROUP : group);
            meters.add(subscription);
            return new SubscriptionObserver() {
                @Override
                public void handled(Delivery delivery, Object token, long nanos, Throwable error) {
                    (error == null ? meters.succeeded : meters.failed).record(nanos);
                }

                @Override
                public void dropped(String reason, long count) {
                    meters.dropped(reason).increment(count);
                }

                @Override
                public void closed() {
                    meters.remove(subscription);
                }
            };
        }

        @Override
        public void closed() {
            shared.closed(bus);
        }

        /** The publish meters of one topic; also the observer of its publishes (shared: no allocation). */
        private final class TopicMeters implements PublishObserver {
            private final String topic;
            private final Counter published;
            private final Map<String, Counter> failures = new ConcurrentHashMap<>();

            TopicMeters(String topic) {
                this.topic = topic;
                this.published = Counter.builder("omnibus.published").tags("backend", backend, "topic", topic)
                        .description("publishes the broker confirmed").register(shared.registry);
            }

            @Override
            public void published(PublishReceipt receipt) {
                published.increment();
            }

            @Override
            public void failed(OmnibusException error) {
                String code = error.code().name().toLowerCase(Locale.ROOT);
                failures.computeIfAbsent(code, c -> Counter.builder("omnibus.publish.failures")
                        .tags("backend", backend, "topic", topic, "error", c)
                        .description("publishes that failed or timed out").register(shared.registry)).increment();
            }
        }
    }
}
