package dev.omnibus;

/**
 * Thrown when a caller asks for something the backend's {@link Capabilities} deny (replay on NATS core,
 * say). Omnibus never silently downgrades a request. Immutable and thread-safe. Never retryable.
 */
public class UnsupportedCapabilityException extends OmnibusException {
    private static final long serialVersionUID = 1L;

    private final Capability capability;

    /** The backend named {@code backend} lacks {@code capability}, for {@code reason}. */
    public UnsupportedCapabilityException(String backend, Capability capability, String reason) {
        super(ErrorCode.UNSUPPORTED, "backend '" + backend + "' does not support " + capability + ": " + reason);
        this.capability = capability;
    }

    /** The capability that was asked for. */
    public Capability capability() {
        return capability;
    }
}
