package dev.omnibus.spi;

import dev.omnibus.InvalidArgumentException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopicsTest {
    @ParameterizedTest
    @CsvSource({
            "orders.created, orders.created, true",
            "orders.*.created, orders.eu.created, true",
            "orders.*.created, orders.eu.x.created, false",
            "orders.*.created, orders.created, false",
            "orders.*, orders, false",
            "orders.>, orders.a, true",
            "orders.>, orders.a.b.c, true",
            "orders.>, orders, false",
            ">, a, true",
            "*, a.b, false",
            "orders.ab, orders.a, false",
            "orders.a, orders.ab, false",
            "*.*, a.b, true",
    })
    void matchesLikeNats(String pattern, String topic, boolean expected) {
        assertThat(Topics.matches(pattern, topic)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"orders", "orders.created", "a-b_c.D9"})
    void acceptsPortableTopics(String topic) {
        assertThatCode(() -> Topics.validateTopic("topic", topic)).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"orders created", "orders..x", ".orders", "orders.", "orders.*", "orders.>", "tab\there",
            "orders/x", "é"})
    void refusesNonPortableTopicsNamingTheRule(String topic) {
        assertThatThrownBy(() -> Topics.validateTopic("topic", topic)).isInstanceOf(InvalidArgumentException.class)
                .hasMessageContaining("portable topic");
    }

    @ParameterizedTest
    @ValueSource(strings = {"orders.>.x", "orders.*x", "a.>.>"})
    void refusesMalformedPatterns(String pattern) {
        assertThatThrownBy(() -> Topics.validatePattern("pattern", pattern)).isInstanceOf(InvalidArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {249, 250})
    void limitsTheLength(int length) {
        String topic = "a".repeat(length);
        if (length <= Topics.MAX_LENGTH) {
            assertThatCode(() -> Topics.validateTopic("topic", topic)).doesNotThrowAnyException();
        } else {
            assertThatThrownBy(() -> Topics.validateTopic("topic", topic)).hasMessageContaining("250 characters");
        }
    }
}
