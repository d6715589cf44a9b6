package dev.omnibus.spi;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link RepeatCache}: a repeated value gives the same instance back, a different one replaces it, and nothing the
 * caller does to its own array afterwards changes what the cache answers. If this fails, check that {@code text}
 * keeps a copy of the bytes it was given and compares contents, not identity.
 */
class RepeatCacheTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void repeatedBytesGiveTheSameTextInstanceAndADifferentValueReplacesIt() {
        RepeatCache cache = new RepeatCache();
        String first = cache.text(utf8("dev.omnibus.tick"));
        assertThat(first).isEqualTo("dev.omnibus.tick");
        assertThat(cache.text(utf8("dev.omnibus.tick"))).as("equal bytes in a new array").isSameAs(first);
        assertThat(cache.text(utf8("dev.omnibus.tock"))).isEqualTo("dev.omnibus.tock");
        String again = cache.text(utf8("dev.omnibus.tick"));
        assertThat(again).as("replaced, then decoded anew").isEqualTo("dev.omnibus.tick").isNotSameAs(first);
        assertThat(cache.text(utf8("ünïcödé €"))).isEqualTo("ünïcödé €");
        assertThat(cache.text(new byte[0])).isEmpty();
    }

    @Test
    void aCallerChangingItsArrayAfterwardsDoesNotChangeTheCachedText() {
        RepeatCache cache = new RepeatCache();
        byte[] mine = utf8("1.0");
        assertThat(cache.text(mine)).isEqualTo("1.0");
        mine[0] = '0';
        mine[2] = '3';
        assertThat(cache.text(mine)).as("the changed array's own text").isEqualTo("0.3");
        assertThat(cache.text(utf8("1.0"))).isEqualTo("1.0");
    }

    @Test
    void repeatedTextGivesTheSameBytesAndEqualTextFindsThemToo() {
        RepeatCache cache = new RepeatCache();
        byte[] first = cache.bytes("/omnibus/source");
        assertThat(first).isEqualTo(utf8("/omnibus/source"));
        assertThat(cache.bytes(new String("/omnibus/source"))).as("an equal, not identical, text").isSameAs(first);
        assertThat(cache.bytes("/other")).isEqualTo(utf8("/other"));
        assertThat(cache.bytes("/omnibus/source")).isNotSameAs(first).isEqualTo(first);
    }

    @Test
    void nullsAreRefusedNamingTheArgument() {
        RepeatCache cache = new RepeatCache();
        assertThatThrownBy(() -> cache.text(null)).isInstanceOf(NullPointerException.class).hasMessage("bytes");
        assertThatThrownBy(() -> cache.bytes(null)).isInstanceOf(NullPointerException.class).hasMessage("text");
    }
}
