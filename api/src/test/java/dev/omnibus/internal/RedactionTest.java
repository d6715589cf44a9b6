package dev.omnibus.internal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RedactionTest {
    @Test
    void masksTheUserinfoPasswordAndSecretLookingParameters() {
        assertThat(Redaction.url("redis://:p%40ss@host:6379/0?client.name=x&password=y&sasl.jaas.config=z"))
                .isEqualTo("redis://:****@host:6379/0?client.name=x&password=****&sasl.jaas.config=****");
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
}
