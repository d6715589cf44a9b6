package dev.omnibus.memory;

import dev.omnibus.tck.OmnibusTck;
import dev.omnibus.tck.TckHarness;
import dev.omnibus.tck.TckReporter;

import java.util.Map;
import java.util.UUID;

/** Runs the whole kit against {@code mem://}, the reference backend. */
class MemoryTckTest extends OmnibusTck {
    @Override
    protected TckHarness createHarness() {
        return new MemoryHarness();
    }

    /** An in-process broker per kit run; R17/R18 do not apply (no broker process to restart or cut). */
    static final class MemoryHarness implements TckHarness {
        private final String name = "tck-" + UUID.randomUUID().toString().substring(0, 8);

        @Override
        public String backendName() {
            return "memory";
        }

        @Override
        public String url() {
            return "mem://" + name + "?dedup=true";
        }

        @Override
        public String brokerVersion() {
            return "in-process memory broker (omnibus " + TckReporter.kitVersion() + ")";
        }

        @Override
        public void injectRaw(String topic, byte[] body, Map<String, String> headers) {
            MemoryBroker.named(name).orElseThrow().injectRaw(topic, body, headers);
        }

        @Override
        public String faultsUnsupportedReason() {
            return "in-process backend: there is no separate broker process to restart or connection to cut";
        }
    }
}
