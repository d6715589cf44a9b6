package dev.omnibus.tck;

import dev.omnibus.Delivery;
import dev.omnibus.DeliveryHandler;
import io.cloudevents.CloudEvent;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Records every delivery a kit subscription sees, then runs the test's behaviour; thread-safe. */
final class Recorder implements DeliveryHandler {
    /** One recorded delivery. */
    static final class Seen {
        final CloudEvent event;
        final String topic;
        final int attempt;
        final boolean raw;
        final long nanos;
        final Delivery delivery;

        Seen(Delivery d) {
            this.event = d.event();
            this.topic = d.topic();
            this.attempt = d.attempt();
            this.raw = d.isRaw();
            this.nanos = System.nanoTime();
            this.delivery = d;
        }

        String id() {
            return event.getId();
        }
    }

    private final List<Seen> seen = new ArrayList<>();
    private final DeliveryHandler behaviour;

    Recorder(DeliveryHandler behaviour) {
        this.behaviour = behaviour;
    }

    @Override
    public void handle(Delivery delivery) throws Exception {
        synchronized (this) {
            seen.add(new Seen(delivery));
        }
        behaviour.handle(delivery);
    }

    synchronized List<Seen> all() {
        return new ArrayList<>(seen);
    }

    synchronized int size() {
        return seen.size();
    }

    synchronized List<String> ids() {
        return seen.stream().map(Seen::id).collect(Collectors.toList());
    }

    synchronized Set<String> distinctIds() {
        return seen.stream().map(Seen::id).collect(Collectors.toCollection(LinkedHashSet::new));
    }

    synchronized long count(String id) {
        return seen.stream().filter(s -> s.id().equals(id)).count();
    }

    synchronized List<Seen> of(String id) {
        return seen.stream().filter(s -> s.id().equals(id)).collect(Collectors.toList());
    }

    synchronized boolean hasAll(Iterable<String> ids) {
        Set<String> have = distinctIds();
        for (String id : ids) {
            if (!have.contains(id)) {
                return false;
            }
        }
        return true;
    }

    synchronized Set<String> missing(Iterable<String> ids) {
        Set<String> have = distinctIds();
        Set<String> missing = new LinkedHashSet<>();
        for (String id : ids) {
            if (!have.contains(id)) {
                missing.add(id);
            }
        }
        return missing;
    }
}
