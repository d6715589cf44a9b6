package com.example.omnibus.mqtt;

import dev.omnibus.tck.BrokerProcess;
import dev.omnibus.tck.TckHarness;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The kit's broker: a Mosquitto of its own (never the machine's on 1883) on a free loopback port, with a generated
 * configuration file and its persistence in a temporary dir, restartable with {@code kill -9} for R17, R18 and R23.
 * Used by one kit thread at a time, as {@link TckHarness} says.
 */
final class MosquittoHarness implements TckHarness {
    /**
     * What the harness changes from Mosquitto's defaults, for the report: the per-client queue (1,000 QoS 1 messages
     * by default, beyond which Mosquitto drops them for a client that falls behind) is raised so that R16's 1,600
     * concurrent events reach a subscriber on a loaded machine; at the default, a slow consumer loses what exceeds it.
     */
    private static final Map<String, String> SETTINGS = Map.of("max_queued_messages", "100000");

    private BrokerProcess broker;

    @Override
    public String backendName() {
        return MqttBackend.NAME;
    }

    @Override
    public void start() throws Exception {
        broker = BrokerProcess.builder("mosquitto")
                .command(p -> List.of("mosquitto", "-c", p.dir().resolve("mosquitto.conf").toString()))
                .probe("logs that it is running", BrokerProcess.Probe.logShows(" running"))
                .installHint("apt-get install -y mosquitto")
                .build();
        StringBuilder conf = new StringBuilder()
                .append("listener ").append(broker.port()).append(" 127.0.0.1\n")
                .append("allow_anonymous true\n")
                .append("persistence true\n")
                .append("persistence_location ").append(broker.dir()).append("/\n");
        SETTINGS.forEach((k, v) -> conf.append(k).append(' ').append(v).append('\n'));
        Files.writeString(broker.dir().resolve("mosquitto.conf"), conf);
        broker.start();
    }

    @Override
    public void stop() throws Exception {
        if (broker != null) {
            broker.stop();
        }
    }

    @Override
    public String url() {
        return "mqtt://127.0.0.1:" + broker.port();
    }

    @Override
    public String brokerVersion() {
        // "mosquitto version 2.0.11" is the first line of its help
        return BrokerProcess.versionOf("mosquitto", "-h");
    }

    @Override
    public Map<String, String> brokerSettings() {
        return SETTINGS;
    }

    /**
     * Mosquitto's in-flight window per client (max_inflight_messages, 20 by default), which an MQTT 3.1.1 client
     * cannot set from maxInFlight: R25 fails three of these windows' worth of deliveries.
     */
    @Override
    public int brokerWindow() {
        return 20;
    }

    /** MQTT 3.1.1 has no headers: only the body goes to the broker. */
    @Override
    public void injectRaw(String topic, byte[] body, Map<String, String> headers) throws Exception {
        MqttClient raw = new MqttClient("tcp://127.0.0.1:" + broker.port(), "raw-" + UUID.randomUUID()
                .toString().substring(0, 8), new MemoryPersistence());
        try {
            MqttConnectOptions options = new MqttConnectOptions();
            options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
            raw.connect(options);
            raw.publish(StructuredCodec.toMqtt(topic), body, 1, false);
            raw.disconnect();
        } finally {
            raw.close();
        }
    }

    /** Anything but the separator {@code /}, the wildcards {@code + #} and NUL is allowed in an MQTT topic level. */
    @Override
    public String oddestTopicToken() {
        return "odd |%\"'é~$";
    }

    @Override
    public String faultsUnsupportedReason() {
        return null;
    }

    @Override
    public void restartBroker() throws Exception {
        broker.restart();
    }

    @Override
    public InetSocketAddress brokerAddress() {
        return broker.address();
    }

    @Override
    public String url(InetSocketAddress proxy) {
        return "mqtt://127.0.0.1:" + proxy.getPort();
    }
}
