package dev.omnibus.cli;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class ScrubberTest {
    /** Property: a generated password, raw or decoded, never survives in text a client might print. */
    @Test
    void noGeneratedPasswordSurvivesInPrintedText() {
        String alphabet = "abcXYZ0189/?#@:+&=;,$!*'()[]~";
        Random random = new Random(15);
        for (int i = 0; i < 5_000; i++) {
            StringBuilder pw = new StringBuilder("S3");
            for (int j = 0, n = 4 + random.nextInt(16); j < n; j++) {
                pw.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String password = pw.append("Q9").toString();
            String url = "redis://alice:" + password + "@127.0.0.1:6379?client.name=x";
            Scrubber scrubber = Scrubber.of(List.of("publish", "--url", url, "--topic", "t"), Map.of());
            String printed = scrubber.scrub("io.lettuce.core.RedisConnectionException: Unable to connect to " + url
                    + "\n\tcaused by: WRONGPASS for alice with " + password);
            assertThat(printed).as(url).doesNotContain(password).contains("127.0.0.1:6379");
        }
    }

    @Test
    void secretOptionsAndTheEnvironmentAreScrubbedToo() {
        Scrubber scrubber = Scrubber.of(List.of("-o", "kafka.sasl.jaas.config=jaas-secret", "-o", "batch.size=100"),
                Map.of("OMNIBUS_URL", "nats://tok3n-value@host", "OMNIBUS_KAFKA_SSL_KEY_PASSWORD", "key-pass"));
        assertThat(scrubber.scrub("jaas-secret tok3n-value key-pass batch 100"))
                .isEqualTo("**** **** **** batch 100");
    }
}
