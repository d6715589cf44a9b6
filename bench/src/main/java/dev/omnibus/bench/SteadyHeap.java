package dev.omnibus.bench;

import java.util.List;

/**
 * The heap every benchmark JVM runs with: fixed at {@value #SIZE}, every page of it touched before the first
 * iteration, on transparent huge pages where the kernel offers them ({@code madvise}). Constants only; each
 * benchmark's {@code @Fork(jvmArgsPrepend = ...)} names them, and {@code bench/figures.sh} passes {@link #OPTIONS} to
 * the latency run.
 *
 * <p>Why: a JVM grows into its heap as it allocates, and the first write to each page costs a page fault. On the
 * virtual machines these figures come from (2 cores, a Firecracker guest), that fault is slow enough that a fresh
 * JVM publishing to NATS core ran at 90–140 k events/s for its first ~15 s and at 700–800 k/s after, raw client and
 * Omnibus alike, with no GC in between; touching 4 GiB takes ~11 s on small pages and ~3 s on huge ones. Iterations
 * inside that phase measured the guest's memory, not the client, and since Omnibus allocates more per event than a
 * raw client sending prebuilt messages, it paid more of it. With the heap touched up front the first measured
 * iteration is already at the steady rate (see bench/README, "Steady heap").
 */
final class SteadyHeap {
    /** Heap size, minimum and maximum alike (the largest benchmark needs well under it). */
    static final String SIZE = "4g";
    /** {@code -Xms}. */
    static final String MIN = "-Xms" + SIZE;
    /** {@code -Xmx}. */
    static final String MAX = "-Xmx" + SIZE;
    /** Touches every heap page while the JVM starts. */
    static final String PRE_TOUCH = "-XX:+AlwaysPreTouch";
    /** Huge pages where the kernel allows them for the asking ({@code madvise}); a warning and small pages where not. */
    static final String HUGE_PAGES = "-XX:+UseTransparentHugePages";
    /** All of them, in the order the annotations list them. */
    static final List<String> OPTIONS = List.of(MIN, MAX, PRE_TOUCH, HUGE_PAGES);

    private SteadyHeap() {
    }

    /** Prints {@link #OPTIONS}, space-separated, for scripts ({@code bench/figures.sh}). */
    public static void main(String[] args) {
        System.out.println(String.join(" ", OPTIONS));
    }
}
