package dev.omnibus.internal;

import dev.omnibus.ConfigOption;
import dev.omnibus.ErrorCode;
import dev.omnibus.OmnibusException;
import dev.omnibus.spi.Backend;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.BackendProvider;

import java.util.List;

/**
 * Scheme {@code cfgtest}: declares options (and the pass-through prefix {@code client.}) for configuration tests;
 * refuses to open (no broker behind it).
 */
public final class ConfigOnlyProvider implements BackendProvider {
    static final ConfigOption<Integer> BATCH = ConfigOption.integer("batch.size", 10, 1, 1000, "batch size");
    static final ConfigOption<String> PASSWORD = ConfigOption.secret("password", "broker password");

    @Override
    public String scheme() {
        return "cfgtest";
    }

    @Override
    public List<ConfigOption<?>> options() {
        return List.of(BATCH, PASSWORD);
    }

    @Override
    public String passThroughPrefix() {
        return "client.";
    }

    @Override
    public Backend open(BackendContext context) {
        if (context.get(BATCH) == 999) {
            // a careless client: its exception quotes the address it was given, password and all
            throw new IllegalStateException("client could not reach " + context.address() + " with "
                    + context.passThrough());
        }
        throw new OmnibusException(ErrorCode.UNAVAILABLE, "cfgtest has no broker");
    }
}
