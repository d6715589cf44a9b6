package dev.omnibus.redis;

import dev.omnibus.ConfigOption;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;

import java.util.List;

/**
 * The Redis Streams backend over TLS, scheme {@value RedisBackendProvider#TLS_SCHEME}; stateless and thread-safe.
 * Everything else (mapping, options, threads) is as for {@link RedisBackendProvider}.
 */
public final class RedissBackendProvider implements BackendProvider {
    private final RedisBackendProvider plain = new RedisBackendProvider();

    @Override
    public String scheme() {
        return RedisBackendProvider.TLS_SCHEME;
    }

    @Override
    public List<ConfigOption<?>> options() {
        return plain.options();
    }

    @Override
    public Backend open(BackendContext context) {
        return plain.open(context);
    }
}
