package dev.omnibus;

/** Names of the CloudEvents extension attributes Omnibus reads or writes. */
public final class Extensions {
    /** Partitioning extension: becomes the broker's ordering key (Kafka record key, Pub/Sub ordering key, ...). */
    public static final String PARTITION_KEY = "partitionkey";
    /** Distributed-tracing extension: W3C trace parent. */
    public static final String TRACEPARENT = "traceparent";
    /** Distributed-tracing extension: W3C trace state. */
    public static final String TRACESTATE = "tracestate";
    /** Added to a dead-lettered event: why it was dead-lettered. */
    public static final String DEAD_LETTER_REASON = "deadletterreason";
    /** Added to a dead-lettered event: the topic it was consumed from. */
    public static final String DEAD_LETTER_TOPIC = "deadlettertopic";
    /** Added to a dead-lettered event: how many deliveries were attempted. */
    public static final String DEAD_LETTER_ATTEMPTS = "deadletterattempts";
    /** Type of the event a non-CloudEvents message is delivered as (see {@link Delivery#isRaw()}). */
    public static final String RAW_EVENT_TYPE = "dev.omnibus.raw";

    private Extensions() {
    }
}
