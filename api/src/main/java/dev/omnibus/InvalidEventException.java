package dev.omnibus;

/**
 * Thrown by {@code publish} before anything reaches the wire when the event is not acceptable (a required
 * attribute missing, an invalid extension name, data above the backend's limit); the message names every problem.
 * Immutable and thread-safe. Never retryable.
 */
public class InvalidEventException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    /** An invalid-event error with a message naming the offending attributes and what is allowed. */
    public InvalidEventException(String message) {
        super(message);
    }
}
