package dev.omnibus.cli;

import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.Publisher;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.net.URI;
import java.time.Duration;
import java.util.BitSet;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.locks.LockSupport;

/**
 * The load generator behind {@code omnibus bench}: measures one phase at a time on one connection; not thread-safe
 * (one thread runs the phases). Each phase subscribes to its own topic, publishes on the calling thread (with at
 * most {@code inFlight} publishes unconfirmed), counts confirmations on the backend's completion threads and
 * receipts on the subscription's handler thread. Creates no threads of its own (the progress line has one).
 *
 * <p>Errors: a publish that fails is counted (the phase reports it, the command exits 3); a subscription that ends
 * by an error, a phase whose subscription receives nothing within {@code timeout}, and publishing that stalls for
 * {@code timeout} throw an {@link OmnibusException}.
 */
final class Bench {
    /** Extension carrying the intended send time, {@link System#nanoTime()} of this JVM, as decimal text. */
    static final String SENT_EXTENSION = "benchsentnanos";
    static final String TYPE = "dev.omnibus.cli.bench";
    static final String GROUP = "omnibus-bench";
    private static final URI SOURCE = URI.create("/omnibus-cli/bench");
    private static final String PROBE = "probe-";
    private static final long PROBE_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final Duration DRAIN = Duration.ofSeconds(5);

    /** What the phases are told: how long, how many unconfirmed publishes at most, how long to wait for anything. */
    record Settings(Duration duration, int inFlight, Duration timeout) {
    }

    /** One throughput phase's outcome; immutable and thread-safe. Rates are 0 when nothing was confirmed. */
    record Throughput(int size, long sent, long confirmed, long failed, double publishSeconds, long received,
                      long duplicates, double consumeSeconds) {
        double publishRate() {
            return publishSeconds > 0 ? confirmed / publishSeconds : 0;
        }

        double consumeRate() {
            return consumeSeconds > 0 ? received / consumeSeconds : 0;
        }

        /** Megabytes (10^6 bytes) of event data per second. */
        double megabytes(double eventsPerSecond) {
            return eventsPerSecond * size / 1e6;
        }
    }

    /**
     * One latency phase's outcome; the histogram holds nanoseconds from each event's intended send time to its
     * receipt. Not thread-safe (the histogram is mutable); read only.
     */
    record Latency(int size, int rate, long sent, long confirmed, long failed, long received, long duplicates,
                   Histogram histogram) {
        /** The {@code percentile} (0 to 100) in milliseconds, NaN when nothing was received. */
        double millis(double percentile) {
            return histogram.getTotalCount() == 0 ? Double.NaN
                    : histogram.getValueAtPercentile(percentile) / 1e6;
        }

        double maxMillis() {
            return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getMaxValue() / 1e6;
        }

        double meanMillis() {
            return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getMean() / 1e6;
        }
    }

    private final Omnibus bus;
    private final Publisher publisher;
    private final Settings settings;
    private final Progress progress;
    private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();

    Bench(Omnibus bus, Settings settings, Progress progress) {
        this.bus = bus;
        this.publisher = bus.publisher();
        this.settings = settings;
        this.progress = progress;
    }

    /** Publishes flat out to {@code topic} for the duration while one subscription consumes and acks. */
    Throughput throughput(String label, String topic, int size) throws InterruptedException {
        Phase phase = new Phase(null);
        Subscription subscription = subscribe(topic, phase);
        try {
            awaitReady(topic, phase, subscription);
            byte[] data = payload(size);
            long start = System.nanoTime();
            long end = start + settings.duration.toNanos();
            progress.start(phase.throughputLine(label, start, settings.duration));
            for (long i = 0; System.nanoTime() < end; i++) {
                publish(topic, phase, subscription, event(i, data, 0, false));
            }
            finish(phase, subscription);
            progress.stop();
            long received = phase.distinct();
            return new Throughput(size, phase.sent.get(), phase.confirmed.get(), phase.failed.get(),
                    seconds(start, phase.lastConfirm.get()), received, phase.deliveries.get() - received,
                    seconds(start, phase.lastReceipt.get()));
        } finally {
            progress.stop();
            subscription.close(DRAIN);
        }
    }

