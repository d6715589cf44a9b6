package dev.omnibus;

/**
 * Thrown before anything reaches the wire when an argument is not acceptable (a topic or pattern, a group, an
 * option value, a nack delay); the message names what is wrong and what is allowed. Immutable and thread-safe.
 * Never retryable. {@link InvalidEventException} is the kind for an invalid event.
 */
public class InvalidArgumentException extends OmnibusException {
    private static final long serialVersionUID = 1L;

    /** An invalid-argument error with a message naming the argument and what is allowed. */
    public InvalidArgumentException(String message) {
        super(ErrorCode.INVALID_ARGUMENT, message);
    }
}
