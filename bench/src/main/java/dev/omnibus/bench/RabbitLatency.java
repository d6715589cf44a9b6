package dev.omnibus.bench;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.omnibus.rabbitmq.RabbitBackendProvider;
import dev.omnibus.rabbitmq.RabbitHarness;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The latency comparison on RabbitMQ: a {@code rabbitmq-server} node of its own (the kit's {@link RabbitHarness}),
 * the raw amqp-client against Omnibus ({@code amqp://}, a group, whose queue is a durable classic queue). Raw
 * publishes persistent messages with the binding's {@code cloudEvents_*} headers, content type and message id to
 * Omnibus' topic exchange on a channel in confirm mode (confirms counted, not awaited), and consumes from a durable
 * queue bound to its routing key with {@code basic.qos} 1000, acking each delivery after handing it on. Stateless;
 * see {@link LatencyRatios}.
 */
final class RabbitLatency {
    private RabbitLatency() {
    }

    /** Starts the node and both clients. */
    static LatencyBackend start() throws Exception {
        RabbitHarness node = new RabbitHarness();
        node.start();
        return LatencyBackend.open("rabbitmq", node::stop, () -> new Raw(node.url(), "latraw"),
                () -> new OmnibusLatencyClient(node.url() + "?instrumentation=none", "latomnibus", "lat"));
    }

    /** Raw amqp-client. */
    private static final class Raw extends LatencyClient {
        private final Connection connection;
        private final Channel publishing;
        private final String routingKey;
        private long ids;

        Raw(String url, String routingKey) throws Exception {
            super("raw");
            ConnectionFactory f = new ConnectionFactory();
            f.setUri(url);
            f.setAutomaticRecoveryEnabled(false);
            this.connection = f.newConnection("latency-raw");
            this.routingKey = routingKey;
            this.publishing = connection.createChannel();
            publishing.exchangeDeclare(RabbitBackendProvider.DEFAULT_EXCHANGE, "topic", true); // as Omnibus does
            publishing.confirmSelect();
            publishing.addConfirmListener(new ConfirmListener() {
                @Override
                public void handleAck(long deliveryTag, boolean multiple) {
                }

                @Override
                public void handleNack(long deliveryTag, boolean multiple) {
                    failed();
                }
            });
        }

        @Override
        public void subscribe(Consumer<byte[]> sink) throws Exception {
            Channel channel = connection.createChannel();
            channel.queueDeclare(routingKey, true, false, false, Map.of());
            channel.queueBind(routingKey, RabbitBackendProvider.DEFAULT_EXCHANGE, routingKey);
            channel.basicQos(1000);
            channel.basicConsume(routingKey, false, (tag, delivery) -> {
                sink.accept(delivery.getBody());
                channel.basicAck(delivery.getEnvelope().getDeliveryTag(), false);
            }, tag -> { });
        }

        @Override
        public void send(byte[] payload) throws Exception {
            String id = "lat-" + ids++;
            Map<String, Object> headers = new HashMap<>();
            headers.put("cloudEvents_specversion", "1.0");
            headers.put("cloudEvents_id", id);
            headers.put("cloudEvents_source", "/omnibus/bench");
            headers.put("cloudEvents_type", "dev.omnibus.bench.tick");
            publishing.basicPublish(RabbitBackendProvider.DEFAULT_EXCHANGE, routingKey,
                    new AMQP.BasicProperties.Builder().contentType("application/octet-stream").deliveryMode(2)
                            .messageId(id).headers(headers).build(), payload);
        }

        @Override
        public void close() {
            connection.abort(2_000);
        }
    }
}
