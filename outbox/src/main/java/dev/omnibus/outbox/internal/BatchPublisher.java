package dev.omnibus.outbox.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.Publisher;
import dev.omnibus.internal.Redaction;
import io.cloudevents.CloudEvent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Publishes one claimed batch and says what became of each row; thread-safe, creates no threads.
 *
 * <p>Rows without a key are all published at once. Rows of one key are chained: the next is published only after the
 * broker confirmed the previous one, so a retry of row n can never overtake row n+1 at the broker; a row that was not
 * confirmed stops its key's chain for this batch (the rest stay pending, in order).
 */
public final class BatchPublisher {
    /**
     * Codes that refuse an event for good (the same event fails the same way again), so its row is parked. Left out,
     * though not retryable: {@code CLOSED} (the relay's own publisher, not the event), {@code UNAUTHENTICATED} and
     * {@code INVALID_CONFIG} (the relay's configuration, the same for every event: fix it, the rows wait).
     */
    private static final Set<ErrorCode> POISON = EnumSet.of(ErrorCode.INVALID_ARGUMENT, ErrorCode.UNSUPPORTED,
            ErrorCode.NOT_FOUND, ErrorCode.PERMISSION_DENIED, ErrorCode.INTERNAL, ErrorCode.UNKNOWN);

    private final Publisher publisher;
    private final Duration confirmTimeout;

    /** Publishes through {@code publisher}, waiting at most {@code confirmTimeout} for a batch's confirms. */
    public BatchPublisher(Publisher publisher, Duration confirmTimeout) {
        this.publisher = publisher;
        this.confirmTimeout = confirmTimeout;
    }

    /** Publishes {@code rows} (in seq order) and returns one outcome per row, in the same order. */
    public List<Outcome> publish(List<ClaimedRow> rows) throws InterruptedException {
        List<CompletableFuture<Outcome>> outcomes = new ArrayList<>(rows.size());
        Map<String, CompletableFuture<Outcome>> tails = new HashMap<>();
        for (ClaimedRow row : rows) {
            CompletableFuture<Outcome> f;
            String key = row.partitionKey();
            if (key == null) {
                f = publishOne(row);
            } else {
                CompletableFuture<Outcome> previous = tails.get(key);
                // a parked row does not hold its key up: the next one goes on (it is the key's head once parked)
                f = previous == null ? publishOne(row) : previous.thenCompose(o -> o.kind() == Outcome.Kind.SENT
                        || o.kind() == Outcome.Kind.PARKED
                        ? publishOne(row)
                        : CompletableFuture.completedFuture(new Outcome(row, Outcome.Kind.RETRY,
                                "an earlier event of its partition key was not confirmed")));
                tails.put(key, f);
            }
            outcomes.add(f);
        }
        long deadline = System.nanoTime() + confirmTimeout.toNanos();
        List<Outcome> result = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            CompletableFuture<Outcome> f = outcomes.get(i);
            try {
                long left = Math.max(0, deadline - System.nanoTime());
                result.add(f.get(left, TimeUnit.NANOSECONDS));
            } catch (TimeoutException e) {
                // not confirmed in time: the broker may still take it; the row stays pending and may go twice
                result.add(new Outcome(rows.get(i), Outcome.Kind.RETRY, "not confirmed within " + confirmTimeout));
            } catch (ExecutionException e) {
                result.add(classify(rows.get(i), e.getCause()));
            }
        }
        return result;
    }

    private CompletableFuture<Outcome> publishOne(ClaimedRow row) {
        CloudEvent event;
        try {
            event = EventCodec.decode(row.event());
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(new Outcome(row, Outcome.Kind.PARKED, e.getMessage()));
        }
        try {
            return publisher.publish(row.topic(), event).toCompletableFuture()
                    .handle((receipt, failure) -> failure == null
                            ? new Outcome(row, Outcome.Kind.SENT, null)
                            : classify(row, failure));
        } catch (RuntimeException e) {
            // validation (InvalidEventException, a topic the backend refuses) or CLOSED, thrown by the call itself
            return CompletableFuture.completedFuture(classify(row, e));
        }
    }

    static Outcome classify(ClaimedRow row, Throwable failure) {
        Throwable t = failure;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        String reason = Redaction.printable(t.getClass().getSimpleName() + ": " + t.getMessage(), 1000);
        if (t instanceof OmnibusException) {
            OmnibusException oe = (OmnibusException) t;
            if (oe.code() == ErrorCode.CLOSED) {
                return new Outcome(row, Outcome.Kind.CLOSED, reason);
            }
            if (!oe.isRetryable() && POISON.contains(oe.code())) {
                return new Outcome(row, Outcome.Kind.PARKED, reason);
            }
        }
        return new Outcome(row, Outcome.Kind.RETRY, reason);
    }
}
