package dev.omnibus.tck.selftest;

import dev.omnibus.memory.MemoryBroker;
import dev.omnibus.tck.OmnibusTck;
import dev.omnibus.tck.TckHarness;
import dev.omnibus.tck.TckReporter;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

/**
 * The kit run against the broken backend named by {@link #defect}; launched programmatically by
 * {@link KitCatchesBrokenBackendsTest}, never by Surefire directly (its name does not end in Test).
 */
public class BrokenKit extends OmnibusTck {
    /** The defect the next launch runs with. */
    static volatile Defect defect = Defect.NONE;

    @Override
    protected TckHarness createHarness() {
        return new BrokenHarness(defect);
    }

    private static final class BrokenHarness implements TckHarness {
        private final Defect defect;
        private final String name = "selftest-" + UUID.randomUUID().toString().substring(0, 8);

        BrokenHarness(Defect defect) {
            this.defect = defect;
        }

        @Override
        public String backendName() {
            return defect.backendName();
        }

        @Override
        public String url() {
            boolean dedup = defect != Defect.CLAIMS_DEDUP_IT_LACKS;
            return "broken://" + name + "?defect=" + defect.name() + "&dedup=" + dedup;
        }

        @Override
        public void injectRaw(String topic, byte[] body, Map<String, String> headers) {
            MemoryBroker.named(name).orElseThrow().injectRaw(topic, body, headers);
        }

        @Override
        public Duration timeout() {
            return Duration.ofSeconds(5);
        }

        @Override
        public String brokerVersion() {
            return "in-process memory broker (omnibus " + TckReporter.kitVersion() + ")";
        }

        @Override
        public int brokerWindow() {
            return defect == Defect.LEAKS_FIXED_BROKER_WINDOW ? BrokenBackendProvider.FIXED_BROKER_WINDOW : 0;
        }

        @Override
        public Map<String, String> brokerSettings() {
            return Map.of("defect", defect.name());
        }

        @Override
        public String faultsUnsupportedReason() {
            return "in-process backend: no connection to cut";
        }

        @Override
        public String restartUnsupportedReason() {
            return null;
        }

        /**
         * A simulated kill -9 and restart that keeps the broker's data: the drivers lose what they held in memory,
         * and the in-process broker hands back every delivery in flight, as a durable broker does after a crash.
         */
        @Override
        public void restartBroker() {
            BrokenBackendProvider.crash();
            MemoryBroker.named(name).orElseThrow().simulateRestart();
        }
    }
}
