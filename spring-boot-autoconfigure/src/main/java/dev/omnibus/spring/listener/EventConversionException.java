package dev.omnibus.spring.listener;

import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;

/**
 * An event's data could not be converted to a listener's parameter type; not retryable (the same event fails the
 * same way), so the delivery goes the way of a failed handler: redelivered, then dead-lettered. Immutable.
 */
public class EventConversionException extends OmnibusException {
    private static final long serialVersionUID = 1L;

    /** A failure described by {@code message} (it names the event id and the target type, never the data). */
    public EventConversionException(String message) {
        super(ErrorCode.INVALID_ARGUMENT, message);
    }

    /** A failure described by {@code message}, caused by {@code cause}. */
    public EventConversionException(String message, Throwable cause) {
        super(ErrorCode.INVALID_ARGUMENT, message, cause);
    }
}
