package dev.omnibus;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a backend declares it can do; immutable and thread-safe. The TCK reads this declaration and checks it
 * is true: a claimed capability must pass its rule, a denied one must be refused with an
 * {@link UnsupportedCapabilityException} carrying the reason recorded here.
 */
public final class Capabilities {
    private final Set<Capability> supported;
    private final Map<Capability, String> denials;
    private final int maxPayloadBytes;

    private Capabilities(Builder b) {
        this.supported = Collections.unmodifiableSet(b.supported.isEmpty()
                ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(b.supported));
        EnumMap<Capability, String> d = new EnumMap<>(Capability.class);
        for (Capability c : Capability.values()) {
            if (!supported.contains(c)) {
                d.put(c, b.denials.getOrDefault(c, "not supported by this backend"));
            }
        }
        this.denials = Collections.unmodifiableMap(d);
        this.maxPayloadBytes = b.maxPayloadBytes;
    }

    /** A new builder; capabilities start denied. */
    public static Builder builder() {
        return new Builder();
    }

    /** Whether {@code capability} is supported. */
    public boolean has(Capability capability) {
        return supported.contains(capability);
    }

    /** The supported capabilities. */
    public Set<Capability> supported() {
        return supported;
    }

    /** Why {@code capability} is denied, or {@code null} when it is supported. */
    public String denialReason(Capability capability) {
        return denials.get(capability);
    }

    /** The largest event {@code data} the backend accepts, in bytes. */
    public int maxPayloadBytes() {
        return maxPayloadBytes;
    }

    /** Throws {@link UnsupportedCapabilityException} unless {@code capability} is supported. */
    public void require(String backend, Capability capability) {
        if (!has(capability)) {
            throw new UnsupportedCapabilityException(backend, capability, denialReason(capability));
        }
    }

    @Override
    public String toString() {
        return "Capabilities" + supported + ", maxPayloadBytes=" + maxPayloadBytes;
    }

    /** Builds {@link Capabilities}; not thread-safe. */
    public static final class Builder {
        private final Set<Capability> supported = EnumSet.noneOf(Capability.class);
        private final Map<Capability, String> denials = new EnumMap<>(Capability.class);
        private int maxPayloadBytes = 1024 * 1024;

        private Builder() {
        }

        /** Declares {@code capabilities} supported. */
        public Builder supports(Capability... capabilities) {
            for (Capability c : capabilities) {
                supported.add(c);
                denials.remove(c);
            }
            return this;
        }

        /** Declares {@code capability} denied, with the reason users will read. */
        public Builder denies(Capability capability, String reason) {
            supported.remove(capability);
            denials.put(capability, Objects.requireNonNull(reason, "reason"));
            return this;
        }

        /** The largest accepted event data size, in bytes (at least 1). */
        public Builder maxPayloadBytes(int bytes) {
            if (bytes < 1) {
                throw new IllegalArgumentException("maxPayloadBytes must be at least 1, was " + bytes);
            }
            this.maxPayloadBytes = bytes;
            return this;
        }

        /** The immutable declaration. */
        public Capabilities build() {
            return new Capabilities(this);
        }
    }
}
