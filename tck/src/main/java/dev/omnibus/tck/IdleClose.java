package dev.omnibus.tck;

import dev.omnibus.Omnibus;
import dev.omnibus.SubscribeOptions;
import dev.omnibus.Subscription;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import org.awaitility.Awaitility;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * For a backend's own tests (not a kit rule: a driver that cannot be woken may rightly wait out its receive call):
 * how long closing idle subscriptions one after another takes, which {@link dev.omnibus.spi.Receiver#wakeup()}
 * keeps to milliseconds instead of up to the library's 100 ms receive wait each. It also checks that waking one
 * subscription disturbs no other: the member of a group whose sibling was closed still receives.
 *
 * <p>Stateless; each call opens its own subscriptions on {@code bus} and closes them.
 */
public final class IdleClose {
    private IdleClose() {
    }

    /**
     * Opens {@code n} idle subscriptions on topics {@code prefix + "." + i} and two members of group {@code g} on
     * {@code prefix + ".g"}, closes the {@code n} and one member one by one (each close must report a clean drain),
     * then publishes to the group topic and waits up to 30 s for the member left to receive it.
     *
     * @return how long the {@code n + 1} closes took, back to back
     * @throws AssertionError when a close reports an unclean drain, or the member left receives nothing
     */
    public static Duration closeOneByOne(Omnibus bus, String prefix, int n) {
        List<Subscription> subs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            subs.add(bus.subscriber().subscribe(SubscribeOptions.topic(prefix + "." + i), d -> { }));
        }
        String groupTopic = prefix + ".g";
        Set<String> got = ConcurrentHashMap.newKeySet();
        Subscription stays = bus.subscriber().subscribe(SubscribeOptions.topic(groupTopic).group("g"),
                d -> got.add(d.event().getId()));
        subs.add(bus.subscriber().subscribe(SubscribeOptions.topic(groupTopic).group("g"),
                d -> got.add(d.event().getId())));
        Duration took;
        try {
            long start = System.nanoTime();
            for (Subscription s : subs) {
                if (!s.close(Duration.ofSeconds(5))) {
                    throw new AssertionError("closing idle subscription " + s + " reported an unclean drain");
                }
            }
            took = Duration.ofNanos(System.nanoTime() - start);
            CloudEvent e = CloudEventBuilder.v1().withId("idle-close-" + System.nanoTime())
                    .withSource(URI.create("/omnibus/tck/idle-close")).withType("omnibus.tck.idle-close").build();
            bus.publisher().publish(groupTopic, e).toCompletableFuture().join();
            Awaitility.await("the group member left receives after its sibling closed (check that wakeup wakes only "
                    + "its own subscription)").atMost(Duration.ofSeconds(30)).until(() -> got.contains(e.getId()));
            if (!stays.isActive()) {
                throw new AssertionError("the group member left ended: " + stays.failure());
            }
        } finally {
            stays.close(Duration.ofSeconds(5));
        }
        return took;
    }

    /** {@code took} as milliseconds per close, for a failure message. */
    public static String perClose(Duration took, int closes) {
        return String.format("%.1f ms per close", took.toNanos() / (double) TimeUnit.MILLISECONDS.toNanos(1) / closes);
    }
}
