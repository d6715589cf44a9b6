package dev.omnibus.internal;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RedactionTest {
    @Test
    void masksTheUserinfoPasswordAndSecretLookingParameters() {
        assertThat(Redaction.url("redis://:p%40ss@host:6379/0?client.name=x&password=y&sasl.jaas.config=z"))
                .isEqualTo("redis://****@host:6379/0?client.name=x&password=****&sasl.jaas.config=****");
        assertThat(Redaction.url("nats://token@host:4222")).isEqualTo("nats://****@host:4222");
        assertThat(Redaction.url("kafka://host:9092?apiKey=k&api.key=k2")).isEqualTo(
                "kafka://host:9092?apiKey=****&api.key=****");
    }

    @Test
    void leavesUrlsWithoutSecretsAlone() {
        assertThat(Redaction.url("mem://")).isEqualTo("mem://");
        assertThat(Redaction.url("kafka://a:9092,b:9092/x?retention=5")).isEqualTo("kafka://a:9092,b:9092/x?retention=5");
        assertThat(Redaction.url(null)).isEqualTo("null");
    }

    /**
     * Property: whatever a generated password holds (every reserved and control character, percent escapes, '@'),
     * neither it nor any 4-character piece of it that is not also in the rest of the URL survives redaction.
     */
    @Test
    void noGeneratedPasswordSurvivesRedaction() {
        String alphabet = "abcXYZ0189/?#@:%+&=;,$!*'()[] ~\"\u00e9\u4e2d\n\t";
        java.util.Random random = new java.util.Random(14);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder pw = new StringBuilder();
            int length = 6 + random.nextInt(20);
            for (int j = 0; j < length; j++) {
                pw.append(random.nextInt(8) == 0 ? "%2F" : String.valueOf(alphabet.charAt(random.nextInt(alphabet.length()))));
            }
            String password = "S3" + pw + "Q9";
            String scheme = List.of("nats", "redis", "kafka", "jetstream", "rediss").get(random.nextInt(5));
            String host = random.nextBoolean() ? "host:4222" : "h1:1,h2:2/db";
            String query = random.nextBoolean() ? "" : "?batch.size=3&client.name=app";
            for (String url : List.of(scheme + "://alice:" + password + "@" + host + query,
                    scheme + "://" + password + "@" + host + query,
                    scheme + "://:" + password + "@" + host + query)) {
                String shown = Redaction.url(url);
                assertThat(shown).as("redacted %s", url).doesNotContain("S3").doesNotContain("Q9")
                        .endsWith("@" + host + query);
            }
        }
    }

    @Test
    void printableEscapesControlCharactersAndBoundsLength() {
        assertThat(Redaction.printable("id-1")).isEqualTo("id-1");
        assertThat(Redaction.printable("a\nFAKE LOG LINE\r\t\u0000\u001b[31m\u0085\u2028")).isEqualTo(
                "a\\nFAKE LOG LINE\\r\\t\\u0000\\u001b[31m\\u0085\\u2028");
        assertThat(Redaction.printable("x".repeat(300))).startsWith("x".repeat(256)).endsWith("(44 more)");
        assertThat(Redaction.printable(null)).isEqualTo("null");
    }

    @Test
    void anAtInTheQueryMasksMoreNotLess() {
        assertThat(Redaction.url("redis://u:pw@host?client.name=a@b")).doesNotContain("pw").endsWith("@b");
    }
}
