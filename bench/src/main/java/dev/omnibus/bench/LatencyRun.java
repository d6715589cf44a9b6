package dev.omnibus.bench;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures publish→handler latency through one {@link LatencyClient} at a fixed offered rate, free of coordinated
 * omission: message {@code i} of a phase is due at {@code start + i × period}, carries that due time in its payload,
 * and its latency is {@code arrival − due}, so a sender held up by the client (a full buffer, a slow call) makes the
 * messages it sends late count their wait instead of hiding it. Sending is from the calling thread, which parks until
 * the next message is due (no spinning: it would take a core from the broker on a small machine) and then sends every
 * message that is due. {@code parkNanos} wakes tens of microseconds late; a message that fell due during that
 * oversleep is timed from the wake-up instead (the harness' lateness, not the client's), which keeps the in-process
 * figures from being mostly the timer's.
 *
 * <p>A payload starts with two big-endian longs, the due time ({@link System#nanoTime()}, so sender and receiver
 * must share this JVM) and the phase; a message of an earlier phase (a warm-up's straggler) is not counted. Not
 * thread-safe: one thread runs the phases; the client's receiving threads record into a {@link ConcurrentHistogram}.
 */
final class LatencyRun {
    /** Bytes at the start of every payload: due time and phase. */
    static final int HEADER_BYTES = 16;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(10);
    private final LatencyClient client;
    private final int payloadBytes;
    private volatile Phase current;
    private long phases;

    /** Subscribes through {@code client}; payloads are {@code payloadBytes} long (at least {@value #HEADER_BYTES}). */
    LatencyRun(LatencyClient client, int payloadBytes) throws Exception {
        if (payloadBytes < HEADER_BYTES) {
            throw new IllegalArgumentException("payload of " + payloadBytes + " bytes: at least " + HEADER_BYTES
                    + " are needed for the due time and the phase");
        }
        this.client = client;
        this.payloadBytes = payloadBytes;
        client.subscribe(this::received);
    }

    /** What one phase sent and received, and the latencies (nanoseconds) of what it received. */
    static final class Phase {
        final long id;
        final Histogram latencies = new ConcurrentHistogram(HIGHEST_NANOS, 3);
        final LongAdder received = new LongAdder();
        final AtomicLong lastArrival = new AtomicLong();
        long sent;

        Phase(long id) {
            this.id = id;
        }

        /** Messages sent but not received by the end of the phase (the drain timeout). */
        long lost() {
            return sent - received.sum();
        }
    }

    private void received(byte[] payload) {
        long now = System.nanoTime();
        Phase phase = current;
        if (phase == null || payload.length < HEADER_BYTES || (long) LONGS.get(payload, 8) != phase.id) {
            return;
        }
        long latency = now - (long) LONGS.get(payload, 0);
        phase.latencies.recordValue(Math.max(0, Math.min(latency, HIGHEST_NANOS)));
        phase.received.increment();
        phase.lastArrival.accumulateAndGet(now, Math::max);
    }

    private Phase begin() {
        Phase phase = new Phase(++phases);
        current = phase;
        return phase;
    }

    private byte[] payload(long due, Phase phase) {
        byte[] p = new byte[payloadBytes];
        Arrays.fill(p, HEADER_BYTES, payloadBytes, (byte) 'x');
        LONGS.set(p, 0, due);
        LONGS.set(p, 8, phase.id);
        return p;
    }

    /**
     * Sends a message every 100 ms until one comes back (a group subscription may need a while to be assigned its
     * partitions or consumer), then returns.
     *
     * @throws IllegalStateException if none came back within {@code timeout}
     */
    void awaitReady(Duration timeout) throws Exception {
        Phase phase = begin();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (phase.received.sum() == 0) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(client.name() + ": no message came back within " + timeout);
            }
            client.send(payload(System.nanoTime(), phase));
            awaitReceived(phase, 1, Duration.ofMillis(100));
        }
        current = null;
    }

    /**
     * The most this client carries end to end, in messages per second: sends for {@code duration} with at most
     * {@code window} messages on their way (sent, not yet received), then waits for the rest.
     */
    double maxRate(Duration duration, int window) throws Exception {
        Phase phase = begin();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long stuck = end + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() - end < 0) {
            while (phase.sent - phase.received.sum() >= window) {
                if (System.nanoTime() - stuck > 0) {
                    throw new IllegalStateException(client.name() + ": " + window + " messages on their way for 30 s");
                }
                LockSupport.parkNanos(20_000);
            }
            client.send(payload(System.nanoTime(), phase));
            phase.sent++;
        }
        awaitReceived(phase, phase.sent, Duration.ofSeconds(30));
        current = null;
        return phase.received.sum() * 1e9 / Math.max(1, phase.lastArrival.get() - start);
    }

    /**
     * Sends {@code perSecond} messages a second for {@code duration}, then waits up to {@code drainTimeout} for the
     * last to arrive; what has not arrived by then counts as {@linkplain Phase#lost() lost}.
     */
    Phase fixedRate(double perSecond, Duration duration, Duration drainTimeout) throws Exception {
        if (!(perSecond > 0)) {
            throw new IllegalArgumentException("rate " + perSecond + "/s: must be above 0");
        }
        Phase phase = begin();
        long period = Math.max(1, Math.round(1e9 / perSecond));
        long count = Math.max(1, Math.round(perSecond * duration.toNanos() / 1e9));
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
        long woke = start;
        for (long i = 0; i < count; i++) {
            long due = start + i * period;
            if (due - System.nanoTime() > 0) {
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                woke = System.nanoTime();
            }
            // A message that fell due while this thread overslept in parkNanos is timed from the wake-up: that
            // lateness is the harness', not the client's. One that fell due while the thread was inside send calls
            // is timed from its due time: that wait is the client's, and hiding it would be coordinated omission.
            client.send(payload(Math.max(due, woke), phase));
        }
        phase.sent = count;
        awaitReceived(phase, count, drainTimeout);
        current = null;
        return phase;
    }

    private static void awaitReceived(Phase phase, long count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (phase.received.sum() < count && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
