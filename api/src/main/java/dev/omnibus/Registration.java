package dev.omnibus;

/** Undoes a registration (a listener, say); idempotent and thread-safe. */
@FunctionalInterface
public interface Registration extends AutoCloseable {
    /** Removes what was registered. */
    @Override
    void close();
}
