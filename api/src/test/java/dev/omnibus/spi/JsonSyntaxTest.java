package dev.omnibus.spi;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link JsonSyntax} takes exactly what RFC 8259 calls one JSON value. If this fails, check the branch of
 * {@code JsonSyntax.value} for the first character of the failing text.
 */
class JsonSyntaxTest {
    @ParameterizedTest
    @ValueSource(strings = {"0", "-0", "1.50", "1E2", "-1.5e-3", "2e+10", "\"\"", "\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\"",
        "\"\\u00e9\\uD83D\\uDE00\"", "\"caf\u00e9 \u2713\"", "true", "false", "null", "[]", "{}", " [1, [2, [3]], {}] ",
        "{\"a\":{\"b\":[true,false,null]},\"c\":\"}\"}", "\n\t{ \"k\" : -12.5e+3 }\r\n"})
    void acceptsOneJsonValue(String text) {
        assertThat(JsonSyntax.isOneValue(text.getBytes(StandardCharsets.UTF_8))).as(text).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "01", "1.", ".5", "+1", "1e", "-", "--1", "0x10", "NaN", "Infinity", "tru",
        "nul", "True", "'a'", "\"open", "\"bad \\x escape\"", "\"\\u12G4\"", "\"tab\there\"", "[1,]", "[,1]", "[1 2]",
        "{\"a\"}", "{\"a\":}", "{a:1}", "{\"a\":1,}", "{\"a\":1", "[1]]", "1 2", "{\"a\":1} {\"b\":2}", "hello",
        "{hello}"})
    void refusesAnythingElse(String text) {
        assertThat(JsonSyntax.isOneValue(text.getBytes(StandardCharsets.UTF_8))).as(text).isFalse();
    }

    @org.junit.jupiter.api.Test
    void nestingDeeperThanTheBoundIsNotTakenAndDoesNotOverflowTheStack() {
        String deep = "[".repeat(JsonSyntax.MAX_DEPTH) + "]".repeat(JsonSyntax.MAX_DEPTH);
        assertThat(JsonSyntax.isOneValue(deep.getBytes(StandardCharsets.UTF_8))).isTrue();
        String tooDeep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThat(JsonSyntax.isOneValue(tooDeep.getBytes(StandardCharsets.UTF_8))).isFalse();
    }
}
