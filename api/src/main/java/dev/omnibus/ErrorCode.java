package dev.omnibus;

/**
 * Portable error codes, the same on every backend. Immutable and thread-safe.
 *
 * <p>Each code has a default answer to "may a retry help?"; an {@link OmnibusException} may
 * override it when the backend knows better.
 */
public enum ErrorCode {
    /** A caller passed something invalid: an event, a topic, an option value. Retrying the same call fails again. */
    INVALID_ARGUMENT(false),
    /** The configuration (URL, properties, environment) is invalid. */
    INVALID_CONFIG(false),
    /** The backend cannot do what was asked; its {@link Capabilities} say so. */
    UNSUPPORTED(false),
    /** A topic, subscription or group the call needs does not exist. */
    NOT_FOUND(false),
    /**
     * Authentication failed, in either direction: the broker refused the credentials (wrong or missing password,
     * token, NKey, client certificate), or the client refused the broker (its certificate is not trusted or does not
     * name the host). Retrying with the same configuration fails again.
     */
    UNAUTHENTICATED(false),
    /** The broker knows who the client is and refuses the operation (an ACL, a subject or topic permission). */
    PERMISSION_DENIED(false),
    /** The broker cannot be reached right now; the outcome of an in-flight publish is unknown. */
    UNAVAILABLE(true),
    /** The operation did not complete in time; the broker may still have accepted it. */
    TIMEOUT(true),
    /** A bounded resource is full (a subscription buffer, a quota); retry later. */
    RESOURCE_EXHAUSTED(true),
    /** The publisher, subscription or connection was closed. */
    CLOSED(false),
    /** A bug or an unexpected broker answer. */
    INTERNAL(false),
    /** An error the backend could not classify. */
    UNKNOWN(false);

    private final boolean retryable;

    ErrorCode(boolean retryable) {
        this.retryable = retryable;
    }

    /** Whether errors with this code are worth retrying by default. */
    public boolean isRetryable() {
        return retryable;
    }
}
