package dev.omnibus.rabbitmq;

import dev.omnibus.ConfigOption;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;

import java.util.List;

/**
 * The RabbitMQ backend over TLS, scheme {@value RabbitBackendProvider#TLS_SCHEME} (port 5671 by default); stateless
 * and thread-safe. Everything else (mapping, options, threads) is as for {@link RabbitBackendProvider}.
 */
public final class RabbitTlsBackendProvider implements BackendProvider {
    private final RabbitBackendProvider plain = new RabbitBackendProvider();

    @Override
    public String scheme() {
        return RabbitBackendProvider.TLS_SCHEME;
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
