package dev.omnibus.bench;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One side of a latency comparison on one broker: the raw client or Omnibus, sending messages to one topic and
 * receiving them from it. Implementations are driven by {@link LatencyRun}: {@link #subscribe} once, then
 * {@link #send} from one thread only (not thread-safe for concurrent senders); the sink is called on the client's own
 * receiving thread(s). What every client shares lives here: its name, the count of sends whose confirmation failed
 * ({@link #confirmed}, {@link #failed}), and for clients that read in a loop of their own, that loop's thread
 * ({@link #startReading}, {@link #stopReading}).
 */
abstract class LatencyClient implements AutoCloseable {
    private final String name;
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean reading = true;
    private Thread reader;

    /** @param name label in the report, such as {@code raw} or {@code omnibus} */
    LatencyClient(String name) {
        this.name = name;
    }

    /** Label in the report. */
    final String name() {
        return name;
    }

    /**
     * Starts receiving: every message this client sends from now on (once the broker has the subscription in place)
     * reaches {@code sink} with the payload it was sent with, acknowledged the way the client's throughput benchmark
     * acknowledges.
     */
    abstract void subscribe(Consumer<byte[]> sink) throws Exception;

    /**
     * Sends one message carrying {@code payload} (which the caller never touches again) without waiting for the
     * broker's confirmation; a confirmation that fails later is counted in {@link #sendFailures()}.
     */
    abstract void send(byte[] payload) throws Exception;

    /** Sends whose confirmation failed so far. */
    final long sendFailures() {
        return failures.get();
    }

    /** Counts {@code failure} if there is one: a {@code whenComplete} callback for a send's confirmation. */
    final void confirmed(Object result, Throwable failure) {
        if (failure != null && failures.incrementAndGet() == 1) {
            System.err.println(name + ": the first failed send: " + failure); // the tool's output, like the tables
        }
    }

    /** Counts one send whose confirmation failed. */
    final void failed() {
        failures.incrementAndGet();
    }

    /** Runs {@code readOnce} over and over on a daemon thread named {@code threadName} until {@link #stopReading}. */
    final void startReading(String threadName, Runnable readOnce) {
        reader = new Thread(() -> {
            while (reading) {
                readOnce.run();
            }
        }, threadName);
        reader.setDaemon(true);
        reader.start();
    }

    /** Ends the loop {@link #startReading} started (if it did) and waits up to {@code wait} for its thread. */
    final void stopReading(Duration wait) throws InterruptedException {
        reading = false;
        if (reader != null) {
            reader.join(wait.toMillis());
        }
    }
}
