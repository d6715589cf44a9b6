package dev.omnibus.outbox.internal;

import dev.omnibus.ErrorCode;
import dev.omnibus.InvalidEventException;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.Publisher;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The batch's publish policy with a scripted publisher: key chains, parallel keyless rows, classification. */
class BatchPublisherTest {
    /** A publisher whose stages the test completes; records the order of the calls. */
    private static final class ScriptedPublisher implements Publisher {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final Map<String, CompletableFuture<PublishReceipt>> pending = new ConcurrentHashMap<>();
        final Function<String, RuntimeException> thrown;

        ScriptedPublisher(Function<String, RuntimeException> thrown) {
            this.thrown = thrown;
        }

        @Override
        public CompletionStage<PublishReceipt> publish(String topic, CloudEvent event) {
            RuntimeException e = thrown.apply(event.getId());
            if (e != null) {
                throw e;
            }
            calls.add(event.getId());
            CompletableFuture<PublishReceipt> f = new CompletableFuture<>();
            pending.put(event.getId(), f);
            return f;
        }

        void confirm(String id) {
            pending.get(id).complete(new PublishReceipt("t", id, "1", false));
        }

        void fail(String id, OmnibusException e) {
            pending.get(id).completeExceptionally(e);
        }

        @Override
        public void close() {
        }
    }

    private static ClaimedRow row(long seq, String id, String key) {
        CloudEventBuilder b = CloudEventBuilder.v1().withId(id).withSource(URI.create("/t")).withType("t");
        if (key != null) {
            b.withExtension("partitionkey", key);
        }
        return new ClaimedRow(seq, "t", key, EventCodec.encode(b.build()), 0);
    }

    @Test
    void aKeysNextRowWaitsForThePreviousConfirmWhileKeylessRowsGoAtOnce() throws Exception {
        ScriptedPublisher publisher = new ScriptedPublisher(id -> null);
        BatchPublisher batch = new BatchPublisher(publisher, Duration.ofSeconds(10));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<List<Outcome>> outcomes = pool.submit(() -> batch.publish(List.of(row(1, "a1", "a"),
                    row(2, "u1", null), row(3, "a2", "a"), row(4, "b1", "b"), row(5, "u2", null))));
            await().atMost(Duration.ofSeconds(5)).until(() -> publisher.calls.size() == 4);
            assertThat(publisher.calls).containsExactlyInAnyOrder("a1", "u1", "b1", "u2"); // a2 waits for a1
            publisher.confirm("u1");
            publisher.confirm("b1");
            publisher.confirm("u2");
            assertThat(publisher.calls).doesNotContain("a2");
            publisher.confirm("a1");
            await().atMost(Duration.ofSeconds(5)).until(() -> publisher.calls.contains("a2"));
            publisher.confirm("a2");
            assertThat(outcomes.get()).extracting(Outcome::kind).containsOnly(Outcome.Kind.SENT);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRetryableFailureStopsItsKeyAndAPermanentOneParksTheRow() throws Exception {
        ScriptedPublisher publisher = new ScriptedPublisher(id -> id.equals("bad")
                ? new InvalidEventException("invalid event 'bad': data is too big") : null);
        BatchPublisher batch = new BatchPublisher(publisher, Duration.ofSeconds(10));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<List<Outcome>> outcomes = pool.submit(() -> batch.publish(List.of(row(1, "a1", "a"),
                    row(2, "a2", "a"), row(3, "bad", "b"), row(4, "b2", "b"), row(5, "denied", null))));
            await().atMost(Duration.ofSeconds(5)).until(() -> publisher.pending.keySet().containsAll(
                    List.of("a1", "b2", "denied")));
            publisher.fail("a1", new OmnibusException(ErrorCode.UNAVAILABLE, "broker down"));
            publisher.confirm("b2");
            publisher.fail("denied", new OmnibusException(ErrorCode.PERMISSION_DENIED, "no"));
            List<Outcome> result = outcomes.get();
            assertThat(result).extracting(Outcome::kind).containsExactly(Outcome.Kind.RETRY, Outcome.Kind.RETRY,
                    Outcome.Kind.PARKED, Outcome.Kind.SENT, Outcome.Kind.PARKED);
            assertThat(publisher.calls).doesNotContain("a2");
            assertThat(result.get(2).reason()).contains("InvalidEventException").contains("too big");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closedIsNotPoisonAndAnUnconfirmedPublishTimesOutAsRetry() throws Exception {
        ScriptedPublisher publisher = new ScriptedPublisher(id -> id.equals("closed")
                ? new OmnibusException(ErrorCode.CLOSED, "publisher closed") : null);
        List<Outcome> result = new BatchPublisher(publisher, Duration.ofMillis(200))
                .publish(List.of(row(1, "closed", null), row(2, "never", null)));
        assertThat(result).extracting(Outcome::kind).containsExactly(Outcome.Kind.CLOSED, Outcome.Kind.RETRY);
        assertThat(result.get(1).reason()).contains("not confirmed within");
    }
}
