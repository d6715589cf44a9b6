package dev.omnibus.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The order {@link BenchRatios} runs forks in, and the per-fork ratios it prints. If the first test fails, a pair's
 * forks no longer alternate: check {@link InterleavedForks#rounds}, or the ratios take in whatever the machine did
 * between one side's forks and the other's.
 */
class InterleavedForksTest {
    @Test
    void roundsAlternateTheOrderSoEachOfAPairRunsFirstAsOftenAsSecond() {
        List<String> names = List.of("consumeOmnibus", "consumeRaw", "publishOmnibus", "publishRaw");

        List<String> reversed = List.of("publishRaw", "publishOmnibus", "consumeRaw", "consumeOmnibus");

        List<List<String>> rounds = InterleavedForks.rounds(names, 4);

        assertThat(rounds).containsExactly(names, reversed, names, reversed);
        for (int pair = 0; pair < names.size(); pair += 2) {
            int before = 0;
            for (List<String> round : rounds) {
                before += round.indexOf(names.get(pair)) < round.indexOf(names.get(pair + 1)) ? 1 : -1;
            }
            assertThat(before).as("rounds in which %s ran before %s, minus after", names.get(pair),
                    names.get(pair + 1)).isZero();
        }
    }

    @Test
    void oneRoundPerForkAndNoneForLess() {
        assertThat(InterleavedForks.rounds(List.of("a", "b"), 1)).containsExactly(List.of("a", "b"));
        assertThat(InterleavedForks.rounds(List.of("a", "b"), 3)).hasSize(3);
        assertThatThrownBy(() -> InterleavedForks.rounds(List.of("a"), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
    }

    @Test
    void forkRatiosPairForksOfTheSameNumber() {
        assertThat(BenchRatios.forkRatios(List.of(100.0, 200.0), List.of(90.0, 210.0)))
                .satisfiesExactly(r -> assertThat(r).isCloseTo(0.9, within(1e-9)),
                        r -> assertThat(r).isCloseTo(1.05, within(1e-9)));
        assertThat(BenchRatios.forkRatios(List.of(100.0, 200.0), List.of(90.0))).as("fork counts differ").isEmpty();
    }
}
