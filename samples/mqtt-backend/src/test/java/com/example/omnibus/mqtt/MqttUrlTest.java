package com.example.omnibus.mqtt;

import dev.omnibus.ConfigException;
import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a wrong {@code mqtt://} URL or an unreachable broker does at connect: typed, clear, no password shown. */
class MqttUrlTest {
    @Test
    void aUrlWithoutHostSaysWhatIsExpected() {
        assertThatThrownBy(() -> Omnibus.connect("mqtt://")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("has no host").hasMessageContaining("mqtt://[user[:password]@]host[:port]");
    }

    @Test
    void severalHostsAreRefused() {
        assertThatThrownBy(() -> Omnibus.connect("mqtt://a:1883,b:1883")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("more than one host");
    }

    @Test
    void aBadPortIsNamedAndThePasswordIsNot() {
        assertThatThrownBy(() -> Omnibus.connect("mqtt://user:s3cret@127.0.0.1:99999"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'99999'").hasMessageContaining("1 to 65535")
                .satisfies(e -> assertThat(e.toString()).doesNotContain("s3cret"));
    }

    @Test
    void anUnreachableBrokerIsUnavailableAndRetryable() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort(); // closed again: nothing listens there
        }
        int closedPort = port;
        assertThatThrownBy(() -> Omnibus.connect("mqtt://user:s3cret@127.0.0.1:" + closedPort))
                .isInstanceOfSatisfying(OmnibusException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
                    assertThat(e.isRetryable()).isTrue();
                    assertThat(e.toString()).doesNotContain("s3cret");
                });
    }
}
