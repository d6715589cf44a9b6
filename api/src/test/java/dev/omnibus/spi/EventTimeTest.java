package dev.omnibus.spi;

import io.cloudevents.rw.CloudEventRWException;
import io.cloudevents.types.Time;
import org.junit.jupiter.api.Test;

import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link EventTime#format} against the CloudEvents SDK's {@code Time.writeTime} on generated times: every year shape
 * (fast path and fallback), fractions of every length, offsets in minutes and in seconds. If this fails, the message
 * names the time: compare the fraction (trailing zeros stripped, none when zero) and the offset ({@code Z}).
 * {@link EventTime#parse} against the SDK's {@code Time.parseTime} on what format writes and on texts one edit away
 * from it: the same time and offset, or an error from both. If that fails, the message names the text: check which
 * form the fast path accepted that the SDK reads otherwise (or refuses).
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

    @Test
    void readsExactlyWhatTheSdkReadsOnGeneratedAndMangledTexts() {
        Random random = new Random(11);
        String alphabet = "0123456789-+:.TZtz ";
        int fast = 0;
        for (int i = 0; i < 200_000; i++) {
            String text = Time.writeTime(randomTime(random));
            if (random.nextInt(3) == 0) {
                // one edit: a changed, dropped or added character (digits out of range, signs, case, separators)
                StringBuilder b = new StringBuilder(text);
                int at = random.nextInt(b.length());
                switch (random.nextInt(3)) {
                    case 0 -> b.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    case 1 -> b.deleteCharAt(at);
                    default -> b.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                }
                text = b.toString();
            }
            fast += sameAsSdk(text) ? 1 : 0;
        }
        assertThat(fast).as("texts the SDK reads").isGreaterThan(100_000);
    }

    @Test
    void readsTheEdgesAsTheSdkDoes() {
        for (String text : new String[]{
                "2026-12-04T08:07:06Z", "2026-12-04T08:07:06.2-01:00", "2026-12-04T08:07:06.123456789+05:45",
                "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999-18:00", "2026-12-04T08:07:06-00:00",
                "2024-02-29T00:00:00Z", "2026-12-04T08:07:06+18:00", "2026-12-04T08:07:06-00:30",
                // handed to the SDK: another form it reads, or one it refuses
                "2026-12-04t08:07:06z", "2026-12-04T08:07Z", "2026-12-04T08:07:06+0100", "2026-12-04T08:07:06+01",
                "2026-12-04T08:07:06+01:00:30", "+12026-12-04T08:07:06Z", "2026-12-04T08:07:06.Z",
                "2026-12-04T08:07:06.1234567891Z", "2023-02-29T00:00:00Z", "2026-12-04T24:00:00Z",
                "2026-12-04T23:59:60Z", "2026-12-04T08:07:06+18:01", "2026-13-04T08:07:06Z", "2026-12-04T08:07:06",
                "2026-12-04T08:07:06+01:60", "2026-12-04 08:07:06Z", "", "2026-12-04T08:07:06Z ", "٢٠٢٦-12-04T08:07:06Z"}) {
            sameAsSdk(text);
        }
        assertThatThrownBy(() -> EventTime.parse("time", "2026-12-04T24:00:00Z"))
                .isInstanceOf(CloudEventRWException.class).hasMessageContaining("time");
    }

    /** Asserts that EventTime.parse and the SDK agree on {@code text}; whether the SDK read it. */
    private static boolean sameAsSdk(String text) {
        OffsetDateTime expected;
        try {
            expected = Time.parseTime("time", text);
        } catch (CloudEventRWException sdk) {
            assertThatThrownBy(() -> EventTime.parse("time", text)).as("'%s'", text)
                    .isInstanceOf(CloudEventRWException.class).hasMessage(sdk.getMessage());
            return false;
        }
        OffsetDateTime actual = EventTime.parse("time", text);
        assertThat(actual).as("'%s'", text).isEqualTo(expected);
        assertThat(actual.getOffset()).as("'%s' offset", text).isEqualTo(expected.getOffset());
        return true;
    }

    private static OffsetDateTime randomTime(Random random) {
        int year = random.nextInt(10) == 0 ? random.nextInt(10_000) : 1900 + random.nextInt(300);
        int nano = switch (random.nextInt(4)) {
            case 0 -> 0;
            case 1 -> random.nextInt(1000) * 1_000_000;
            default -> random.nextInt(1_000_000_000);
        };
        ZoneOffset offset = random.nextInt(3) == 0 ? ZoneOffset.UTC
                : ZoneOffset.ofTotalSeconds((random.nextInt(18 * 60 * 2 + 1) - 18 * 60) * 60);
        return OffsetDateTime.of(LocalDateTime.of(year, 1 + random.nextInt(12), 1 + random.nextInt(28),
                random.nextInt(24), random.nextInt(60), random.nextInt(60), nano), offset);
    }
}
