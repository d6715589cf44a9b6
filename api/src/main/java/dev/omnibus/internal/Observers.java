package dev.omnibus.internal;

import dev.omnibus.ConnectionState;
import dev.omnibus.Delivery;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;
import dev.omnibus.Subscription;
import dev.omnibus.instrument.BusInfo;
import dev.omnibus.instrument.BusObserver;
import dev.omnibus.instrument.Instrumentation;
import dev.omnibus.instrument.PublishContext;
import dev.omnibus.instrument.PublishObserver;
import dev.omnibus.instrument.SubscriptionObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fans the portable layer's events out to the connection's instrumentations, each call guarded: an observer that
 * throws is logged once per method and class, and never fails a publish or a delivery. Thread-safe.
 */
final class Observers {
    private static final Logger log = LoggerFactory.getLogger(Observers.class);
    private static final Set<String> reported = ConcurrentHashMap.newKeySet();

    private Observers() {
    }

    /** The observer of one connection, or {@code null} when no instrumentation is on (the fast path). */
    static Bus open(List<Instrumentation> instrumentations, BusInfo info) {
        List<BusObserver> observers = new ArrayList<>();
        for (Instrumentation i : instrumentations) {
            BusObserver o;
            try {
                o = i.open(info);
            } catch (RuntimeException e) {
                log.warn("instrumentation '{}' failed to open for {}; it is off for this connection", i.name(),
                        info.redactedUrl(), e);
                continue;
            }
            if (o != null && o != BusObserver.NONE) {
                observers.add(o);
            }
        }
        return observers.isEmpty() ? null : new Bus(observers.toArray(new BusObserver[0]));
    }

    private static void report(Object observer, String method, Throwable e) {
        if (reported.add(observer.getClass().getName() + "#" + method)) {
            log.warn("instrumentation observer {} threw in {} (reported once; later failures are ignored)",
                    observer.getClass().getName(), method, e);
        }
    }

    /** All observers of one connection. */
    static final class Bus {
        private final BusObserver[] observers;

        private Bus(BusObserver[] observers) {
            this.observers = observers;
        }

        /**
         * Lets each observer see (and maybe replace) the event; returns what hears the outcome (the observer itself
         * when only one is interested: no allocation), or {@code null}.
         */
        PublishObserver publishing(PublishContext publish) {
            PublishObserver first = null;
            PublishObserver[] several = null;
            int count = 0;
            for (BusObserver o : observers) {
                PublishObserver p;
                try {
                    p = o.publishing(publish);
                } catch (RuntimeException e) {
                    report(o, "publishing", e);
                    continue;
                }
                if (p == null || p == PublishObserver.NONE) {
                    continue;
                }
                if (count == 0) {
                    first = p;
                } else {
                    if (several == null) {
                        several = new PublishObserver[observers.length];
                        several[0] = first;
                    }
                    several[count] = p;
                }
                count++;
            }
            if (several == null) {
                return first;
            }
            return new Publish(count == several.length ? several : Arrays.copyOf(several, count));
        }

        Sub subscribed(Subscription subscription) {
            List<SubscriptionObserver> subs = new ArrayList<>();
            for (BusObserver o : observers) {
                try {
                    SubscriptionObserver s = o.subscribed(subscription);
                    if (s != null && s != SubscriptionObserver.NONE) {
                        subs.add(s);
                    }
                } catch (RuntimeException e) {
                    report(o, "subscribed", e);
                }
            }
            return subs.isEmpty() ? null : new Sub(subs.toArray(new SubscriptionObserver[0]));
        }

        void connectionStateChanged(ConnectionState state, Throwable cause) {
            for (BusObserver o : observers) {
                try {
                    o.connectionStateChanged(state, cause);
                } catch (RuntimeException e) {
                    report(o, "connectionStateChanged", e);
                }
            }
        }

        void closed() {
            for (BusObserver o : observers) {
                try {
                    o.closed();
                } catch (RuntimeException e) {
                    report(o, "closed", e);
                }
            }
        }
    }

    /** Tells {@code observer} how a publish ended, guarded. */
    static void completed(PublishObserver observer, PublishReceipt receipt, Throwable error) {
        if (observer instanceof Publish several) {
            for (PublishObserver o : several.observers) {
                completed(o, receipt, error);
            }
            return;
        }
        try {
            if (error == null) {
                observer.published(receipt);
            } else {
                Throwable cause = error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                observer.failed(cause instanceof OmnibusException ? (OmnibusException) cause
                        : new OmnibusException(ErrorCode.UNKNOWN, String.valueOf(cause), cause));
            }
        } catch (RuntimeException e) {
            report(observer, error == null ? "published" : "failed", e);
        }
    }

    /** Several observers of one publish. */
    private static final class Publish implements PublishObserver {
        private final PublishObserver[] observers;

        private Publish(PublishObserver[] observers) {
            this.observers = observers;
        }
    }

    /** All observers of one subscription. */
    static final class Sub {
        private final SubscriptionObserver[] observers;
        private final boolean single;

        private Sub(SubscriptionObserver[] observers) {
            this.observers = observers;
            this.single = observers.length == 1;
        }

        /** Returns the token (one observer) or the tokens (several). */
        Object handling(Delivery d) {
            if (single) {
                return handling(observers[0], d);
            }
            Object[] tokens = new Object[observers.length];
            for (int i = 0; i < observers.length; i++) {
                tokens[i] = handling(observers[i], d);
            }
            return tokens;
        }

        private static Object handling(SubscriptionObserver o, Delivery d) {
            try {
                return o.handling(d);
            } catch (RuntimeException e) {
                report(o, "handling", e);
                return null;
            }
        }

        /** Reports in reverse order, so that scopes opened by {@link #handling} close innermost first. */
        void handled(Delivery d, Object token, long nanos, Throwable error) {
            if (single) {
                handled(observers[0], d, token, nanos, error);
                return;
            }
            Object[] tokens = (Object[]) token;
            for (int i = observers.length - 1; i >= 0; i--) {
                handled(observers[i], d, tokens[i], nanos, error);
            }
        }

        private static void handled(SubscriptionObserver o, Delivery d, Object token, long nanos, Throwable error) {
            try {
                o.handled(d, token, nanos, error);
            } catch (RuntimeException e) {
                report(o, "handled", e);
            }
        }

        void acked(Delivery d) {
            for (SubscriptionObserver o : observers) {
                try {
                    o.acked(d);
                } catch (RuntimeException e) {
                    report(o, "acked", e);
                }
            }
        }

        void nacked(Delivery d, Duration delay, String reason) {
            for (SubscriptionObserver o : observers) {
                try {
                    o.nacked(d, delay, reason);
                } catch (RuntimeException e) {
                    report(o, "nacked", e);
                }
            }
        }

        void deadLettered(Delivery d, String topic, String reason) {
            for (SubscriptionObserver o : observers) {
                try {
                    o.deadLettered(d, topic, reason);
                } catch (RuntimeException e) {
                    report(o, "deadLettered", e);
                }
            }
        }

        void expired(Delivery d) {
            for (SubscriptionObserver o : observers) {
                try {
                    o.expired(d);
                } catch (RuntimeException e) {
                    report(o, "expired", e);
                }
            }
        }

        void dropped(String reason, long count) {
            for (SubscriptionObserver o : observers) {
                try {
                    o.dropped(reason, count);
                } catch (RuntimeException e) {
                    report(o, "dropped", e);
                }
            }
        }

        void closed() {
            for (SubscriptionObserver o : observers) {
                try {
                    o.closed();
                } catch (RuntimeException e) {
                    report(o, "closed", e);
                }
            }
        }
    }
}
