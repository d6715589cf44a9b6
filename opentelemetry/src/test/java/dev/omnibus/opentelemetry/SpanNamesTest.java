package dev.omnibus.opentelemetry;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link SpanNames}: the operation and the topic, kept once per topic up to its bound. */
class SpanNamesTest {
    @Test
    void namesAreTheOperationAndTheTopicKeptOncePerTopic() {
        SpanNames names = new SpanNames("send ");
        assertThat(names.of("orders")).isEqualTo("send orders");
        assertThat(names.of(new String("orders"))).isSameAs(names.of("orders"));
        assertThat(names.size()).isEqualTo(1);
    }

    @Test
    void pastItsBoundNamesAreStillRightButNotKept() {
        SpanNames names = new SpanNames("process ");
        for (int i = 0; i < SpanNames.MAX + 500; i++) {
            assertThat(names.of("t" + i)).isEqualTo("process t" + i);
        }
        assertThat(names.size()).isEqualTo(SpanNames.MAX);
        assertThat(names.of("t" + (SpanNames.MAX + 1))).isEqualTo("process t" + (SpanNames.MAX + 1));
    }
}
