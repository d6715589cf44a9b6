package dev.omnibus;

import java.time.Duration;
import java.util.Objects;

/**
 * What happens when a subscription's bounded buffer is full; immutable and thread-safe. Needs the
 * {@link Capability#OVERFLOW_POLICY} capability (backends that push into a per-subscription buffer, such as
 * memory); network backends bound memory by {@code maxInFlight} and broker-side retention instead.
 */
public final class OverflowPolicy {
    /** The kind of policy. */
    public enum Kind {
        /**
         * The publisher waits for room, up to a timeout, then its publish fails with
         * {@link ErrorCode#RESOURCE_EXHAUSTED}.
         */
        BLOCK,
        /** The new event is dropped for this subscription and counted; the publisher is not slowed. */
        DROP,
        /** Events are dropped; after N consecutive drops the subscription is closed with an error. */
        DISCONNECT
    }

    /** Default time a blocked publisher waits. */
    public static final Duration DEFAULT_BLOCK_TIMEOUT = Duration.ofSeconds(10);

    private final Kind kind;
    private final Duration blockTimeout;
    private final int maxConsecutiveDrops;

    private OverflowPolicy(Kind kind, Duration blockTimeout, int maxConsecutiveDrops) {
        this.kind = kind;
        this.blockTimeout = blockTimeout;
        this.maxConsecutiveDrops = maxConsecutiveDrops;
    }

    /** Block the publisher up to {@link #DEFAULT_BLOCK_TIMEOUT} (the default policy). */
    public static OverflowPolicy block() {
        return block(DEFAULT_BLOCK_TIMEOUT);
    }

    /** Block the publisher up to {@code timeout} (1 ms to 10 minutes). */
    public static OverflowPolicy block(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.toMillis() < 1 || timeout.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new InvalidArgumentException("overflow block timeout must be from 1ms to 10m, was " + timeout);
        }
        return new OverflowPolicy(Kind.BLOCK, timeout, 0);
    }

    /** Drop new events while full, counting them. */
    public static OverflowPolicy drop() {
        return new OverflowPolicy(Kind.DROP, Duration.ZERO, 0);
    }

    /** Drop while full; after {@code maxConsecutiveDrops} drops in a row, close the subscription with an error. */
    public static OverflowPolicy disconnectAfter(int maxConsecutiveDrops) {
        if (maxConsecutiveDrops < 1) {
            throw new InvalidArgumentException("disconnectAfter needs at least 1 drop, was " + maxConsecutiveDrops);
        }
        return new OverflowPolicy(Kind.DISCONNECT, Duration.ZERO, maxConsecutiveDrops);
    }

    /** The kind. */
    public Kind kind() {
        return kind;
    }

    /** For BLOCK: how long a publisher waits. */
    public Duration blockTimeout() {
        return blockTimeout;
    }

    /** For DISCONNECT: the drops in a row that close the subscription. */
    public int maxConsecutiveDrops() {
        return maxConsecutiveDrops;
    }

    @Override
    public String toString() {
        switch (kind) {
            case BLOCK:
                return "BLOCK(" + blockTimeout + ")";
            case DISCONNECT:
                return "DISCONNECT(after " + maxConsecutiveDrops + " drops)";
            default:
                return "DROP";
        }
    }
}
