package dev.omnibus.tck.selftest;

import java.util.Locale;

/** One deliberate defect of the memory backend, and the rule of the contract that names it. */
enum Defect {
    /** A correct wrapper: the kit must pass it. */
    NONE(null),
    /**
     * Not a defect: an at-most-once shape (denies AT_LEAST_ONCE, NACK and what needs them) over a broker that frees
     * a delivery's in-flight slot only when it is settled, as MQTT's receive maximum does. The library must settle
     * what fails or expires on it, so the kit (R25 above all) must pass it.
     */
    NONE_AT_MOST_ONCE_WINDOW(null),
    /** Drops every extension but the partition key on publish. */
    LOSES_EXTENSIONS("R01"),
    /** Reports success for a publish the broker refused. */
    SWALLOWS_PUBLISH_ERRORS("R02"),
    /** Gives each member of a group its own queue. */
    IGNORES_GROUPS("R04"),
    /** Hands each received batch over in reverse order. */
    REORDERS_KEYS("R05"),
    /** Never tells the broker about acks, so acked events come back. */
    REDELIVERS_ACKED("R06"),
    /** Turns nacks into acks, dropping the event. */
    DROPS_NACKED("R07"),
    /** Redelivers a delayed nack at once. */
    IGNORES_NACK_DELAY("R08"),
    /**
     * Sets the broker's ack deadline to a quarter of what was asked, so the broker redelivers events a handler still
     * holds. (An hour-long deadline is no longer observable on the in-process broker: the library hands back what a
     * handler left unsettled, and a member leaving hands back what it held.)
     */
    SHORTENS_ACK_DEADLINE("R09"),
    /** Claims native dead-lettering so the library leaves it to a broker that never does it. */
    NEVER_DEAD_LETTERS("R10"),
    /** Returns more messages than the library asked for. */
    IGNORES_MAX_IN_FLIGHT("R11"),
    /** Starts a thread per receiver and never stops it. */
    LEAKS_THREAD_ON_CLOSE("R12"),
    /** Always starts at LATEST. */
    IGNORES_START_POSITION("R13"),
    /** Acknowledges publishes that overlap another one without storing them. */
    LOSES_EVENTS_UNDER_CONCURRENCY("R16"),
    /** Treats '>' like '*' (one token only). */
    NARROWS_WILDCARDS("R19"),
    /** Claims DEDUP on a broker whose dedup is off. */
    CLAIMS_DEDUP_IT_LACKS("R20"),
    /** Ignores {@code extend}, so messages that wait their turn are redelivered past the broker's deadline. */
    IGNORES_EXTEND("R21"),
    /** Stops receiving for good once it has handed over one raw message (a dispatcher thread that died on it). */
    STALLS_AFTER_RAW("R22"),
    /**
     * Holds acks in the driver and sends them every 10 s (and on close), as a periodic auto-commit would: a crash
     * loses what it held, so events acked seconds before it come back.
     */
    COMMITS_LAZILY("R23"),
    /** Defers acks to its next receive and drops what is deferred on close. */
    DROPS_ACKS_ON_CLOSE("R24"),
    /**
     * Keeps a broker-style in-flight window of {@code maxInFlight} that only an ack frees (a driver counting credit
     * on ack alone): each nack, and each expiry handed back as a nack, leaks a slot until nothing is delivered.
     */
    LEAKS_WINDOW_ON_NACK("R25"),
    /**
     * As {@link #LEAKS_WINDOW_ON_NACK}, with a window of {@value BrokenBackendProvider#FIXED_BROKER_WINDOW} the
     * driver cannot set from {@code maxInFlight} (MQTT 3.1.1's broker-side in-flight limit), which its harness
     * declares ({@code TckHarness.brokerWindow()}): six failures fill no window here, R25 must spoil more.
     */
    LEAKS_FIXED_BROKER_WINDOW("R25");

    final String rule;

    Defect(String rule) {
        this.rule = rule;
    }

    String backendName() {
        return "broken-" + name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
