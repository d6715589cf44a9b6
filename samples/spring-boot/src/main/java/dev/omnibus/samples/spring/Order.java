package dev.omnibus.samples.spring;

/** The event data: the JSON of an {@code orders.created} event. */
public record Order(String id, String product, int quantity) {
}
