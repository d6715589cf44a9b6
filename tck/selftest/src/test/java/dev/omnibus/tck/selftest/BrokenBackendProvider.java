package dev.omnibus.tck.selftest;

import dev.omnibus.Capabilities;
import dev.omnibus.Capability;
import dev.omnibus.ConfigOption;
import dev.omnibus.Extensions;
import dev.omnibus.PublishReceipt;
import dev.omnibus.StartPosition;
import dev.omnibus.memory.MemoryBackendProvider;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;
import dev.omnibus.spi.ReceivedMessage;
import dev.omnibus.spi.Receiver;
import dev.omnibus.spi.ReceiverSpec;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scheme {@code broken}: the memory backend with one {@link Defect} switched on by the {@code defect} option.
 * Each defect is a realistic driver bug, written at the SPI seam where a real backend would make it.
 */
public final class BrokenBackendProvider implements BackendProvider {
    static final ConfigOption<Defect> DEFECT = ConfigOption.enumeration("defect", Defect.class, Defect.NONE,
            "the deliberate defect to switch on");

    /** LEAKS_FIXED_BROKER_WINDOW's window, whatever maxInFlight is (Mosquitto's default max_inflight_messages). */
    static final int FIXED_BROKER_WINDOW = 20;

    private final MemoryBackendProvider memory = new MemoryBackendProvider();

    @Override
    public String scheme() {
        return "broken";
    }

    @Override
    public List<ConfigOption<?>> options() {
        List<ConfigOption<?>> all = new ArrayList<>(memory.options());
        all.add(DEFECT);
        return all;
    }

    @Override
    public Backend open(BackendContext context) {
        return new BrokenBackend(memory.open(context), context.get(DEFECT));
    }

    private static final class BrokenBackend implements Backend {
        private final Backend real;
        private final Defect defect;
        private final Capabilities capabilities;
        private final AtomicInteger sending = new AtomicInteger();

        BrokenBackend(Backend real, Defect defect) {
            this.real = real;
            this.defect = defect;
            Capabilities truth = real.capabilities();
            Capabilities.Builder claimed = Capabilities.builder().maxPayloadBytes(truth.maxPayloadBytes());
            for (Capability c : Capability.values()) {
                if (truth.has(c)) {
                    claimed.supports(c);
                } else {
                    claimed.denies(c, truth.denialReason(c));
                }
            }
            // The self-test's broker restart is simulated (BrokenKit's harness) and keeps the in-process broker's
            // data, so for the only restart this wrapper ever sees, stored and acked events survive: DURABLE holds,
            // and R17 and R23 run on it.
            claimed.supports(Capability.DURABLE);
            if (defect == Defect.CLAIMS_DEDUP_IT_LACKS) {
                claimed.supports(Capability.DEDUP);
            }
            if (defect == Defect.NEVER_DEAD_LETTERS) {
                claimed.supports(Capability.NATIVE_DEAD_LETTER);
            }
            if (defect == Defect.NONE_AT_MOST_ONCE_WINDOW) {
                String why = "the at-most-once shape of the self-test: a delivery is never redelivered";
                claimed.denies(Capability.AT_LEAST_ONCE, why).denies(Capability.NACK, why)
                        .denies(Capability.DELAYED_NACK, why).denies(Capability.DURABLE, why);
            }
            this.capabilities = claimed.build();
        }

        @Override
        public String name() {
            return defect.backendName();
        }

        @Override
        public Capabilities capabilities() {
            return capabilities;
        }

        @Override
        public CompletionStage<PublishReceipt> send(String topic, CloudEvent event) {
            switch (defect) {
                case LOSES_EXTENSIONS:
                    return real.send(topic, withoutExtensions(event));
                case SWALLOWS_PUBLISH_ERRORS:
                    return real.send(topic, event).exceptionally(error -> fakeReceipt(topic, event));
                case LOSES_EVENTS_UNDER_CONCURRENCY:
                    try {
                        if (sending.incrementAndGet() > 1) {
                            return CompletableFuture.completedFuture(fakeReceipt(topic, event));
                        }
                        return real.send(topic, event);
                    } finally {
                        sending.decrementAndGet();
                    }
                default:
                    return real.send(topic, event);
            }
        }

