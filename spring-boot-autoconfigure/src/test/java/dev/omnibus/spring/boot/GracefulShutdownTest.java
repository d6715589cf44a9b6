package dev.omnibus.spring.boot;

import dev.omnibus.ConnectionState;
import dev.omnibus.Omnibus;
import dev.omnibus.Publisher;
import dev.omnibus.Subscription;
import dev.omnibus.spring.listener.OmnibusListener;
import dev.omnibus.spring.listener.OmnibusListenerContainer;
import io.cloudevents.CloudEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Shutdown under load loses nothing: N events wait in a group's queue on mem:// (the test's own connection keeps the
 * in-process broker alive); a first application's listeners are all busy when its context closes. The running
 * handlers finish and are acked during the drain, the events it held but had not started go back to the group, and
 * a second application of the same group handles them: every event is handled, and each handled-and-acked once.
 */
class GracefulShutdownTest {
    private static final int EVENTS = 300;
    private static final int THREADS = 4;
    private static final String URL = "mem://graceful-shutdown";

    /** What both applications handled, shared by the test. */
    static final Set<String> completedFirst = ConcurrentHashMap.newKeySet();
    static final Set<String> startedFirst = ConcurrentHashMap.newKeySet();
    static final Set<String> interruptedFirst = ConcurrentHashMap.newKeySet();
    static final Set<String> handledSecond = ConcurrentHashMap.newKeySet();
    static volatile CountDownLatch gate;

    private Omnibus keeper;

    static final class SlowWorker {
        @OmnibusListener(topic = "work", group = "workers", concurrency = "" + THREADS, maxInFlight = "16")
        void handle(CloudEvent event) {
            startedFirst.add(event.getId());
            try {
                // held until the test has begun closing the context: these are the in-flight handlers
                if (!gate.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never opened the gate");
                }
            } catch (InterruptedException e) {
                interruptedFirst.add(event.getId());
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted mid-flight", e);
            }
            completedFirst.add(event.getId());
        }
    }

    static final class FastWorker {
        @OmnibusListener(topic = "work", group = "workers")
        void handle(CloudEvent event) {
            handledSecond.add(event.getId());
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class FirstApp {
        @Bean
        SlowWorker slowWorker() {
            return new SlowWorker();
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class SecondApp {
        @Bean
        FastWorker fastWorker() {
            return new FastWorker();
        }
    }

    @BeforeEach
    void keepTheBrokerAndFillTheQueue() {
        List.of(completedFirst, startedFirst, interruptedFirst, handledSecond).forEach(Set::clear);
        gate = new CountDownLatch(1);
        // no instrumentation: this connection is the test's, outside the applications and their meter registries
        keeper = Omnibus.connect(URL + "?instrumentation=none");
    }

    @AfterEach
    void close() {
        gate.countDown();
        keeper.close(Duration.ZERO);
    }

    private static ConfigurableApplicationContext start(Class<?> app) {
        return new SpringApplicationBuilder(app).properties("omnibus.url=" + URL,
                "spring.lifecycle.timeout-per-shutdown-phase=20s", "spring.main.banner-mode=off").run();
    }

    @Test
    void closingUnderLoadFinishesRunningHandlersAndHandsTheRestBack() throws Exception {
        ConfigurableApplicationContext first = start(FirstApp.class);
        // the group exists once the first member subscribed: its queue now keeps every event for the group
        Publisher publisher = keeper.publisher();
        CompletableFuture<?>[] sent = IntStream.range(0, EVENTS).mapToObj(i -> publisher.publish("work",
                Events.json("e-" + i, "{\"n\":" + i + "}")).toCompletableFuture()).toArray(CompletableFuture[]::new);
        CompletableFuture.allOf(sent).get(20, TimeUnit.SECONDS);
        await("every handler thread busy").atMost(Duration.ofSeconds(10)).until(() -> startedFirst.size() == THREADS);

        OmnibusListenerContainer container = first.getBean(OmnibusListenerContainer.class);
        Subscription subscription = container.subscription("slowWorker.handle").orElseThrow();
        Omnibus connection = first.getBean(Omnibus.class);
        CompletableFuture<Void> closing = CompletableFuture.runAsync(first::close);
        await("the listeners stopping").atMost(Duration.ofSeconds(10)).until(() -> !container.isRunning());
        assertThat(closing).as("the drain waits for the running handlers").isNotDone();
        gate.countDown();
        closing.get(20, TimeUnit.SECONDS);

        assertThat(interruptedFirst).as("handlers interrupted by the shutdown").isEmpty();
        assertThat(completedFirst).as("every handler that started finished").isEqualTo(startedFirst);
        assertThat(subscription.stats().acked()).as("and its delivery was acked").isEqualTo(completedFirst.size());
        assertThat(completedFirst.size()).as("the first application was stopped mid-flow").isLessThan(EVENTS);
        assertThat(connection.connectionState()).as("the connection, closed last").isEqualTo(ConnectionState.CLOSED);

        try (ConfigurableApplicationContext second = start(SecondApp.class)) {
            assertThat(second.getBean(OmnibusListenerContainer.class).isRunning()).isTrue();
            Set<String> all = new HashSet<>();
            IntStream.range(0, EVENTS).forEach(i -> all.add("e-" + i));
            await("the rest handled by the second application").atMost(Duration.ofSeconds(20)).until(() -> {
                Set<String> handled = new HashSet<>(completedFirst);
                handled.addAll(handledSecond);
                return handled.equals(all);
            });
            assertThat(handledSecond).as("nothing acked by the first is handled again").doesNotContainAnyElementsOf(
                    completedFirst);
        }
    }

    @Test
    void theDrainIsBoundedBySpringsShutdownPhaseTimeout() throws Exception {
        ConfigurableApplicationContext first = new SpringApplicationBuilder(FirstApp.class).properties(
                "omnibus.url=" + URL, "spring.lifecycle.timeout-per-shutdown-phase=2s",
                "spring.main.banner-mode=off").run();
        keeper.publisher().publish("work", Events.json("stuck", "{}")).toCompletableFuture().get(5, TimeUnit.SECONDS);
        await("the handler running").atMost(Duration.ofSeconds(10)).until(() -> startedFirst.contains("stuck"));

        long start = System.nanoTime();
        first.close();
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        // drain 1.8 s (2 s less a tenth), then the connection closes; generous upper bound for a loaded machine
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1500)).isLessThan(Duration.ofSeconds(10));
    }
}
