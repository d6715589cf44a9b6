/**
 * The backend SPI: what a broker module implements so that the portable layer in {@code dev.omnibus} can drive
 * it.
 *
 * <p>A backend is thin (Go CDK's driver split): it sends events, receives batches, settles messages with the
 * broker's own verbs, declares its {@link dev.omnibus.Capabilities} and classifies its errors. It never retries by
 * itself: validation, flow control, handler dispatch, ack bookkeeping, attempt counting where the broker keeps
 * none, dead-lettering where the broker has none, publish timeouts and the re-subscribe backoff all live once in
 * the portable layer.
 *
 * <p>Lifecycle: {@link dev.omnibus.spi.BackendProvider#open} once per {@link dev.omnibus.Omnibus}; then any number
 * of {@link dev.omnibus.spi.Backend#send} calls from any thread and {@link dev.omnibus.spi.Backend#receiver}
 * calls, each receiver driven by one library thread; {@link dev.omnibus.spi.Receiver#close()} for each receiver;
 * {@link dev.omnibus.spi.Backend#close()} last.
 */
package dev.omnibus.spi;
