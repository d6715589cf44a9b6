package dev.omnibus.spi;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link AttributeTemplates}: one template per combination, built once, found again by equal (not only identical)
 * attributes, absent attributes part of the combination, bounded. If this fails, check {@code get}'s last-entry check
 * ({@code Key.is}) against {@code Key.equals}/{@code hashCode}.
 */
class AttributeTemplatesTest {
    @Test
    void eachCombinationIsBuiltOnceAndFoundAgainByEqualAttributes() {
        AtomicInteger built = new AtomicInteger();
        AttributeTemplates<String> templates = new AttributeTemplates<>(k -> {
            built.incrementAndGet();
            return k.specVersion() + "|" + k.source() + "|" + k.type() + "|" + k.dataContentType() + "|"
                    + k.dataSchema();
        });
        String a = templates.get("1.0", "/s", "t", "text/plain", null);
        assertThat(a).isEqualTo("1.0|/s|t|text/plain|null");
        // equal strings that are other instances: the last entry matches by equals, not only by identity
        assertThat(templates.get(new String("1.0"), new String("/s"), new String("t"), new String("text/plain"), null))
                .isSameAs(a);
        String b = templates.get("1.0", "/s", "u", "text/plain", null);
        assertThat(b).isEqualTo("1.0|/s|u|text/plain|null");
        // back to the first combination: not the last one any more, so from the map, still not built again
        assertThat(templates.get("1.0", "/s", "t", "text/plain", null)).isSameAs(a);
        assertThat(templates.get("1.0", "/s", "u", "text/plain", null)).isSameAs(b);
        assertThat(built.get()).isEqualTo(2);
        assertThat(templates.size()).isEqualTo(2);
    }

    @Test
    void anAbsentAttributeIsPartOfTheCombination() {
        AttributeTemplates<List<String>> templates = new AttributeTemplates<>(k -> {
            List<String> out = new ArrayList<>();
            out.add(String.valueOf(k.dataContentType()));
            out.add(String.valueOf(k.dataSchema()));
            return out;
        });
        assertThat(templates.get("1.0", "/s", "t", null, null)).containsExactly("null", "null");
        assertThat(templates.get("1.0", "/s", "t", "text/plain", null)).containsExactly("text/plain", "null");
        assertThat(templates.get("1.0", "/s", "t", null, "/schema")).containsExactly("null", "/schema");
        assertThat(templates.get("1.0", "/s", "t", null, null)).containsExactly("null", "null");
        assertThat(templates.size()).isEqualTo(3);
    }

    @Test
    void pastTheBoundNewCombinationsGetNoTemplateAndKeptOnesStillDo() {
        AttributeTemplates<String> templates = new AttributeTemplates<>(AttributeTemplates.Key::source);
        for (int i = 0; i < AttributeTemplates.MAX; i++) {
            assertThat(templates.get("1.0", "/s/" + i, "t", null, null)).isEqualTo("/s/" + i);
        }
        assertThat(templates.get("1.0", "/s/new", "t", null, null)).as("a combination past the bound").isNull();
        assertThat(templates.get("1.0", "/s/7", "t", null, null)).isEqualTo("/s/7");
        assertThat(templates.size()).isEqualTo(AttributeTemplates.MAX);
    }

    @Test
    void keysAreEqualExactlyWhenEveryAttributeIs() {
        AttributeTemplates.Key k = new AttributeTemplates.Key("1.0", "/s", "t", "c", "d");
        assertThat(k).isEqualTo(new AttributeTemplates.Key("1.0", "/s", "t", "c", "d"))
                .hasSameHashCodeAs(new AttributeTemplates.Key("1.0", "/s", "t", "c", "d"));
        assertThat(k).isNotEqualTo(new AttributeTemplates.Key("1.0", "/s", "t", "c", null))
                .isNotEqualTo(new AttributeTemplates.Key("0.3", "/s", "t", "c", "d"))
                .isNotEqualTo(new AttributeTemplates.Key("1.0", "/s", "t", null, "d"))
                .isNotEqualTo("1.0");
        assertThat(k.toString()).contains("source=/s", "type=t");
    }

    @Test
    void aBuilderReturningNullOrNoBuilderIsRefusedByName() {
        assertThatThrownBy(() -> new AttributeTemplates<String>(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("build");
        AttributeTemplates<String> templates = new AttributeTemplates<>(k -> null);
        assertThatThrownBy(() -> templates.get("1.0", "/s", "t", null, null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("template builder returned null");
        assertThat(templates.size()).isZero();
    }

    @Test
    void threadsAskingForTheSameCombinationsGetOneTemplateEach() throws Exception {
        AtomicInteger built = new AtomicInteger();
        AttributeTemplates<Object> templates = new AttributeTemplates<>(k -> {
            built.incrementAndGet();
            return new Object();
        });
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<Object>>> seen = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                seen.add(pool.submit(() -> {
                    start.await();
                    List<Object> out = new ArrayList<>();
                    for (int i = 0; i < 10_000; i++) {
                        out.add(templates.get("1.0", "/s", "t" + (i % 3), null, null));
                    }
                    return out;
                }));
            }
            start.countDown();
            List<Object> first = seen.get(0).get(30, TimeUnit.SECONDS);
            for (Future<List<Object>> f : seen) {
                List<Object> got = f.get(30, TimeUnit.SECONDS);
                for (int i = 0; i < got.size(); i++) {
                    assertThat(got.get(i)).as("template %d", i).isSameAs(first.get(i % 3));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(built.get()).isEqualTo(3);
    }
}
