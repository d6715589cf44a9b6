package dev.omnibus;

import java.time.Instant;
import java.util.Objects;

/**
 * Where a new subscription starts reading; immutable and thread-safe. Anything but {@link #latest()} needs
 * the {@link Capability#REPLAY} capability. Applies when a group is first created; an existing group resumes
 * where it left off.
 */
public final class StartPosition {
    /** Which kind of position. */
    public enum Kind {
        /** Only events published after subscribing. */
        LATEST,
        /** Every event the broker still retains. */
        EARLIEST,
        /** Retained events published at or after a point in time. */
        TIME
    }

    private static final StartPosition LATEST = new StartPosition(Kind.LATEST, null);
    private static final StartPosition EARLIEST = new StartPosition(Kind.EARLIEST, null);

    private final Kind kind;
    private final Instant time;

    private StartPosition(Kind kind, Instant time) {
        this.kind = kind;
        this.time = time;
    }

    /** Only new events (the default). */
    public static StartPosition latest() {
        return LATEST;
    }

    /** Every retained event. */
    public static StartPosition earliest() {
        return EARLIEST;
    }

    /** Retained events published at or after {@code time}. */
    public static StartPosition at(Instant time) {
        return new StartPosition(Kind.TIME, Objects.requireNonNull(time, "time"));
    }

    /** The kind. */
    public Kind kind() {
        return kind;
    }

    /** The point in time for {@link Kind#TIME}, else {@code null}. */
    public Instant time() {
        return time;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StartPosition && ((StartPosition) o).kind == kind
                && Objects.equals(((StartPosition) o).time, time);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, time);
    }

    @Override
    public String toString() {
        return kind == Kind.TIME ? "TIME(" + time + ")" : kind.name();
    }
}
