/**
 * The seam between the two NATS backends: what {@code backend-jetstream} takes from {@code backend-nats}, and
 * nothing else. {@link dev.omnibus.nats.shared.NatsConnector} owns the jnats connection (URL parsing, credentials,
 * reconnect policy and state reporting, serialized flushes); {@link dev.omnibus.nats.shared.NatsWire} maps events to
 * messages and back, and sizes the data limit.
 *
 * <p>Not API: public only because Java packages cannot be shared between two modules otherwise. It may change in
 * any release together with {@code backend-jetstream}, which is released with it; applications and other backends
 * must not use it ({@code NatsSeamTest} checks that only these two modules' classes refer to it). Everything else of
 * {@code backend-nats} ({@code dev.omnibus.nats.internal}) is private to NATS core.
 */
package dev.omnibus.nats.shared;
