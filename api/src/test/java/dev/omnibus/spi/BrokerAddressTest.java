package dev.omnibus.spi;

import dev.omnibus.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BrokerAddressTest {
    @Test
    void hostsPortsCredentialsAndPath() {
        BrokerAddress a = BrokerAddress.parse("amqp", "alice:s3cr/t@h1:5673, h2,[::1]:5674,[fe80::2]/my%2Fvhost", 5672);
        assertThat(a.hosts()).containsExactly(new BrokerAddress.HostPort("h1", 5673),
                new BrokerAddress.HostPort("h2", 5672), new BrokerAddress.HostPort("::1", 5674),
                new BrokerAddress.HostPort("fe80::2", 5672));
        assertThat(a.hostList()).isEqualTo("h1:5673,h2:5672,[::1]:5674,[fe80::2]:5672");
        assertThat(a.path()).isEqualTo("my%2Fvhost");
        assertThat(a.userInfo().user()).hasValue("alice");
        assertThat(a.userInfo().password()).hasValue("s3cr/t");
        assertThat(a.toString()).doesNotContain("s3cr").doesNotContain("alice").startsWith("amqp://****@h1:5673");
    }

    @Test
    void aTrailingSlashIsNoPath() {
        assertThat(BrokerAddress.parse("nats", "localhost/", 4222).requireNoPath().hostList())
                .isEqualTo("localhost:4222");
        assertThatThrownBy(() -> BrokerAddress.parse("kafka", "u:pw@k1:9092/x", 9092).requireNoPath())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka://****@k1:9092/x' has the path '/x', which kafka:// URLs do not take")
                .hasMessageNotContaining("pw");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                  | names no host",
        "'  '                | names no host",
        "/vhost              | names no host",
        "h1,,h2              | has an empty host in its list",
        ":4222               | has an entry without a host",
        "h:0                 | has the port '0' for 'h', which is not a number from 1 to 65535",
        "h:65536             | has the port '65536'",
        "h:x1                | has the port 'x1'",
        "h:                  | has the port ''",
        "::1                 | an IPv6 address goes in brackets",
        "[::1                | not an IPv6 literal in brackets",
        "[::1]x              | not an IPv6 literal in brackets",
    })
    void badAddressesSayWhatIsWrong(String address, String message) {
        assertThatThrownBy(() -> BrokerAddress.parse("nats", "u:pw@" + address, 4222))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(message)
                .hasMessageNotContaining(":pw");
    }

    @Test
    void hostPortChecksItsParts() {
        assertThatThrownBy(() -> new BrokerAddress.HostPort("", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BrokerAddress.HostPort("h", 70000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BrokerAddress.parse("nats", "h", 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
