package com.example.omnibus.mqtt;

import dev.omnibus.Config;
import dev.omnibus.ConnectionState;
import dev.omnibus.Omnibus;
import dev.omnibus.SubscribeOptions;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;

/**
 * A reconnect attempt that never gets its CONNACK (a relay takes the connection and never answers) is dropped
 * after twice the publish timeout and the loop goes on: Paho bounds only the TCP connect, and the loop used to wait
 * for that attempt forever (the kit's R18 once saw a subscription stay down after a cut). If this fails, check
 * {@code MqttConnection.reconnect}'s deadline.
 */
class StuckReconnectTest {
    private static final MosquittoHarness HARNESS = new MosquittoHarness();

    @BeforeAll
    static void startBroker() throws Exception {
        HARNESS.start();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        HARNESS.stop();
    }

    @Test
    void anAttemptThatIsNeverAnsweredDoesNotEndTheReconnectLoop() throws Exception {
        String topic = "sample.stuck." + UUID.randomUUID().toString().substring(0, 8);
        List<String> received = new CopyOnWriteArrayList<>();
        try (Relay relay = new Relay(HARNESS.brokerAddress());
             Omnibus bus = Omnibus.connect(Config.builder().url(HARNESS.url(relay.address()))
                     .property("publish.timeout", "1s").property("reconnect.max", "200ms").useEnvironment(false)
                     .build());
             Omnibus direct = Omnibus.connect(HARNESS.url())) {
            bus.subscriber().subscribe(SubscribeOptions.topic(topic), d -> received.add(d.event().getId()));
            relay.swallowNew(true);
            relay.cutAll();
            await().atMost(Duration.ofSeconds(10)).until(() -> bus.connectionState() == ConnectionState.DISCONNECTED);
            // an attempt is taken and never answered; the later ones go through
            await().atMost(Duration.ofSeconds(10)).until(() -> relay.swallowed() > 0);
            relay.swallowNew(false);
            await("the connection back after a stuck attempt").atMost(Duration.ofSeconds(15))
                    .until(() -> bus.connectionState() == ConnectionState.RECONNECTED);
            await("the subscription receives again").atMost(Duration.ofSeconds(15))
                    .pollInterval(Duration.ofMillis(200)).until(() -> {
                        String id = "probe-" + UUID.randomUUID();
                        direct.publisher().publish(topic, CloudEventBuilder.v1().withId(id)
                                .withSource(URI.create("/sample")).withType("t").build()).toCompletableFuture()
                                .get(5, TimeUnit.SECONDS);
                        return !received.isEmpty();
                    });
        }
    }

    /**
     * A loopback relay to the broker that can swallow new connections: taken, read and never answered, for as long
     * as they stay open (unlike the kit's FaultProxy, whose stalled connections flow again once it passes).
     */
    private static final class Relay implements AutoCloseable {
        private final InetSocketAddress target;
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        private final AtomicInteger swallowed = new AtomicInteger();
        private volatile boolean swallow;

        Relay(InetSocketAddress target) throws IOException {
            this.target = target;
            Thread acceptor = new Thread(this::accept, "sample-relay");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.getLocalSocketAddress();
        }

        void swallowNew(boolean on) {
            swallow = on;
        }

        int swallowed() {
            return swallowed.get();
        }

        void cutAll() {
            sockets.forEach(Relay::closeQuietly);
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    sockets.add(client);
                    if (swallow) {
                        swallowed.incrementAndGet();
                        pump(client.getInputStream(), OutputStream.nullOutputStream(), client);
                    } else {
                        Socket upstream = new Socket(target.getAddress(), target.getPort());
                        sockets.add(upstream);
                        pump(client.getInputStream(), upstream.getOutputStream(), upstream);
                        pump(upstream.getInputStream(), client.getOutputStream(), client);
                    }
                } catch (IOException e) {
                    // closed
                }
            }
        }

        private static void pump(InputStream in, OutputStream out, Socket other) {
            Thread t = new Thread(() -> {
                try {
                    in.transferTo(out);
                } catch (IOException e) {
                    // a side closed
                } finally {
                    closeQuietly(other);
                }
            }, "sample-relay-pump");
            t.setDaemon(true);
            t.start();
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException e) {
                // already closed
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            cutAll();
        }
    }
}
