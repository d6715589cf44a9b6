package dev.omnibus.instrument;

import dev.omnibus.OmnibusException;
import dev.omnibus.PublishReceipt;

/**
 * Hears how one publish ended; thread-safe: it is called once, on whichever thread completes the publish (the
 * broker client's, the publishing thread, or the timeout sweeper). The same instance may serve many publishes.
 */
public interface PublishObserver {
    /** Ignores the outcome. */
    PublishObserver NONE = new PublishObserver() {
    };

    /** The broker confirmed the publish. */
    default void published(PublishReceipt receipt) {
    }

    /** The publish failed (a broker error or the publish timeout). */
    default void failed(OmnibusException error) {
    }
}
