package dev.omnibus.tck;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The contract's rule catalogue, R01 to R25: the one place a rule's title and what to check when it fails are
 * written. The kit's tests carry these ids (each rule's tests are tagged with its id and named after it); the
 * report, the README's conformance matrix and the kit's display names take the titles from here. Immutable.
 */
public final class RuleCatalogue {
    private static final TreeMap<String, String> TITLES = new TreeMap<>();
    private static final Map<String, String> CHECK_TEXTS = new TreeMap<>();
    /** Every rule id with its title, in order. */
    public static final Map<String, String> RULES = Collections.unmodifiableMap(TITLES);
    /** Every rule id with what to check in a backend when the rule fails, in order. */
    public static final Map<String, String> CHECKS = Collections.unmodifiableMap(CHECK_TEXTS);
    /** The first rule's id (a constant, for annotations and help texts). */
    public static final String FIRST = "R01";
    /** The last rule's id (a constant, for annotations and help texts); checked against the catalogue. */
    public static final String LAST = "R25";

    static {
        rule("R01", "round trip of every attribute, extension and data",
                "the binding writes and reads every attribute and extension (including the datacontenttype header "
                + "mapping), and the body is passed through byte for byte.");
        rule("R02", "publish receipt; closed publisher fails typed",
                "Backend.send completes with the broker's position and fails (never succeeds) when the broker did "
                + "not accept the event.");
        rule("R03", "fan-out to subscriptions without a shared group",
                "each subscription without a group (or with its own group) has its own cursor/queue.");
        rule("R04", "a group shares the stream",
                "members of a group share one broker-side consumer/cursor, and a member leaving hands its share "
                + "to the others.");
        rule("R05", "per-key order",
                "the partition key maps to the broker's ordering unit, and the driver hands a batch to the "
                + "library in broker order.");
        rule("R06", "acked events are not redelivered",
                "Receiver.ack maps to the broker's ack/commit verb and is not lost on close.");
        rule("R07", "nack and handler exceptions redeliver",
                "Receiver.nack maps to the broker's redelivery verb and the driver reports the broker's delivery "
                + "count (or 0 so the library counts).");
        rule("R08", "delayed nack waits its delay",
                "Receiver.nack passes the delay to the broker's delayed-redelivery verb.");
        rule("R09", "unsettled events are redelivered after the ack deadline",
                "the broker's ack deadline is set from SubscribeOptions.ackDeadline and Receiver.extend pushes it "
                + "out.");
        rule("R10", "dead letter after max attempts",
                "the driver reports attempts, settles dead-lettered messages for good (Receiver.deadLettered), "
                + "and a native dead-letter policy (if claimed) is provisioned.");
        rule("R11", "flow control: maxInFlight",
                "Receiver.receive never returns more than max messages.");
        rule("R12", "close drains; nothing after close; no leaked threads",
                "Receiver.close stops every thread the driver started and makes receive return.");
        rule("R13", "start position EARLIEST / LATEST / time",
                "the start position maps to the broker's deliver policy / offset reset / seek.");
        rule("R14", "publish dedup by event id",
                "the event id becomes the broker's dedup id.");
        rule("R15", "bad input is refused clearly; foreign messages do not kill a subscription",
                "the driver turns undecodable messages into ReceivedMessage.invalid instead of throwing from "
                + "receive.");
        rule("R16", "concurrency loses and corrupts nothing",
                "Backend.send and Receiver are thread-safe.");
        rule("R17", "broker restart mid-stream",
                "the client's reconnect is configured, the receive loop survives errors (retryable "
                + "classification), and consumers are re-created when the broker lost them.");
        rule("R18", "connection cut / stall",
                "the client detects dead connections (pings/timeouts) and the receive loop resumes; Backend.send "
                + "returns its future at once, with no blocking lookup or topic check on the caller's thread.");
        rule("R19", "wildcard subscriptions",
                "the pattern translation to the broker's syntax.");
        rule("R20", "declared capabilities are true",
                "Backend.capabilities() against what the driver really does.");
        rule("R21", "a slow backlog is delivered once",
                "Receiver.extend renews every message it is given with the broker's own verb (the library renews "
                + "everything it holds: waiting in a batch or a lane queue, acked but not yet sent), and messages "
                + "the driver itself buffers or reads ahead are kept alive by the driver.");
        rule("R22", "nothing ends a subscription silently",
                "the driver turns every wire message into a ReceivedMessage without throwing (an unreadable one "
                + "as ReceivedMessage.invalid), and no thread of the driver dies on one message.");
        rule("R23", "kill -9 under steady load, counted",
                "a publish is confirmed only once the broker stored the event; the driver sends every ack it is "
                + "given at once (never holds acks for a later commit a crash can lose); the receive loop resumes "
                + "after a restart (R17) and re-creates what the broker lost.");
        rule("R24", "close from a handler and under concurrent acks",
                "Receiver.close sends (or waits for) every ack it was given before it returns, and an ack given "
                + "to a closing receiver is not dropped silently.");
        rule("R25", "nothing failed or unsettled stalls a subscription",
                "Receiver.nack and the broker's own deadline free the broker's in-flight slot (a driver must not "
                + "free its window or credit only on ack), and a backend without NACK denies it: the library then "
                + "settles failed and expired deliveries itself (SPI call contract in tck/README.md); where the broker "
                + "imposes a window the backend cannot set from maxInFlight, the harness declares it "
                + "(TckHarness.brokerWindow) so R25 spoils enough to fill it.");
        if (!TITLES.firstKey().equals(FIRST) || !TITLES.lastKey().equals(LAST)) {
            throw new IllegalStateException("RuleCatalogue.FIRST/LAST do not match the catalogue");
        }
    }

    private RuleCatalogue() {
    }

    private static void rule(String id, String title, String check) {
        TITLES.put(id, title);
        CHECK_TEXTS.put(id, check);
    }

    /** The one rule id among {@code tags}; fails if there is none or more than one. */
    static String ruleAmong(Collection<String> tags) {
        String rule = null;
        for (String tag : tags) {
            if (RULES.containsKey(tag)) {
                if (rule != null) {
                    throw new IllegalStateException("kit test tagged with two rules: " + rule + " and " + tag);
                }
                rule = tag;
            }
        }
        if (rule == null) {
            throw new IllegalStateException("kit test tagged with no rule of the catalogue: " + tags);
        }
        return rule;
    }
}
