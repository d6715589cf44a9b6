package dev.omnibus.tck;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The contract's rule catalogue, R01 to R24, with a title each; the kit's tests carry these ids. Immutable.
 */
public final class RuleCatalogue {
    /** Every rule id with its title, in order. */
    public static final Map<String, String> RULES = rules();

    private RuleCatalogue() {
    }

    private static Map<String, String> rules() {
        Map<String, String> r = new TreeMap<>();
        r.put("R01", "round trip of every attribute, extension and data");
        r.put("R02", "publish receipt; closed publisher fails typed");
        r.put("R03", "fan-out to subscriptions without a shared group");
        r.put("R04", "a group shares the stream");
        r.put("R05", "per-key order");
        r.put("R06", "acked events are not redelivered");
        r.put("R07", "nack and handler exceptions redeliver");
        r.put("R08", "delayed nack waits its delay");
        r.put("R09", "unsettled events are redelivered after the ack deadline");
        r.put("R10", "dead letter after max attempts");
        r.put("R11", "flow control: maxInFlight");
        r.put("R12", "close drains; nothing after close; no leaked threads");
        r.put("R13", "start position EARLIEST / LATEST / time");
        r.put("R14", "publish dedup by event id");
        r.put("R15", "bad input is refused clearly; foreign messages do not kill a subscription");
        r.put("R16", "concurrency loses and corrupts nothing");
        r.put("R17", "broker restart mid-stream");
        r.put("R18", "connection cut / stall");
        r.put("R19", "wildcard subscriptions");
        r.put("R20", "declared capabilities are true");
        r.put("R21", "a slow backlog is delivered once");
        r.put("R22", "nothing ends a subscription silently");
        r.put("R23", "kill -9 under steady load, counted");
        r.put("R24", "close from a handler and under concurrent acks");
        return Collections.unmodifiableMap(r);
    }

}