    /**
     * Publishes to {@code topic} at {@code rate} events per second for the duration and records each event's
     * end-to-end latency. Coordinated omission is avoided as wrk2 does: event {@code i} is due at
     * {@code start + i / rate}, carries that intended time, and its latency is counted from it; when publishing falls
     * behind (a full window, a stalled broker) the late events go out at once and their wait is in their latency,
     * instead of the stall silently lowering the rate and hiding from the percentiles.
     */
    Latency latency(String label, String topic, int size, int rate) throws InterruptedException {
        Phase phase = new Phase(new Recorder(3));
        Subscription subscription = subscribe(topic, phase);
        try {
            awaitReady(topic, phase, subscription);
            byte[] data = payload(size);
            long start = System.nanoTime();
            long end = start + settings.duration.toNanos();
            progress.start(phase.latencyLine(label, start, settings.duration));
            for (long i = 0; ; i++) {
                long intended = start + (long) (i * 1e9 / rate);
                if (intended >= end) {
                    break;
                }
                for (long wait = intended - System.nanoTime(); wait > 0; wait = intended - System.nanoTime()) {
                    LockSupport.parkNanos(wait);
                }
                publish(topic, phase, subscription, event(i, data, intended, true));
            }
            finish(phase, subscription);
            progress.stop();
            long received = phase.distinct();
            return new Latency(size, rate, phase.sent.get(), phase.confirmed.get(), phase.failed.get(), received,
                    phase.deliveries.get() - received, phase.latencies.total());
        } finally {
            progress.stop();
            subscription.close(DRAIN);
        }
    }

    /** The first publish failure of any phase so far, for the summary; {@code null} if none failed. */
    Throwable firstFailure() {
        return firstFailure.get();
    }

    private Subscription subscribe(String topic, Phase phase) {
        return bus.subscriber().subscribe(SubscribeOptions.topic(topic).group(GROUP), delivery -> {
            long now = System.nanoTime();
            CloudEvent event = delivery.event();
            if (event.getId().startsWith(PROBE)) {
                phase.ready.countDown();
                return;
            }
            long index;
            try {
                index = Long.parseLong(event.getId());
            } catch (NumberFormatException e) {
                return; // not ours: the topic is unique to this run, but a broker is shared
            }
            if (phase.latencies != null && delivery.attempt() == 1) {
                Object sent = event.getExtension(SENT_EXTENSION);
                if (sent != null) {
                    phase.latencies.record(Math.max(0, now - Long.parseLong(sent.toString())));
                }
            }
            phase.received(index, now);
        });
    }

    /**
     * Publishes probe events until one arrives: a subscription may not receive from the instant it returns (a
     * Kafka group is still joining, a Redis group is being created), and what it misses would count as lost.
     */
    private void awaitReady(String topic, Phase phase, Subscription subscription) throws InterruptedException {
        long deadline = System.nanoTime() + settings.timeout.toNanos();
        for (int n = 1; ; n++) {
            CompletableFuture<?> probe = publisher.publish(topic, CloudEventBuilder.v1().withId(PROBE + n)
                    .withSource(SOURCE).withType(TYPE).build()).toCompletableFuture();
            if (phase.ready.await(PROBE_EVERY_NANOS, TimeUnit.NANOSECONDS)) {
                return;
            }
            throwIfFailed(subscription);
            if (probe.isCompletedExceptionally()) {
                Throwable error = probe.handle((ok, e) -> e.getCause() == null ? e : e.getCause()).join();
                if (!(error instanceof OmnibusException omnibus) || !omnibus.isRetryable()) {
                    throw error instanceof RuntimeException runtime ? runtime
                            : new OmnibusException(ErrorCode.UNKNOWN, error.toString(), error);
                }
            }
            if (System.nanoTime() > deadline) {
                throw new OmnibusException(ErrorCode.TIMEOUT, "no event published to " + topic
                        + " reached its subscription within " + BusCommand.human(settings.timeout));
            }
        }
    }