        private static PublishReceipt fakeReceipt(String topic, CloudEvent event) {
            return new PublishReceipt(topic, event.getId(), "0", false);
        }

        private static CloudEvent withoutExtensions(CloudEvent e) {
            CloudEventBuilder b = CloudEventBuilder.v1().withId(e.getId()).withSource(e.getSource())
                    .withType(e.getType()).withSubject(e.getSubject()).withTime(e.getTime())
                    .withDataSchema(e.getDataSchema());
            if (e.getData() != null) {
                b.withData(e.getDataContentType(), e.getData());
            } else if (e.getDataContentType() != null) {
                b.withDataContentType(e.getDataContentType());
            }
            Object key = e.getExtension(Extensions.PARTITION_KEY);
            if (key != null) {
                b.withExtension(Extensions.PARTITION_KEY, key.toString());
            }
            return b.build();
        }

        @Override
        public Receiver receiver(ReceiverSpec s) {
            ReceiverSpec spec = new ReceiverSpec(
                    defect == Defect.NARROWS_WILDCARDS ? s.topic().replace(">", "*") : s.topic(),
                    defect == Defect.IGNORES_GROUPS ? null : s.group(),
                    defect == Defect.SHORTENS_ACK_DEADLINE ? s.ackDeadline().dividedBy(4) : s.ackDeadline(),
                    defect == Defect.IGNORES_START_POSITION ? StartPosition.latest() : s.startPosition(),
                    s.maxInFlight(), s.overflow(), s.bufferCapacity(), s.deadLetterTopic(), s.maxAttempts());
            return new BrokenReceiver(real.receiver(spec), defect, s.maxInFlight());
        }

        @Override
        public void close() {
            real.close();
        }
    }

    /**
     * A crash as the driver sees it: every broken receiver loses the acks it held in memory. The
     * self-test's harness calls it, then has the in-process broker hand back what was in flight.
     */
    static void crash() {
        for (BrokenReceiver r : BrokenReceiver.LIVE) {
            synchronized (r.heldAcks) {
                r.heldAcks.clear();
            }
        }
    }

    private static final class BrokenReceiver implements Receiver {
        private static final AtomicInteger LEAKS = new AtomicInteger();
        /** Every open receiver, for {@link #crash()}. */
        static final Set<BrokenReceiver> LIVE = ConcurrentHashMap.newKeySet();
        private static final long COMMIT_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
        /**
         * COMMITS_LAZILY and DROPS_ACKS_ON_CLOSE: acks not sent yet (sent with a later receive: every 10 s, or the
         * next one), and when they were last sent.
         */
        private final List<ReceivedMessage> heldAcks = new ArrayList<>();
        private long lastCommitNanos = System.nanoTime();
        private final Receiver real;
        private final Defect defect;
        /** STALLS_AFTER_RAW: a raw message was handed over. */
        private volatile boolean stalled;
        /**
         * NONE_AT_MOST_ONCE_WINDOW and LEAKS_WINDOW_ON_NACK: the broker's in-flight window (0: none), and how many
         * deliveries hold a slot of it (handed over, not settled yet).
         */
        private final int window;
        private final AtomicInteger holding = new AtomicInteger();

        BrokenReceiver(Receiver real, Defect defect, int maxInFlight) {
            this.real = real;
            this.defect = defect;
            this.window = defect == Defect.NONE_AT_MOST_ONCE_WINDOW || defect == Defect.LEAKS_WINDOW_ON_NACK
                    ? maxInFlight : defect == Defect.LEAKS_FIXED_BROKER_WINDOW ? FIXED_BROKER_WINDOW : 0;
            LIVE.add(this);
            if (defect == Defect.LEAKS_THREAD_ON_CLOSE) {
                Thread leak = new Thread(() -> {
                    try {
                        new CountDownLatch(1).await(2, TimeUnit.MINUTES);
                    } catch (InterruptedException ignored) {
                        // the leak ends with the JVM
                    }
                }, "omnibus-broken-poller-" + LEAKS.incrementAndGet());
                leak.setDaemon(true);
                leak.start();
            }
        }

