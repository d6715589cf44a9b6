package dev.omnibus.gcp.internal;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.ClientStream;
import com.google.api.gax.rpc.ResponseObserver;
import com.google.api.gax.rpc.StatusCode;
import com.google.api.gax.rpc.StreamController;
import com.google.protobuf.Empty;
import com.google.protobuf.Timestamp;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.DeleteSubscriptionRequest;
import com.google.pubsub.v1.GetSubscriptionRequest;
import com.google.pubsub.v1.ModifyAckDeadlineRequest;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.SeekRequest;
import com.google.pubsub.v1.StreamingPullRequest;
import com.google.pubsub.v1.StreamingPullResponse;
import com.google.pubsub.v1.Subscription;
import dev.omnibus.ErrorCode;
import dev.omnibus.InvalidArgumentException;
import dev.omnibus.OmnibusException;
import dev.omnibus.StartPosition;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One subscription member: a streaming pull on the group's subscription (or one of its own, deleted on close) whose
 * server-side flow control is {@code maxInFlight}. The stream's callbacks queue what arrives; {@link #receive} takes
 * from the queue on the library's receive thread. Ack, nack and deadline changes are asynchronous unary
 * {@code acknowledge} / {@code modifyAckDeadline} calls, thread-safe.
 *
 * <p>Why not the client's high-level {@code Subscriber}: its {@code AckReplyConsumer} offers only {@code ack} and
 * {@code nack} (a deadline of 0), and its lease management keeps re-extending every message it holds until one of
 * those is called, so a {@code modifyAckDeadline(delay)} sent beside it would be undone. The library already does
 * flow control (never more than {@code maxInFlight} unsettled) and deadline extension ({@link #extend}), so the
 * driver reads the client's own generated streaming-pull API directly.
 *
 * <p>Ack deadlines: the stream's deadline is Pub/Sub's minimum, 10 s, and each message's deadline is set to
 * {@code ackDeadline} with {@code modifyAckDeadline} as it arrives (one call per batch; none when the deadline is
 * 10 s), so a shorter deadline than Pub/Sub's subscription minimum works, and messages the server sent on a stream
 * that died unnoticed (the emulator loses track of streams cut under it) come back within 10 s. Deadlines are whole
 * seconds, rounded up.
 *
 * <p>Faults: a failed stream makes the next {@link #receive} throw a retryable error; the library backs off and calls
 * again, which opens a new stream, first re-creating the subscription (and its topic) if the server lost them.
 */
final class PubSubReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(PubSubReceiver.class);
    private static final int MIN_SUBSCRIPTION_DEADLINE = 10;
    private static final int MAX_DEADLINE = 600;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);
    private static final Duration STREAM_END_WAIT = Duration.ofSeconds(1);
    private static final Duration RENEW_AFTER = Duration.ofSeconds(590);
    /** How long a group's dead-stream subscription stays deleted on the emulator: its pusher looks every 50 ms. */
    private static final Duration PUSHER_GRACE = Duration.ofSeconds(1);

    private final PubSubBackend backend;
    private final ReceiverSpec spec;
    private final String topic;
    /** The subscription read now; an own subscription's moves to a fresh name after a dead stream (emulator). */
    private volatile Sub sub;
    private final boolean own;
    private final int deadlineSeconds;
    private final boolean deadlineOnArrival;
    private final String clientId = UUID.randomUUID().toString();
    private final LinkedBlockingQueue<dev.omnibus.spi.ReceivedMessage> queue = new LinkedBlockingQueue<>();
    /** Put in {@link #queue} by {@link #wakeup()}: the receive call that takes it returns at once; never returned. */
    private static final dev.omnibus.spi.ReceivedMessage WAKE = dev.omnibus.spi.ReceivedMessage
            .invalid("", new byte[0], null, "wake-up marker").build();
    /** Deliveries received and not settled yet: handed back (deadline 0) on close. */
    private final Set<Lease> unsettled = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Pull pull;
    private volatile boolean lost;
    private volatile boolean zombie;
    /** Subscriptions this receiver created so far (a dead stream belongs to the one it was opened on). */
    private volatile long generation;
    private volatile long zombieGeneration;
    private boolean created;

    PubSubReceiver(PubSubBackend backend, ReceiverSpec spec) {
        this.backend = backend;
        this.spec = spec;
        this.topic = spec.topic();
        this.own = spec.group() == null;
        String name = own ? ownName() : subscriptionName(backend.subscriptionTemplate(), topic, spec.group());
        PubSubBackend.validateId("subscription", name);
        this.sub = new Sub(name, backend.subscriptionPath(name));
        long seconds = Math.max(1, (spec.ackDeadline().toMillis() + 999) / 1000);
        this.deadlineSeconds = (int) Math.min(MAX_DEADLINE, seconds);
        this.deadlineOnArrival = deadlineSeconds != MIN_SUBSCRIPTION_DEADLINE;
    }

    private static String ownName() {
        return "omnibus-" + UUID.randomUUID().toString().replace("-", "");
    }

    /** A subscription: its id and its full path. */
    private record Sub(String name, String path) {
    }

    /**
     * A delivery's handle: its ack id and the subscription it came from (settled there even after an own
     * subscription moved to a fresh name).
     */
    private record Lease(String path, String ackId) {
    }

    /** The template with {@code {topic}} and {@code {group}} replaced; hashed past Pub/Sub's 255 characters. */
    static String subscriptionName(String template, String topic, String group) {
        String name = template.replace("{topic}", topic).replace("{group}", group);
        if (name.length() <= 255) {
            return name;
        }
        return template.replace("{topic}", UUID.nameUUIDFromBytes(topic.getBytes(StandardCharsets.UTF_8)).toString())
                .replace("{group}", group);
    }

    String topic() {
        return topic;
    }

    void start() {
        ensureSubscription();
        openPull();
    }

    /**
     * Creates the subscription unless it exists; an existing one must read this topic. Called by the receive thread
     * and by publishing threads that re-create a lost topic, one at a time.
     */
    synchronized void ensureSubscription() {
        ensureSubscription(false);
    }

    /** As {@link #ensureSubscription()}; {@code moved}: a fresh name replacing a dead one, not a lost one found. */
    private void ensureSubscription(boolean moved) {
        String subscription = sub.name();
        String path = sub.path();
        if (!moved && exists(subscription, path)) {
            return; // a fresh name is never taken: no need to ask
        }
        backend.ensureTopic(topic);
        Subscription.Builder s = Subscription.newBuilder().setName(path).setTopic(backend.topicPath(topic))
                .setAckDeadlineSeconds(Math.max(MIN_SUBSCRIPTION_DEADLINE, deadlineSeconds))
                .setEnableMessageOrdering(true);
        try {
            backend.subscriber().createSubscriptionCallable().call(s.build(), backend.call());
            generation++;
            if (created && !moved) {
                log.warn("{}: subscription '{}' was gone from {} (deleted, or the emulator restarted); re-created it",
                        PubSubBackend.NAME, subscription, backend.context().redactedUrl());
            }
        } catch (ApiException e) {
            if (e.getStatusCode().getCode() != StatusCode.Code.ALREADY_EXISTS) {
                throw backend.classify(e);
            }
            return;
        }
        if (!created) {
            created = true;
            seekToStart();
        }
    }

    /** Whether the subscription exists; one that exists must read this topic. */
    private boolean exists(String subscription, String path) {
        try {
            Subscription s = backend.subscriber().getSubscriptionCallable()
                    .call(GetSubscriptionRequest.newBuilder().setSubscription(path).build(), backend.call());
            if (!s.getTopic().equals(backend.topicPath(topic))) {
                throw new InvalidArgumentException(PubSubBackend.NAME + ": subscription '" + subscription
                        + "' exists and reads '" + s.getTopic() + "', not '" + backend.topicPath(topic)
                        + "': use another group name or subscription.template");
            }
            return true;
        } catch (ApiException e) {
            if (e.getStatusCode().getCode() != StatusCode.Code.NOT_FOUND) {
                throw backend.classify(e);
            }
            return false;
        }
    }

    /**
     * The emulator only: a stream that died under it (a cut connection) stays registered there and keeps being sent
     * messages, which come back only after their deadline and may go to the dead stream again (its bundled gRPC fails
     * on stream cancellation). The emulator's pusher for that stream looks its subscription up by name every 50 ms and
     * ends only when it finds none, so deleting and at once re-creating the same name can leave it attached to the new
     * subscription, where it takes events published after the reconnect (the kit's R18 lost them under load).
     * Hence: a subscription of this receiver's own moves to a fresh name (the old one is deleted after, which ends
     * the dead pusher); a group's shared subscription is deleted and re-created only after {@link #PUSHER_GRACE},
     * many of the pusher's rounds. Either way what was waiting in the old subscription is lost: the emulator keeps
     * nothing durable anyway.
     */
    private synchronized void replaceSubscription() throws InterruptedException {
        if (generation != zombieGeneration) {
            // re-created meanwhile (the emulator restarted and a publish re-provisioned it): the dead stream went
            // with the old one, and the new one may already hold confirmed events
            zombie = false;
            return;
        }
        Sub old = sub;
        log.warn("{}: the emulator at {} keeps sending to the streaming pull of '{}' that died; {} (messages waiting "
                        + "in it are lost)", PubSubBackend.NAME, backend.context().redactedUrl(), old.name(),
                own ? "moving to a new subscription" : "re-creating the subscription");
        if (own) {
            String name = ownName();
            sub = new Sub(name, backend.subscriptionPath(name));
            try {
                ensureSubscription(true);
            } catch (RuntimeException e) {
                sub = old;
                throw e;
            }
            deleteQuietly(old.path());
        } else {
            try {
                backend.subscriber().deleteSubscriptionCallable().call(DeleteSubscriptionRequest.newBuilder()
                        .setSubscription(old.path()).build(), backend.call());
            } catch (ApiException e) {
                if (e.getStatusCode().getCode() != StatusCode.Code.NOT_FOUND) {
                    throw backend.classify(e);
                }
            }
            // no way to ask the emulator whether its pusher has seen the deletion: give it many of its 50 ms rounds
            Thread.sleep(PUSHER_GRACE.toMillis());
            ensureSubscription();
        }
        zombie = false;
        backend.health().reachable();
    }

    /** Deletes a subscription left behind, not waiting for the answer; a failure is only logged. */
    private void deleteQuietly(String path) {
        settle("deleteSubscription", deleteCall(path));
    }

    private ApiFuture<Empty> deleteCall(String path) {
        return backend.subscriber().deleteSubscriptionCallable().futureCall(
                DeleteSubscriptionRequest.newBuilder().setSubscription(path).build(), backend.call());
    }

    /** Whether a re-subscribe is pending that must finish before the connection counts as back. */
    boolean recovering() {
        return zombie && !closed.get();
    }

    private void seekToStart() {
        StartPosition start = spec.startPosition();
        Instant at;
        switch (start.kind()) {
            case EARLIEST:
                at = Instant.EPOCH;
                break;
            case TIME:
                at = start.time();
                break;
            default:
                return;
        }
        backend.subscriber().seekCallable().call(SeekRequest.newBuilder().setSubscription(sub.path())
                .setTime(Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano())).build(),
                backend.call());
    }

    private void openPull() {
        Pull p = new Pull(generation, sub);
        ClientStream<StreamingPullRequest> stream = backend.subscriber().streamingPullCallable().splitCall(p);
        p.stream = stream;
        stream.send(StreamingPullRequest.newBuilder().setSubscription(p.sub.path())
                .setStreamAckDeadlineSeconds(MIN_SUBSCRIPTION_DEADLINE)
                .setClientId(clientId)
                .setMaxOutstandingMessages(spec.maxInFlight())
                .setMaxOutstandingBytes(backend.receiveBufferBytes())
                .build());
        pull = p;
    }

    @Override
    public List<dev.omnibus.spi.ReceivedMessage> receive(int max, Duration maxWait) throws InterruptedException {
        if (closed.get()) {
            return List.of();
        }
        Pull p = pull;
        if (p == null) {
            backend.health().reconnectNow();
            if (zombie) {
                replaceSubscription();
            } else if (lost) {
                ensureSubscription();
                lost = false;
            }
            openPull();
        } else if (p.failure != null) {
            pull = null;
            Throwable failure = p.failure;
            OmnibusException error = backend.classify(failure);
            if (error.code() == ErrorCode.NOT_FOUND) {
                lost = true;
            } else if (backend.isEmulator() && !(failure instanceof OmnibusException)) {
                zombieGeneration = p.generation;
                zombie = true;
            }
            if (closed.get()) {
                return List.of();
            }
            throw new OmnibusException(error.code() == ErrorCode.NOT_FOUND ? ErrorCode.UNAVAILABLE : error.code(),
                    PubSubBackend.NAME + ": the streaming pull of '" + p.sub.name() + "' ended: " + error.getMessage()
                            + "; opening a new one", failure, error.isRetryable() || error.code() == ErrorCode.NOT_FOUND);
        }
        dev.omnibus.spi.ReceivedMessage first = queue.poll(maxWait.toNanos(), TimeUnit.NANOSECONDS);
        if (first == null || first == WAKE) {
            return List.of();
        }
        List<dev.omnibus.spi.ReceivedMessage> out = new ArrayList<>(Math.min(max, 64));
        out.add(first);
        queue.drainTo(out, max - 1);
        out.removeIf(m -> m == WAKE);
        return out;
    }

    @Override
    public void wakeup() {
        queue.offer(WAKE);
    }

    /** The stream's observer: queues what arrives, remembers how it ended. */
    private final class Pull implements ResponseObserver<StreamingPullResponse> {
        final long generation;
        final Sub sub;
        volatile ClientStream<StreamingPullRequest> stream;
        volatile StreamController controller;
        volatile Throwable failure;
        final CountDownLatch ended = new CountDownLatch(1);
        Pull(long generation, Sub sub) {
            this.generation = generation;
            this.sub = sub;
        }

        /** Completes when every batch so far is queued; onResponse calls are serial, so no lock. */
        private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

        @Override
        public void onStart(StreamController c) {
            this.controller = c;
        }

        /**
         * Queues the batch; where each message's deadline is set on arrival, only once that call has been answered
         * (a later nack's {@code modifyAckDeadline} must not race it) and after the previous batch (order).
         */
        @Override
        public void onResponse(StreamingPullResponse response) {
            backend.health().reachable();
            List<dev.omnibus.spi.ReceivedMessage> batch = new ArrayList<>(response.getReceivedMessagesCount());
            List<String> ackIds = new ArrayList<>(response.getReceivedMessagesCount());
            for (ReceivedMessage m : response.getReceivedMessagesList()) {
                Lease lease = new Lease(sub.path(), m.getAckId());
                unsettled.add(lease);
                ackIds.add(m.getAckId());
                batch.add(backend.binding().decode(topic, m.getMessage(), m.getDeliveryAttempt(), lease));
            }
            if (!deadlineOnArrival || batch.isEmpty()) {
                tail = tail.thenRun(() -> queue.addAll(batch));
                return;
            }
            CompletableFuture<Void> deadlineSet = new CompletableFuture<>();
            ApiFutures.addCallback(modifyDeadlineCall(sub.path(), ackIds, deadlineSeconds), new ApiFutureCallback<>() {
                @Override
                public void onSuccess(Empty result) {
                    deadlineSet.complete(null);
                }

                @Override
                public void onFailure(Throwable t) {
                    log.debug("{}: setting the deadline of {} arrivals on '{}' failed", PubSubBackend.NAME,
                            ackIds.size(), sub.name(), t);
                    deadlineSet.complete(null);
                }
            }, Runnable::run);
            tail = tail.thenCombine(deadlineSet, (a, b) -> b).thenRun(() -> queue.addAll(batch));
        }

        @Override
        public void onError(Throwable t) {
            failure = t;
            ended.countDown();
        }

        @Override
        public void onComplete() {
            failure = new OmnibusException(ErrorCode.UNAVAILABLE, PubSubBackend.NAME + ": the server ended the "
                    + "streaming pull of '" + sub.name() + "'", null, true);
            ended.countDown();
        }

        /**
         * Half-closes the stream and waits (up to {@link #STREAM_END_WAIT}) for the server to end it, then cancels
         * what is left. Half-closing first matters: the emulator (0.8.20) fails on a cancelled stream's RST_STREAM
         * (a NoSuchMethodError in its bundled gRPC) and goes on delivering to the dead stream until the ack deadline.
         */
        void cancel() throws InterruptedException {
            ClientStream<StreamingPullRequest> s = stream;
            if (s != null && failure == null) {
                try {
                    s.closeSend();
                } catch (RuntimeException e) {
                    log.debug("{}: half-closing the pull of '{}' failed", PubSubBackend.NAME, sub.name(), e);
                }
                ended.await(STREAM_END_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
            StreamController c = controller;
            if (c != null && ended.getCount() > 0) {
                c.cancel();
            }
        }
    }

    private static Lease lease(dev.omnibus.spi.ReceivedMessage m) {
        return (Lease) m.handle();
    }

    /** The ack ids of these deliveries by the subscription each came from (one unless a subscription moved). */
    private static Map<String, List<String>> bySubscription(Collection<Lease> leases) {
        Map<String, List<String>> out = new LinkedHashMap<>(2);
        for (Lease l : leases) {
            out.computeIfAbsent(l.path(), k -> new ArrayList<>(leases.size())).add(l.ackId());
        }
        return out;
    }

    private static List<Lease> leases(List<dev.omnibus.spi.ReceivedMessage> messages) {
        List<Lease> out = new ArrayList<>(messages.size());
        for (dev.omnibus.spi.ReceivedMessage m : messages) {
            out.add(lease(m));
        }
        return out;
    }

    @Override
    public void ack(dev.omnibus.spi.ReceivedMessage message) {
        ackAll(List.of(message));
    }

    @Override
    public void ackAll(List<dev.omnibus.spi.ReceivedMessage> messages) {
        List<Lease> leases = leases(messages);
        unsettled.removeAll(leases);
        bySubscription(leases).forEach((path, ids) -> settle("acknowledge", backend.subscriber().acknowledgeCallable()
                .futureCall(AcknowledgeRequest.newBuilder().setSubscription(path).addAllAckIds(ids).build(),
                        backend.call())));
    }

    /**
     * {@code modifyAckDeadline} to the delay in whole seconds (rounded up), 0 for an immediate redelivery. Pub/Sub's
     * longest deadline is 600 s: a longer delay is renewed every 590 s while this receiver is open. Nothing else
     * touches the message's deadline: this driver has no lease manager, and the library stops extending a settled
     * delivery.
     */
    @Override
    public void nack(dev.omnibus.spi.ReceivedMessage message, Duration delay) {
        Lease lease = lease(message);
        unsettled.remove(lease);
        delay(lease, delay.toMillis());
    }

    private void delay(Lease lease, long millis) {
        long seconds = millis <= 0 ? 0 : (millis + 999) / 1000;
        settle("modifyAckDeadline", modifyDeadlineCall(lease.path(), List.of(lease.ackId()),
                (int) Math.min(MAX_DEADLINE, seconds)));
        if (seconds > MAX_DEADLINE) {
            backend.executor().schedule(() -> {
                if (!closed.get()) {
                    delay(lease, millis - RENEW_AFTER.toMillis());
                }
            }, RENEW_AFTER.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void extend(List<dev.omnibus.spi.ReceivedMessage> messages) {
        bySubscription(leases(messages)).forEach((path, ids) ->
                settle("modifyAckDeadline", modifyDeadlineCall(path, ids, deadlineSeconds)));
    }

    private ApiFuture<Empty> modifyDeadlineCall(String path, List<String> ackIds, int seconds) {
        return backend.subscriber().modifyAckDeadlineCallable().futureCall(ModifyAckDeadlineRequest.newBuilder()
                .setSubscription(path).addAllAckIds(ackIds).setAckDeadlineSeconds(seconds).build(), backend.call());
    }

    private void settle(String verb, ApiFuture<Empty> call) {
        ApiFutures.addCallback(call, new ApiFutureCallback<>() {
            @Override
            public void onSuccess(Empty result) {
            }

            @Override
            public void onFailure(Throwable t) {
                if (!closed.get()) {
                    log.debug("{}: {} on '{}' failed; the message is redelivered after its deadline",
                            PubSubBackend.NAME, verb, sub.name(), t);
                }
            }
        }, Runnable::run);
    }

    /**
     * Stops the stream, hands back (deadline 0) every message received and not settled, so the group gets them at
     * once, and deletes a subscription of its own.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            Pull p = pull;
            pull = null;
            if (p != null) {
                p.cancel();
            }
            queue.clear();
            if (!unsettled.isEmpty()) {
                List<Lease> leases = new ArrayList<>(unsettled);
                unsettled.clear();
                for (Map.Entry<String, List<String>> e : bySubscription(leases).entrySet()) {
                    modifyDeadlineCall(e.getKey(), e.getValue(), 0).get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
            if (own) {
                deleteCall(sub.path()).get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            log.debug("{}: cleaning up subscription '{}' failed", PubSubBackend.NAME, sub.name(), e);
        } finally {
            backend.forget(this);
        }
    }

    @Override
    public String toString() {
        return "PubSubReceiver{" + topic + ", subscription=" + sub.name() + "}";
    }
}
