package dev.omnibus.internal;

import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.ConfigOption;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * A scriptable broker for unit tests of the portable layer (the way Go CDK tests its portable subscription with
 * fake drivers): URL {@code faketest://<name>} opens the broker registered under {@code <name>}. Tests queue
 * messages, script failures, and read back every call the library made, with a simulated broker deadline that
 * records any message whose deadline ran out while the library held it.
 *
 * <p>Thread-safe. Not a backend test: real-broker behaviour is the kit's and the backends' job.
 */
public final class FakeBroker {
    private static final Map<String, FakeBroker> BROKERS = new ConcurrentHashMap<>();

    final String name;
    final Duration brokerDeadline;
    final LinkedBlockingDeque<ReceivedMessage> queue = new LinkedBlockingDeque<>();
    final List<ReceivedMessage> acked = new CopyOnWriteArrayList<>();
    final List<Nack> nacked = new CopyOnWriteArrayList<>();
    final List<ReceivedMessage> deadLettered = new CopyOnWriteArrayList<>();
    final List<ReceivedMessage> extended = new CopyOnWriteArrayList<>();
    /** Messages whose simulated broker deadline ran out while unsettled (the broker would have redelivered them). */
    final List<ReceivedMessage> lapsed = new CopyOnWriteArrayList<>();
    /** For each lapse, by how much and on which thread it was seen (a stall of that thread, or a lease not kept). */
    final List<String> lapses = new CopyOnWriteArrayList<>();
    final List<String> callsAfterClose = new CopyOnWriteArrayList<>();
    final List<CloudEvent> sent = new CopyOnWriteArrayList<>();
    final Map<ReceivedMessage, Long> deadlines = new ConcurrentHashMap<>();
    volatile Capabilities capabilities = Capabilities.builder()
            .supports(Capability.AT_LEAST_ONCE, Capability.NACK, Capability.DELAYED_NACK, Capability.GROUPS)
            .build();
    /** What {@code send} answers; default: confirmed. */
    volatile Function<CloudEvent, CompletionStage<PublishReceipt>> onSend =
            e -> CompletableFuture.completedFuture(new PublishReceipt("t", e.getId(), "1", false));
    /** Thrown from the next {@code receive} when set (then cleared). */
    volatile Throwable receiveFailure;
    /**
     * When positive, the broker's in-flight window: it hands out no more while that many messages are unsettled (as
     * MQTT's receive maximum does); only a settle (ack, nack, dead letter) frees a slot.
     */
    volatile int window;
    /** When positive, the most messages one receive hands over (a broker that pushes a few at a time). */
    volatile int perReceive;
    /** The size of each {@code ackAll} call, in order. */
    final List<Integer> ackCalls = new CopyOnWriteArrayList<>();
    /** How long each ack takes at the "broker" (to widen races with close). */
    volatile long ackMicros;
    /** How long each receiver's close takes (a Kafka consumer leaving its group, say). */
    volatile long closeMillis;
    /** Receivers closed so far. */
    final AtomicInteger receiversClosed = new AtomicInteger();
    /** Receive calls that waited (up to their short maxWait, 1 ms or less) and returned nothing: stalled top-ups. */
    final AtomicInteger emptyShortWaits = new AtomicInteger();
    volatile boolean receiverClosed;
    /** The context of the last backend opened on this broker. */
    volatile BackendContext context;
    volatile long receiverClosedNanos;

    private FakeBroker(String name, Duration brokerDeadline) {
        this.name = name;
        this.brokerDeadline = brokerDeadline;
    }

    /** A new broker whose simulated deadline is {@code brokerDeadline}; connect with {@link #url()}. */
    static FakeBroker create(Duration brokerDeadline) {
        FakeBroker b = new FakeBroker("b" + System.nanoTime(), brokerDeadline);
        BROKERS.put(b.name, b);
        return b;
    }

    String url() {
        return "faketest://" + name;
    }

    static CloudEvent event(String id) {
        return CloudEventBuilder.v1().withId(id).withSource(URI.create("/fake")).withType("t").build();
    }

    /** Queues {@code n} events {@code prefix-0..n-1} on topic {@code t}; the library counts attempts. */
    List<String> offer(String prefix, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = prefix + "-" + i;
            ids.add(id);
            queue.add(ReceivedMessage.event("t", event(id)).position(id).build());
        }
        return ids;
    }

    void offerRaw(String topic, byte[] body) {
        queue.add(ReceivedMessage.invalid(topic, body, Map.of(), "not a CloudEvent").position("raw-1").build());
    }

    /** Checks {@code m}'s simulated deadline at {@code now}; records it as lapsed once if it ran out. */
    private void check(ReceivedMessage m, long now) {
        Long deadline = deadlines.get(m);
        if (deadline != null && now - deadline > 0 && !lapsed.contains(m)) {
            lapsed.add(m);
            lapses.add(m.position() + " ran out " + TimeUnit.NANOSECONDS.toMillis(now - deadline) + " ms before "
                    + Thread.currentThread().getName() + " settled or renewed it");
        }
    }

    /** Records every held message whose deadline has run out by now. */
    void sweep() {
        long now = System.nanoTime();
        for (ReceivedMessage m : deadlines.keySet()) {
            check(m, now);
        }
    }

    private void closedCheck(String call) {
        if (receiverClosed) {
            callsAfterClose.add(call);
        }
    }

    record Nack(ReceivedMessage message, Duration delay, long atNanos) { }

    final class FakeReceiver implements Receiver {
        @Override
        public List<ReceivedMessage> receive(int max, Duration maxWait) throws InterruptedException {
            Throwable t = receiveFailure;
            if (t != null) {
                receiveFailure = null;
                if (t instanceof RuntimeException) {
                    throw (RuntimeException) t;
                }
                throw (Error) t;
            }
            List<ReceivedMessage> out = new ArrayList<>();
            int room = window > 0 ? Math.min(max, window - deadlines.size()) : max;
            if (perReceive > 0) {
                room = Math.min(room, perReceive);
            }
            if (room <= 0) {
                LockSupport.parkNanos(maxWait.toNanos()); // a full window: the broker hands out nothing
                return out;
            }
            ReceivedMessage first = queue.poll(maxWait.toNanos(), TimeUnit.NANOSECONDS);
            if (first == null) {
                if (maxWait.toMillis() <= 1) {
                    emptyShortWaits.incrementAndGet();
                }
                return out;
            }
            out.add(first);
            queue.drainTo(out, room - 1);
            long deadline = System.nanoTime() + brokerDeadline.toNanos();
            for (ReceivedMessage m : out) {
                deadlines.put(m, deadline);
            }
            return out;
        }

        @Override
        public void ack(ReceivedMessage message) {
            if (ackMicros > 0) {
                LockSupport.parkNanos(ackMicros * 1000);
            }
            closedCheck("ack");
            check(message, System.nanoTime());
            deadlines.remove(message);
            acked.add(message);
        }

        @Override
        public void ackAll(List<ReceivedMessage> messages) {
            ackCalls.add(messages.size());
            for (ReceivedMessage m : messages) {
                ack(m);
            }
        }

        @Override
        public void nack(ReceivedMessage message, Duration delay) {
            closedCheck("nack");
            check(message, System.nanoTime());
            deadlines.remove(message);
            nacked.add(new Nack(message, delay, System.nanoTime()));
        }

        @Override
        public void deadLettered(ReceivedMessage message) {
            closedCheck("deadLettered");
            deadlines.remove(message);
            deadLettered.add(message);
        }

        @Override
        public void extend(List<ReceivedMessage> messages) {
            closedCheck("extend");
            long now = System.nanoTime();
            for (ReceivedMessage m : messages) {
                check(m, now);
                // atomic: renewing a message the library settled meanwhile is a no-op at a broker; a containsKey
                // then put put it back after its ack's remove, and the final sweep saw it lapse (a failed full run)
                deadlines.computeIfPresent(m, (k, v) -> now + brokerDeadline.toNanos());
                extended.add(m);
            }
        }

        @Override
        public void close() {
            if (closeMillis > 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(closeMillis)); // the close's own work, simulated
            }
            receiverClosedNanos = System.nanoTime();
            receiversClosed.incrementAndGet();
            receiverClosed = true;
        }
    }

    /** Scheme {@code faketest}. */
    public static final class Provider implements BackendProvider {
        @Override
        public String scheme() {
            return "faketest";
        }

        @Override
        public List<ConfigOption<?>> options() {
            return List.of();
        }

        @Override
        public Backend open(BackendContext context) {
            FakeBroker broker = BROKERS.get(context.address());
            if (broker == null) {
                throw new OmnibusException(ErrorCode.NOT_FOUND, "no fake broker " + context.address());
            }
            broker.context = context;
            return new Backend() {
                @Override
                public String name() {
                    return "faketest";
                }

                @Override
                public Capabilities capabilities() {
                    return broker.capabilities;
                }

                @Override
                public CompletionStage<PublishReceipt> send(String topic, CloudEvent event) {
                    broker.sent.add(event);
                    return broker.onSend.apply(event);
                }

                @Override
                public Receiver receiver(ReceiverSpec spec) {
                    return broker.new FakeReceiver();
                }

                @Override
                public void close() {
                }
            };
        }
    }
}
