package dev.omnibus.spi;

import io.cloudevents.types.Time;
import org.junit.jupiter.api.Test;

import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link EventTime#format} against the CloudEvents SDK's {@code Time.writeTime} on generated times: every year shape
 * (fast path and fallback), fractions of every length, offsets in minutes and in seconds. If this fails, the message
 * names the time: compare the fraction (trailing zeros stripped, none when zero) and the offset ({@code Z}).
 */
class EventTimeTest {
    @Test
    void writesExactlyWhatTheSdkWritesOnGeneratedTimes() {
        Random random = new Random(7);
        int[] nanoShapes = {0, 1, 10, 100_000_000, 123_000_000, 120_000_000, 999_999_999, 500, 123_456_789, 100};
        for (int i = 0; i < 200_000; i++) {
            int year = switch (random.nextInt(20)) {
                case 0 -> random.nextInt(100);              // 0000..0099: zero-padded
                case 1 -> 10_000 + random.nextInt(100_000); // five digits: '+' prefix, SDK formatter
                case 2 -> -random.nextInt(5_000) - 1;       // negative: SDK formatter
                default -> 1900 + random.nextInt(300);
            };
            int nano = random.nextBoolean() ? nanoShapes[random.nextInt(nanoShapes.length)]
                    : random.nextInt(1_000_000_000);
            ZoneOffset offset = switch (random.nextInt(6)) {
                case 0 -> ZoneOffset.UTC;
                case 1 -> ZoneOffset.ofTotalSeconds(random.nextInt(18 * 3600 * 2 + 1) - 18 * 3600); // seconds
                default -> ZoneOffset.ofTotalSeconds((random.nextInt(18 * 60 * 2 + 1) - 18 * 60) * 60);
            };
            OffsetDateTime time = OffsetDateTime.of(LocalDateTime.of(year, 1 + random.nextInt(12),
                    1 + random.nextInt(28), random.nextInt(24), random.nextInt(60), random.nextInt(60), nano), offset);
            assertThat(EventTime.format(time)).as("%s", time).isEqualTo(Time.writeTime(time));
        }
    }

    @Test
    void theEdgesOfTheFastPath() {
        for (OffsetDateTime t : new OffsetDateTime[]{
                OffsetDateTime.of(0, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC),
                OffsetDateTime.of(9999, 12, 31, 23, 59, 59, 999_999_999, ZoneOffset.ofHoursMinutes(-18, 0)),
                OffsetDateTime.of(2026, 12, 4, 8, 7, 6, 1, ZoneOffset.ofHoursMinutes(5, 45)),
                OffsetDateTime.of(2026, 12, 4, 8, 7, 6, 0, ZoneOffset.ofHoursMinutes(-0, -30))}) {
            assertThat(EventTime.format(t)).isEqualTo(Time.writeTime(t));
        }
        assertThat(EventTime.format(OffsetDateTime.of(2026, 12, 4, 8, 7, 6, 270_000_000, ZoneOffset.ofHours(-1))))
                .isEqualTo("2026-12-04T08:07:06.27-01:00");
    }
}
