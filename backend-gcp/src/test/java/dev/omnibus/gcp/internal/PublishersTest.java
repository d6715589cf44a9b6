package dev.omnibus.gcp.internal;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PublishersTest {
    private final AtomicLong now = new AtomicLong();
    private final List<String> created = new ArrayList<>();
    private final Publishers<String> publishers = new Publishers<>(t -> {
        if (t.equals("broken")) {
            throw new IOException("no client");
        }
        created.add(t);
        return "publisher-of-" + t + "-" + created.size();
    }, 1000, 100, now::get);

    @Test
    void idlePublishersWithNothingInUseAreEvictedAndMadeAgainOnUse() throws IOException {
        Publishers.Entry<String> a = publishers.use("a");
        Publishers.Entry<String> b = publishers.use("b");
        publishers.done(a);
        now.addAndGet(100);
        // b is still in use: only a goes, however idle
        assertThat(publishers.evictIdle()).containsExactly("publisher-of-a-1");
        assertThat(publishers.size()).isEqualTo(1);
        publishers.done(b);
        now.addAndGet(99);
        assertThat(publishers.evictIdle()).isEmpty();
        now.addAndGet(1);
        assertThat(publishers.evictIdle()).containsExactly("publisher-of-b-2");
        assertThat(publishers.use("a").publisher).isEqualTo("publisher-of-a-3");
    }

    @Test
    void theByteBudgetIsSharedByAllTopics() {
        assertThat(publishers.reserve(600)).isTrue();
        assertThat(publishers.reserve(500)).isFalse();
        assertThat(publishers.reserve(400)).isTrue();
        assertThat(publishers.reservedBytes()).isEqualTo(1000);
        publishers.release(600);
        assertThat(publishers.reserve(500)).isTrue();
        // one message larger than the budget takes all of it, not more (the server refuses over 10 MB anyway)
        publishers.release(500);
        publishers.release(400);
        assertThat(publishers.reserve(5000)).isTrue();
        publishers.release(5000);
        assertThat(publishers.reservedBytes()).isZero();
    }

    @Test
    void aPublisherThatCannotBeMadeFailsThatUseOnly() throws IOException {
        assertThatThrownBy(() -> publishers.use("broken")).isInstanceOf(IOException.class);
        assertThat(publishers.size()).isZero();
        assertThat(publishers.use("fine").publisher).isEqualTo("publisher-of-fine-1");
        assertThat(publishers.removeAll()).containsExactly("publisher-of-fine-1");
    }
}
