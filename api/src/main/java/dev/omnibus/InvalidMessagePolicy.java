package dev.omnibus;

/** What a subscription does with a message on the wire that is not a valid CloudEvent. */
public enum InvalidMessagePolicy {
    /** Deliver it as a raw event ({@link Delivery#isRaw()}), data = the message body (the default). */
    DELIVER_RAW,
    /** Dead-letter it at once with the reason (needs {@link SubscribeOptions#deadLetter(String, int)}). */
    DEAD_LETTER
}
