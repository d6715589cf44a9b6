package dev.omnibus.gcp.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Holds publishes to a topic until the topic is known to exist, without blocking the publishing thread.
 *
 * <p>Why: making sure a topic exists (and re-creating this connection's subscriptions to it when the server lost it)
 * takes administrative calls that wait for the server, up to the client's retry budget while it is unreachable.
 * Made on the caller's thread, as they were, the first {@code publish} to a topic during an outage blocked its
 * caller for most of a minute (the kit's R18 saw 58 s). Now the first publish starts the check on the admin
 * executor and every publish to that topic waits in a queue, in call order, until it is done; once the topic is
 * known, publishes go straight through. A failed check fails what waited and the next publish checks again.
 *
 * <p>Order: queued publishes are released in the order they were queued, under the gate's lock, and a gate counts
 * as open only after that, so a publish from the same thread never overtakes one queued before it. Thread-safe.
 */
final class TopicGates {
    /** What a publish does once its topic is known, and how it fails when the topic could not be made sure of. */
    interface Pending {
        void publish();

        void fail(RuntimeException error);
    }

    private final Map<String, Gate> gates = new ConcurrentHashMap<>();
    private final Executor admin;
    private final Consumer<String> provision;

    /**
     * @param admin     where the checks run (they block)
     * @param provision makes sure the topic exists, blocking; throws a classified error when it cannot
     */
    TopicGates(Executor admin, Consumer<String> provision) {
        this.admin = admin;
        this.provision = provision;
    }

    /** Publishes now if the topic is known, else once it is (or fails it). Never blocks on the server. */
    void submit(String topic, Pending pending) {
        gates.computeIfAbsent(topic, Gate::new).submit(pending);
    }

    /** The topic is gone (deleted, or an emulator restarted): the next publish checks it again. */
    void forget(String topic) {
        gates.remove(topic);
    }

    /** Fails every publish still waiting for its topic (the connection is closing). */
    void failAll(RuntimeException error) {
        for (Gate g : gates.values()) {
            g.failQueued(error);
        }
    }

    private final class Gate {
        private final String topic;
        /** Set once the queue has been released: from then on publishes skip the lock. */
        private volatile boolean open;
        private boolean checking;
        private final List<Pending> queued = new ArrayList<>();

        Gate(String topic) {
            this.topic = topic;
        }

        void submit(Pending pending) {
            if (open) {
                pending.publish();
                return;
            }
            synchronized (this) {
                if (open) {
                    pending.publish();
                    return;
                }
                queued.add(pending);
                if (checking) {
                    return;
                }
                checking = true;
            }
            try {
                admin.execute(this::check);
            } catch (RuntimeException e) {
                failQueued(e);
            }
        }

        private void check() {
            try {
                provision.accept(topic);
            } catch (RuntimeException e) {
                failQueued(e);
                return;
            }
            synchronized (this) {
                for (Pending p : queued) {
                    p.publish();
                }
                queued.clear();
                checking = false;
                open = true;
            }
        }

        private void failQueued(RuntimeException error) {
            List<Pending> failed;
            synchronized (this) {
                failed = new ArrayList<>(queued);
                queued.clear();
                checking = false;
            }
            for (Pending p : failed) {
                p.fail(error);
            }
        }
    }
}
