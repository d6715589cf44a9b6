package dev.omnibus.spi;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One header's last value as text and as UTF-8 bytes, reused while the next message repeats it: a stream's events
 * mostly share their spec version, source, type and data content type, so a reader that keeps one cache per such
 * header turns their bytes into text once instead of per message, and a writer encodes them once. A different value
 * replaces the one kept.
 *
 * <p>Why: making the {@code ce_specversion} header's text anew and hashing it for {@code SpecVersion.parse} was a
 * fifth of a Kafka receive thread's JFR samples (2026-12-06), and the other repeated headers' texts more; a repeated
 * value now costs a comparison of its bytes, and its text is the same {@code String} instance each time, so what
 * looks it up next ({@code SpecVersion.parse}'s hash, {@link EventBuilders.Sources}) finds it by identity or a
 * cached hash.
 *
 * <p>Use one instance per header and direction: the entry keeps a copy of the bytes it was given, and the bytes
 * {@link #bytes} returns are shared with later callers and must not be modified. Thread-safe: the last pair is one
 * immutable object behind a volatile reference; readers on several threads may share a cache (each may then decode a
 * value another decoded already; no result is ever wrong).
 */
public final class RepeatCache {
    private volatile Entry last;

    /** An empty cache. */
    public RepeatCache() {
    }

    /**
     * The text of UTF-8 {@code bytes}: the instance returned last when the bytes are the same.
     *
     * @throws NullPointerException if {@code bytes} is null
     */
    public String text(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        Entry e = last;
        if (e != null && Arrays.equals(e.bytes, bytes)) {
            return e.text;
        }
        String t = new String(bytes, StandardCharsets.UTF_8);
        last = new Entry(t, bytes.clone());
        return t;
    }

    /**
     * The UTF-8 bytes of {@code text}: the array returned last when the text is the same (shared: do not modify it).
     *
     * @throws NullPointerException if {@code text} is null
     */
    public byte[] bytes(String text) {
        Objects.requireNonNull(text, "text");
        Entry e = last;
        if (e != null && (e.text == text || e.text.equals(text))) {
            return e.bytes;
        }
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        last = new Entry(text, b);
        return b;
    }

    private static final class Entry {
        final String text;
        final byte[] bytes;

        Entry(String text, byte[] bytes) {
            this.text = text;
            this.bytes = bytes;
        }
    }
}
