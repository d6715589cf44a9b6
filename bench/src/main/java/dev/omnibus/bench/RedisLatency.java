package dev.omnibus.bench;

import dev.omnibus.tck.BrokerProcess;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The latency comparison on Redis Streams: a {@code redis-server} of its own, raw Lettuce against Omnibus
 * ({@code redis://}, a group). Raw writes the entry fields Omnibus writes (binary mode, see
 * {@link RedisStreamsBenchmark}) with {@code XADD} on an auto-flushing connection, and reads on its own thread with
 * {@code XREADGROUP COUNT 256 BLOCK 100}, then one {@code XACK} for what it read. Stateless; see
 * {@link LatencyRatios}.
 */
final class RedisLatency {
    private static final byte[] DATA = b("data");

    private RedisLatency() {
    }

    /** Starts the server and both clients. */
    static LatencyBackend start() throws Exception {
        BrokerProcess server = BenchBrokers.redisServer();
        String url = "redis://127.0.0.1:" + server.port();
        return LatencyBackend.open("redis", server::stop, () -> new Raw(url, "latraw"),
                () -> new OmnibusLatencyClient(url + "?instrumentation=none", "latomnibus", "lat"));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Raw Lettuce. */
    private static final class Raw extends LatencyClient {
        private final RedisClient client;
        private final StatefulRedisConnection<byte[], byte[]> publishing;
        private final StatefulRedisConnection<byte[], byte[]> reading;
        private final byte[] key;
        private long ids;

        Raw(String url, String key) {
            super("raw");
            this.client = RedisClient.create(RedisURI.create(url));
            this.publishing = client.connect(ByteArrayCodec.INSTANCE);
            this.reading = client.connect(ByteArrayCodec.INSTANCE);
            this.key = b(key);
        }

        @Override
        public void subscribe(Consumer<byte[]> sink) {
            RedisCommands<byte[], byte[]> sync = reading.sync();
            byte[] group = b("lat");
            sync.xgroupCreate(XReadArgs.StreamOffset.from(key, "$"), group, XGroupCreateArgs.Builder.mkstream());
            io.lettuce.core.Consumer<byte[]> consumer = io.lettuce.core.Consumer.from(group, b("raw"));
            XReadArgs args = XReadArgs.Builder.count(256).block(100);
            XReadArgs.StreamOffset<byte[]> undelivered = XReadArgs.StreamOffset.lastConsumed(key);
            startReading("latency-raw-redis", () -> {
                List<StreamMessage<byte[], byte[]>> batch = sync.xreadgroup(consumer, args, undelivered);
                if (batch.isEmpty()) {
                    return;
                }
                String[] ids = new String[batch.size()];
                for (int i = 0; i < ids.length; i++) {
                    StreamMessage<byte[], byte[]> m = batch.get(i);
                    ids[i] = m.getId();
                    // byte[] keys have identity equality: find the field by content
                    for (Map.Entry<byte[], byte[]> field : m.getBody().entrySet()) {
                        if (Arrays.equals(field.getKey(), DATA)) {
                            sink.accept(field.getValue());
                        }
                    }
                }
                sync.xack(key, group, ids);
            });
        }

        @Override
        public void send(byte[] payload) {
            Map<byte[], byte[]> fields = new LinkedHashMap<>();
            fields.put(b("ce-specversion"), b("1.0"));
            fields.put(b("ce-id"), b("lat-" + ids++));
            fields.put(b("ce-source"), b("/omnibus/bench"));
            fields.put(b("ce-type"), b("dev.omnibus.bench.tick"));
            fields.put(b("content-type"), b("application/octet-stream"));
            fields.put(DATA, payload);
            publishing.async().xadd(key, fields).whenComplete(this::confirmed);
        }

        @Override
        public void close() throws Exception {
            stopReading(Duration.ofSeconds(5));
            publishing.close();
            reading.close();
            client.shutdown();
        }
    }
}
