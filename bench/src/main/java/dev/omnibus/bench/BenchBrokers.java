package dev.omnibus.bench;

import dev.omnibus.kafka.KafkaHarness;
import dev.omnibus.tck.BrokerProcess;

import java.io.IOException;
import java.util.List;

/**
 * The brokers the benchmarks start for themselves, each on a free loopback port with a temporary directory (never
 * the machine's own service), configured the same way for every benchmark that uses them. Stateless; stop what it
 * returns with {@link BrokerProcess#stop()}.
 */
final class BenchBrokers {
    private BenchBrokers() {
    }

    /** {@code nats-server -js} with its store in the temporary directory; ready once it greets with INFO. */
    static BrokerProcess natsServer() throws IOException, InterruptedException {
        return BrokerProcess.builder("nats-server")
                .command(p -> List.of("nats-server", "-a", "127.0.0.1", "-p", String.valueOf(p.port()), "-js",
                        "-sd", p.dir().resolve("store").toString()))
                .probe("greets with INFO", BrokerProcess.Probe.replies("", "INFO"))
                .installHint("apt-get install -y nats-server").start();
    }

    /**
     * The Kafka broker's JVM options here: both compilers, G1 and a 1 GiB heap touched up front (as {@link SteadyHeap}
     * does for the benchmark JVM), not the harness' quick-to-start test options (client compiler only, 512 MiB serial
     * heap), under which the broker rather than either client set the pace and kept speeding up for minutes.
     */
    static final List<String> KAFKA_JVM = List.of("-Xms1g", "-Xmx1g", SteadyHeap.PRE_TOUCH, SteadyHeap.HUGE_PAGES,
            "-Xss1m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");

    /** A single-node KRaft broker ({@link KafkaHarness}, not started yet) whose URLs carry {@code urlOptions}. */
    static KafkaHarness kafka(String urlOptions) {
        return new KafkaHarness(urlOptions, KAFKA_JVM);
    }

    /** {@code redis-server} without persistence; ready once it answers PING. */
    static BrokerProcess redisServer() throws IOException, InterruptedException {
        return BrokerProcess.builder("redis-server")
                .command(p -> List.of("redis-server", "--port", String.valueOf(p.port()), "--bind", "127.0.0.1",
                        "--save", "", "--appendonly", "no", "--dir", p.dir().toString(), "--daemonize", "no"))
                .probe("answers PING", BrokerProcess.Probe.replies("PING\r\n", "+PONG"))
                .installHint("apt-get install -y redis-server").start();
    }
}
