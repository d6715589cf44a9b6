package dev.omnibus.kafka.internal;

import dev.omnibus.spi.Topics;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The regex of a pattern subscription matches exactly what {@link Topics#matches} does. */
class WildcardRegexTest {
    private static final List<String> TOPICS = List.of("orders", "orders.created", "orders.eu.created",
            "orders.eu.x.created", "orders.eu", "ordersXeu.created", "orders.eu.createdX", "other.eu.created",
            "orders.a-b_c.created");

    @Test
    void R19_translatedPatternsMatchLikeThePortableRule() {
        for (String pattern : List.of("orders.*.created", "orders.>", "orders.*", "*.eu.created", "orders.created",
                "orders.*.>", "*")) {
            Pattern regex = Pattern.compile(WildcardRegex.toRegex(pattern));
            for (String topic : TOPICS) {
                assertThat(regex.matcher(topic).matches()).as("'" + pattern + "' against '" + topic + "'")
                        .isEqualTo(Topics.matches(pattern, topic));
            }
        }
    }

    @Test
    void R19_literalTokensAreQuoted() {
        assertThat(Pattern.compile(WildcardRegex.toRegex("a.*")).matcher("aXb").matches()).isFalse();
        assertThat(Pattern.compile(WildcardRegex.toRegex("a-b.*")).matcher("a-b.c").matches()).isTrue();
    }
}
