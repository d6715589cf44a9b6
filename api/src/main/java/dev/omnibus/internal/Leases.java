package dev.omnibus.internal;

import dev.omnibus.spi.ReceivedMessage;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lease management for one subscription: keeps the broker's redelivery deadline from running out for every message
 * the library holds unsettled, from the moment the receiver returns it until its ack, nack or dead letter has been
 * handed to the receiver (or the library gives it up). Modelled on the lease manager of Google's Pub/Sub client,
 * which extends every message it holds until it is handed out.
 *
 * <p>Why: the library takes a batch from the broker at once, then runs it one event at a time (inline) or queues it
 * for busy handler threads; with a slow handler and a backlog, events wait their turn long past the broker's
 * deadline and came back although nothing failed. Now every held message is renewed with the receiver's
 * {@link dev.omnibus.spi.Receiver#extend} once a quarter deadline has passed since it was received or last renewed.
 * A quarter, not a half: the broker's clock started before the receiver returned the message (it may have waited in
 * the driver's own buffer), and the housekeeping tick adds up to an eighth more.
 *
 * <p>Cost: messages are held in <em>lots</em>, one per received batch, so holding a batch is one queue insertion
 * and ending a lease is a field write and a decrement; only {@link #renew} (the housekeeping tick) walks the lots.
 * A lot whose leases all ended is dropped at the next tick; its slots are cleared as leases end, so a dropped
 * delivery (and its event) is never kept alive by the lot.
 *
 * <p>Thread-safety: {@link #hold} is called by the receive thread, {@link #end} by whichever thread settles, and
 * {@link #renew} by the housekeeping thread; all may run at once.
 */
final class Leases {
    private final long ackDeadlineNanos;
    private final ConcurrentLinkedQueue<Lot> lots = new ConcurrentLinkedQueue<>();
    private final AtomicInteger held = new AtomicInteger();

    Leases(long ackDeadlineNanos) {
        this.ackDeadlineNanos = ackDeadlineNanos;
    }

    /**
     * Starts the leases of {@code deliveries}, just received at {@code nowNanos}. The lot keeps a copy: its slots are
     * cleared as leases end, while the caller goes on dispatching from its own array. Receive thread.
     */
    void hold(DeliveryImpl[] deliveries, long nowNanos) {
        Lot lot = new Lot(deliveries.clone(), nowNanos);
        for (int i = 0; i < deliveries.length; i++) {
            deliveries[i].lease(lot, i);
        }
        held.addAndGet(deliveries.length);
        lots.add(lot);
    }

    /**
     * Ends the lease of {@code d}: its outcome has reached the receiver, or the library gave it up (expired, handed
     * back). Idempotent; any thread.
     */
    void end(DeliveryImpl d) {
        Lot lot = d.lot;
        if (lot == null || !d.endLease()) {
            return;
        }
        lot.deliveries[d.slot] = null;
        lot.open.decrementAndGet();
        held.decrementAndGet();
    }

    /**
     * The messages whose broker deadline is at least a quarter gone at {@code nowNanos}, with their lease restarted
     * from now: the caller passes them to {@code Receiver.extend}. Drops lots whose leases all ended. Housekeeping
     * thread.
     */
    List<ReceivedMessage> renew(long nowNanos) {
        List<ReceivedMessage> due = null;
        for (Iterator<Lot> it = lots.iterator(); it.hasNext(); ) {
            Lot lot = it.next();
            if (lot.open.get() == 0) {
                it.remove();
                continue;
            }
            if (nowNanos - lot.renewedNanos < ackDeadlineNanos / 4) {
                continue;
            }
            lot.renewedNanos = nowNanos;
            for (DeliveryImpl d : lot.deliveries) {
                if (d != null && d.leaseHeld()) {
                    if (due == null) {
                        due = new ArrayList<>();
                    }
                    due.add(d.message);
                }
            }
        }
        return due == null ? List.of() : due;
    }

    /** Messages whose lease has not ended (a gauge for tests and close). */
    int held() {
        return held.get();
    }

    /** One received batch: its deliveries (slots cleared as leases end) and when its leases last started. */
    static final class Lot {
        final DeliveryImpl[] deliveries;
        final AtomicInteger open;
        /** Housekeeping thread only after construction (published through the queue). */
        long renewedNanos;

        Lot(DeliveryImpl[] deliveries, long receivedNanos) {
            this.deliveries = deliveries;
            this.open = new AtomicInteger(deliveries.length);
            this.renewedNanos = receivedNanos;
        }
    }
}
