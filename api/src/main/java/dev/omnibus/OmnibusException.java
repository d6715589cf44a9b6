package dev.omnibus;

import java.util.Objects;
import java.util.Optional;

/**
 * The one unchecked root of every Omnibus error. Immutable once thrown, so safe to share across threads.
 *
 * <p>Carries a portable {@link ErrorCode} and whether a retry may help. When a broker client failed, its
 * exception is the {@linkplain #getCause() cause} and can be reached with {@link #unwrap(Class)}.
 * Messages never contain secrets: URLs and option values that may hold credentials are redacted.
 *
 * <p>Subclasses exist only where callers catch differently: {@link ConfigException},
 * {@link InvalidEventException}, {@link UnsupportedCapabilityException}.
 */
public class OmnibusException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final boolean retryable;

    /** An error with the code's default retryability. */
    public OmnibusException(ErrorCode code, String message) {
        this(code, message, null, Objects.requireNonNull(code, "code").isRetryable());
    }

    /** An error caused by {@code cause}, with the code's default retryability. */
    public OmnibusException(ErrorCode code, String message, Throwable cause) {
        this(code, message, cause, Objects.requireNonNull(code, "code").isRetryable());
    }

    /** An error whose retryability the backend decided itself. */
    public OmnibusException(ErrorCode code, String message, Throwable cause, boolean retryable) {
        super("[" + Objects.requireNonNull(code, "code") + "] " + message, cause);
        this.code = code;
        this.retryable = retryable;
    }

    /** The portable error code. */
    public ErrorCode code() {
        return code;
    }

    /** Whether retrying the failed operation may succeed (for publish: the broker may also have accepted it). */
    public boolean isRetryable() {
        return retryable;
    }

    /** The first exception of {@code type} in the cause chain (this one included), for instance a broker client's. */
    public <T extends Throwable> Optional<T> unwrap(Class<T> type) {
        Throwable t = this;
        int depth = 0;
        while (t != null && depth++ < 32) {
            if (type.isInstance(t)) {
                return Optional.of(type.cast(t));
            }
            t = t.getCause();
        }
        return Optional.empty();
    }
}
