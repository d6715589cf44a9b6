package dev.omnibus.tck;

import dev.omnibus.Capabilities;
import dev.omnibus.Omnibus;
import dev.omnibus.Subscription;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The Omnibus technology compatibility kit: the executable form of the contract's rules R01 to R25. A backend
 * runs it as a short subclass in its tests:
 *
 * <pre>{@code
 * class KafkaTckTest extends OmnibusTck {
 *     @Override
 *     protected TckHarness createHarness() { return new KafkaHarness(); }
 * }
 * }</pre>
 *
 * <p>This class is the kit's lifecycle (one harness, broker and connection per kit class; what a test opened is
 * closed after it) and its list of rules, one {@code @Nested} class each ({@code class R08 implements
 * R08DelayedNack}). A rule lives in a file of its own in this package: an interface tagged with the rule id (run
 * one rule with {@code -Dgroups=R08}) whose tests are default methods named after the rule
 * ({@code R08_delayedNackIsNotRedeliveredBeforeItsDelay}) taking a {@link Kit}: the shared helpers, which know the
 * rule from the tag. Rules, their tests and the nested classes are package-private, so a backend cannot disable or
 * override its way out. A rule whose capability the backend denies is skipped with the denial's reason, never
 * silently weakened. Failure messages name the backend, the rule and what was missing. Each rule's title and what
 * to check when it fails are written once, in {@link RuleCatalogue}, which also gives the nested classes their
 * display names ({@link RuleDisplayNames}). The kit writes {@code target/omnibus-tck/report.json} and
 * {@code report.md} through {@link TckReporter}.
 *
 * <p>Not thread-safe: JUnit runs one kit test at a time. One broker is started per kit class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith({TckReporter.class, OmnibusTck.KitResolver.class})
@DisplayNameGeneration(RuleDisplayNames.class)
public abstract class OmnibusTck {
    private TckHarness harness;
    private Omnibus bus;
    private Capabilities caps;
    private final List<AutoCloseable> cleanup = new CopyOnWriteArrayList<>();

    /** The backend's harness; called once per kit class, before {@link TckHarness#start()}. */
    protected abstract TckHarness createHarness() throws Exception;

    @BeforeAll
    final void startKit() throws Exception {
        harness = createHarness();
        harness.start();
        bus = Omnibus.connect(Kit.config(harness.url(), Map.of()));
        caps = bus.capabilities();
        TckReporter.describe(getClass(), harness.backendName(), caps, harness.brokerVersion(),
                harness.brokerSettings());
    }

    @AfterAll
    final void stopKit() throws Exception {
        try {
            if (bus != null) {
                bus.close(Duration.ofSeconds(5));
            }
        } finally {
            if (harness != null) {
                harness.stop();
            }
        }
    }

    @AfterEach
    final void closeWhatTheTestOpened() throws Exception {
        List<AutoCloseable> opened = new ArrayList<>(cleanup);
        cleanup.clear();
        Collections.reverse(opened);
        for (AutoCloseable c : opened) {
            if (c instanceof Subscription) {
                ((Subscription) c).close(Duration.ofSeconds(5));
            } else if (c instanceof Omnibus) {
                ((Omnibus) c).close(Duration.ofSeconds(5));
            } else {
                c.close();
            }
        }
    }

    /** The helpers for one test of {@code rule}, on this kit's harness and connection. */
    private Kit kit(String rule) {
        return new Kit(getClass(), rule, harness, bus, caps, cleanup);
    }

    /** Gives each kit test its {@link Kit}, for the rule its tag names. */
    static final class KitResolver implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            return parameter.getParameter().getType() == Kit.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            OmnibusTck tck = context.getRequiredTestInstances().findInstance(OmnibusTck.class).orElseThrow();
            return tck.kit(RuleCatalogue.ruleAmong(context.getTags()));
        }
    }

    // ------------------------------------------------------------------------------------------ rules

    @Nested
    class R01 implements R01RoundTrip {
    }

    @Nested
    class R02 implements R02PublishReceipt {
    }

    @Nested
    class R03 implements R03FanOut {
    }

    @Nested
    class R04 implements R04Groups {
    }

    @Nested
    class R05 implements R05Ordering {
    }

    @Nested
    class R06 implements R06Ack {
    }

    @Nested
    class R07 implements R07Nack {
    }

    @Nested
    class R08 implements R08DelayedNack {
    }

    @Nested
    class R09 implements R09AckDeadline {
    }

    @Nested
    class R10 implements R10DeadLetter {
    }

    @Nested
    class R11 implements R11FlowControl {
    }

    @Nested
    class R12 implements R12Close {
    }

    @Nested
    class R13 implements R13StartPosition {
    }

    @Nested
    class R14 implements R14Dedup {
    }

    @Nested
    class R15 implements R15BadInput {
    }

    @Nested
    class R16 implements R16Concurrency {
    }

    @Nested
    class R17 implements R17BrokerRestart {
    }

    @Nested
    class R18 implements R18ConnectionFaults {
    }

    @Nested
    class R19 implements R19Wildcards {
    }

    @Nested
    class R20 implements R20Capabilities {
    }

    @Nested
    class R21 implements R21SlowBacklog {
    }

    @Nested
    class R22 implements R22NoSilentDeath {
    }

    @Nested
    class R23 implements R23KillUnderSteadyLoad {
    }

    @Nested
    class R24 implements R24CloseRaces {
    }

    @Nested
    class R25 implements R25NeverStalls {
    }
}