        @Override
        public List<ReceivedMessage> receive(int max, Duration maxWait) throws InterruptedException {
            if (defect == Defect.IGNORES_MAX_IN_FLIGHT) {
                return real.receive(max * 4 + 10, maxWait);
            }
            if (stalled) {
                new CountDownLatch(1).await(maxWait.toMillis(), TimeUnit.MILLISECONDS);
                return List.of();
            }
            if (defect == Defect.COMMITS_LAZILY || defect == Defect.DROPS_ACKS_ON_CLOSE) {
                commitHeld(defect == Defect.DROPS_ACKS_ON_CLOSE);
            }
            if (window > 0) {
                int room = window - holding.get();
                if (room <= 0) {
                    // a full window: the broker hands out nothing until a slot is settled
                    new CountDownLatch(1).await(maxWait.toMillis(), TimeUnit.MILLISECONDS);
                    return List.of();
                }
                List<ReceivedMessage> batch = real.receive(Math.min(max, room), maxWait);
                holding.addAndGet(batch.size());
                return batch;
            }
            List<ReceivedMessage> batch = real.receive(max, maxWait);
            if (defect == Defect.STALLS_AFTER_RAW) {
                for (int i = 0; i < batch.size(); i++) {
                    if (batch.get(i).isInvalid()) {
                        // the driver's thread dies on the raw message: it and everything after it is never handed over
                        stalled = true;
                        return new ArrayList<>(batch.subList(0, i));
                    }
                }
            }
            if (defect == Defect.REORDERS_KEYS && batch.size() > 1) {
                List<ReceivedMessage> reversed = new ArrayList<>(batch);
                Collections.reverse(reversed);
                return reversed;
            }
            return batch;
        }

        /** Sends the held acks when {@code now} or when the commit interval has passed. */
        private void commitHeld(boolean now) {
            List<ReceivedMessage> due;
            synchronized (heldAcks) {
                if (!now && System.nanoTime() - lastCommitNanos < COMMIT_EVERY_NANOS) {
                    return;
                }
                lastCommitNanos = System.nanoTime();
                due = new ArrayList<>(heldAcks);
                heldAcks.clear();
            }
            real.ackAll(due);
        }

        @Override
        public void ack(ReceivedMessage message) {
            holding.decrementAndGet();
            if (defect == Defect.COMMITS_LAZILY || defect == Defect.DROPS_ACKS_ON_CLOSE) {
                synchronized (heldAcks) {
                    heldAcks.add(message);
                }
            } else if (defect != Defect.REDELIVERS_ACKED) {
                real.ack(message);
            }
        }

        @Override
        public void nack(ReceivedMessage message, Duration delay) {
            if (defect != Defect.LEAKS_WINDOW_ON_NACK && defect != Defect.LEAKS_FIXED_BROKER_WINDOW) {
                holding.decrementAndGet(); // the LEAKS_ defects: the slot stays taken
            }
            if (defect == Defect.DROPS_NACKED) {
                real.ack(message);
            } else {
                real.nack(message, defect == Defect.IGNORES_NACK_DELAY ? Duration.ZERO : delay);
            }
        }

        @Override
        public void deadLettered(ReceivedMessage message) {
            holding.decrementAndGet();
            real.deadLettered(message);
        }

        @Override
        public void extend(List<ReceivedMessage> messages) {
            if (defect != Defect.IGNORES_EXTEND) {
                real.extend(messages);
            }
        }

        @Override
        public long dropped() {
            return real.dropped();
        }

        @Override
        public void close() {
            LIVE.remove(this);
            if (defect == Defect.COMMITS_LAZILY) {
                commitHeld(true); // DROPS_ACKS_ON_CLOSE drops what it held: its defect
            }
            real.close();
        }
    }
}
