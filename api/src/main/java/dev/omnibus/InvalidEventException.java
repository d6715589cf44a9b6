package dev.omnibus;

/**
 * Thrown before anything reaches the wire when an event, a topic name or a payload is not acceptable; the
 * message names the field or limit and what is allowed. Immutable and thread-safe. Never retryable.
 */
public class InvalidEventException extends OmnibusException {
    private static final long serialVersionUID = 1L;

    /** An invalid-argument error with a message naming the offending field and what is allowed. */
    public InvalidEventException(String message) {
        super(ErrorCode.INVALID_ARGUMENT, message);
    }
}