    private void publish(String topic, Phase phase, Subscription subscription, CloudEvent event)
            throws InterruptedException {
        if (!phase.window.tryAcquire(settings.timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            throwIfFailed(subscription);
            throw new OmnibusException(ErrorCode.TIMEOUT, settings.inFlight + " publishes to " + topic
                    + " unconfirmed for " + BusCommand.human(settings.timeout));
        }
        phase.sent.incrementAndGet();
        publisher.publish(topic, event).whenComplete((receipt, error) -> {
            if (error == null) {
                phase.confirmed.incrementAndGet();
            } else {
                phase.failed.incrementAndGet();
                firstFailure.compareAndSet(null, error.getCause() == null ? error : error.getCause());
            }
            phase.lastConfirm.accumulate(System.nanoTime());
            phase.window.release();
        });
    }

    /**
     * Waits for the outstanding publishes, then for every confirmed event to arrive; gives up on the receipts once
     * none has arrived for {@code timeout}, so that a slow but steady consumer is waited for.
     */
    private void finish(Phase phase, Subscription subscription) throws InterruptedException {
        if (!phase.window.tryAcquire(settings.inFlight, settings.timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new OmnibusException(ErrorCode.TIMEOUT, "publishes unconfirmed for "
                    + BusCommand.human(settings.timeout));
        }
        phase.window.release(settings.inFlight);
        long last = phase.deliveries.get();
        long quietSince = System.nanoTime();
        while (phase.distinct() < phase.confirmed.get()) {
            throwIfFailed(subscription);
            long now = System.nanoTime();
            long deliveries = phase.deliveries.get();
            if (deliveries != last) {
                last = deliveries;
                quietSince = now;
            } else if (now - quietSince > settings.timeout.toNanos()) {
                return;
            }
            LockSupport.parkNanos(POLL_NANOS);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    private static void throwIfFailed(Subscription subscription) {
        subscription.failure().ifPresent(error -> {
            throw error;
        });
    }

    private static CloudEvent event(long index, byte[] data, long intended, boolean stamped) {
        CloudEventBuilder event = CloudEventBuilder.v1().withId(Long.toString(index)).withSource(SOURCE)
                .withType(TYPE).withData("application/octet-stream", data);
        if (stamped) {
            event.withExtension(SENT_EXTENSION, Long.toString(intended));
        }
        return event.build();
    }

    /** Random bytes, so that a broker or client that compresses is not flattered. */
    private static byte[] payload(int size) {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        return data;
    }

    private static double seconds(long from, long to) {
        return to > from ? (to - from) / 1e9 : 0;
    }

    /**
     * The counters of one phase, shared by the publishing thread, the completion threads, the handler thread and
     * the progress line; thread-safe.
     */
    private final class Phase {
        final Semaphore window = new Semaphore(settings.inFlight);
        final CountDownLatch ready = new CountDownLatch(1);
        final AtomicLong sent = new AtomicLong();
        final AtomicLong confirmed = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong deliveries = new AtomicLong();
        final LongAccumulator lastConfirm = new LongAccumulator(Math::max, Long.MIN_VALUE);
        final LongAccumulator lastReceipt = new LongAccumulator(Math::max, Long.MIN_VALUE);
        final LatencyRecorder latencies;
        /** Indexes received, so that a redelivery is counted as a duplicate, not as one more event; guarded by this. */
        private final BitSet seen = new BitSet();
        private long distinct;

        Phase(Recorder recorder) {
            this.latencies = recorder == null ? null : new LatencyRecorder(recorder);
        }

        void received(long index, long now) {
            lastReceipt.accumulate(now);
            deliveries.incrementAndGet();
            if (index < 0 || index > Integer.MAX_VALUE) {
                return;
            }
            synchronized (this) {
                if (!seen.get((int) index)) {
                    seen.set((int) index);
                    distinct++;
                }
            }
        }

        synchronized long distinct() {
            return distinct;
        }

        Progress.Line throughputLine(String label, long start, Duration length) {
            long[] previous = new long[2];
            return () -> {
                long published = confirmed.get();
                long received = distinct();
                String line = String.format(Locale.ROOT,
                        "%s  %s  published %d (%d/s)  received %d (%d/s)", label, elapsed(start, length),
                        published, published - previous[0], received, received - previous[1]);
                previous[0] = published;
                previous[1] = received;
                return line;
            };
        }

        Progress.Line latencyLine(String label, long start, Duration length) {
            return () -> {
                Histogram second = latencies.interval();
                return String.format(Locale.ROOT, "%s  %s  sent %d  received %d  p99 %s ms (last second)",
                        label, elapsed(start, length), sent.get(), distinct(), second.getTotalCount() == 0 ? "-"
                                : String.format(Locale.ROOT, "%.3f",
                                        second.getValueAtPercentile(99) / 1e6));
            };
        }

        private String elapsed(long start, Duration length) {
            long nanos = System.nanoTime() - start;
            return nanos < length.toNanos() ? TimeUnit.NANOSECONDS.toSeconds(nanos) + "s/" + BusCommand.human(length)
                    : "draining";
        }
    }

    /**
     * Latencies recorded on the handler thread, read per interval by the progress line and in total at the end;
     * thread-safe ({@link Recorder} lets the handler record without a lock).
     */
    private static final class LatencyRecorder {
        private final Recorder recorder;
        private final Histogram total = new Histogram(3);

        LatencyRecorder(Recorder recorder) {
            this.recorder = recorder;
        }

        void record(long nanos) {
            recorder.recordValue(nanos);
        }

        /** What was recorded since the last call; also added to the total. */
        synchronized Histogram interval() {
            Histogram interval = recorder.getIntervalHistogram();
            total.add(interval);
            return interval;
        }

        synchronized Histogram total() {
            interval();
            return total.copy();
        }
    }
}
