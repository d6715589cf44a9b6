package dev.omnibus.bench;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.Collection;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every benchmark this module compiles forks its JVM with {@link SteadyHeap#OPTIONS}, so no figure is taken while a
 * fresh JVM is still faulting its heap in. If this fails after adding a benchmark, give its class
 * {@code @Fork(value = 1, jvmArgsPrepend = {SteadyHeap.MIN, SteadyHeap.MAX, SteadyHeap.PRE_TOUCH,
 * SteadyHeap.HUGE_PAGES})} like the others.
 */
class SteadyHeapTest {
    @Test
    void everyBenchmarkForksWithTheHeapTouchedUpFront() {
        Set<BenchmarkListEntry> all = BenchmarkList.defaultList()
                .getAll(OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT), List.of());
        assertThat(all).as("benchmarks the annotation processor listed").hasSizeGreaterThan(10);
        for (BenchmarkListEntry b : all) {
            Collection<String> prepended = b.getJvmArgsPrepend().orElse(List.of());
            assertThat(prepended).as(b.getUsername()).containsExactlyElementsOf(SteadyHeap.OPTIONS);
        }
    }
}
