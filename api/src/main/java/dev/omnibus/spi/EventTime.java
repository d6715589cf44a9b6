package dev.omnibus.spi;

import io.cloudevents.types.Time;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Writes and reads a CloudEvent's {@code time} (and any time-valued extension) as the CloudEvents SDK does, only
 * faster. {@link #format} gives exactly {@link DateTimeFormatter#ISO_OFFSET_DATE_TIME}'s text
 * ({@code io.cloudevents.types.Time.writeTime}), character for character: on NATS core the SDK's formatting (a
 * composite formatter and a {@code BigDecimal} for the fraction) took a third of encoding an event. A backend's
 * binary-mode writer overrides {@code CloudEventContextWriter.withContextAttribute(String, OffsetDateTime)} with it.
 * {@link #parse} gives exactly what {@code Time.parseTime} ({@link OffsetDateTime#parse}) gives, or the same error:
 * the SDK's parse took about 580 ns of every received event that carries a {@code time}; binary-mode readers reach
 * it through {@link EventBuilders}.
 *
 * <p>Years 0 to 9999 and offsets in whole minutes are written here; anything else (a sign or a fifth digit in the
 * year, seconds in the offset) is handed to the SDK's formatter. Likewise only the form this library and most
 * producers write is parsed here; any other text (lower-case {@code t} or {@code z}, no seconds, an offset without
 * a colon, an invalid date) is handed to the SDK. Stateless and thread-safe.
 */
public final class EventTime {
    private EventTime() {
    }

    /**
     * {@code time} in RFC 3339 form, e.g. {@code 2026-12-04T08:07:06.27635673-01:00}: seconds always, the fraction
     * only when not zero and without trailing zeros, {@code Z} for a zero offset.
     *
     * @throws NullPointerException if {@code time} is null
     */
    public static String format(OffsetDateTime time) {
        int year = time.getYear();
        int offset = time.getOffset().getTotalSeconds();
        if (year < 0 || year > 9999 || offset % 60 != 0) {
            return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(time);
        }
        char[] out = new char[35];
        int n = 0;
        n = digits(out, n, year, 4);
        out[n++] = '-';
        n = digits(out, n, time.getMonthValue(), 2);
        out[n++] = '-';
        n = digits(out, n, time.getDayOfMonth(), 2);
        out[n++] = 'T';
        n = digits(out, n, time.getHour(), 2);
        out[n++] = ':';
        n = digits(out, n, time.getMinute(), 2);
        out[n++] = ':';
        n = digits(out, n, time.getSecond(), 2);
        int nano = time.getNano();
        if (nano != 0) {
            int width = 9;
            while (nano % 10 == 0) {
                nano /= 10;
                width--;
            }
            out[n++] = '.';
            n = digits(out, n, nano, width);
        }
        if (offset == 0) {
            out[n++] = 'Z';
        } else {
            out[n++] = offset < 0 ? '-' : '+';
            int minutes = Math.abs(offset) / 60;
            n = digits(out, n, minutes / 60, 2);
            out[n++] = ':';
            n = digits(out, n, minutes % 60, 2);
        }
        return new String(out, 0, n);
    }

    /**
     * {@code text} as an RFC 3339 time, exactly as the SDK's {@code Time.parseTime(attribute, text)} reads it.
     * Parsed here: {@code yyyy-MM-ddTHH:mm:ss}, an optional fraction of 1 to 9 digits, then {@code Z} or
     * {@code +HH:mm}/{@code -HH:mm}; everything else goes to the SDK, so what it refuses is refused with its error.
     *
     * @param attribute the attribute's name, for the SDK's error
     * @throws io.cloudevents.rw.CloudEventRWException as the SDK, when {@code text} is not a valid time
     * @throws NullPointerException if {@code text} is null
     */
    public static OffsetDateTime parse(String attribute, String text) {
        OffsetDateTime fast = parseCommonForm(text);
        return fast != null ? fast : Time.parseTime(attribute, text);
    }

    /** The common form parsed, or null when {@code text} is in another form or not a valid time. */
    private static OffsetDateTime parseCommonForm(String text) {
        int length = text.length();
        if (length < 20 || length > 35 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T'
                || text.charAt(13) != ':' || text.charAt(16) != ':') {
            return null;
        }
        int year = number(text, 0, 4);
        int month = number(text, 5, 7);
        int day = number(text, 8, 10);
        int hour = number(text, 11, 13);
        int minute = number(text, 14, 16);
        int second = number(text, 17, 19);
        if ((year | month | day | hour | minute | second) < 0) {
            return null;
        }
        int at = 19;
        int nano = 0;
        if (text.charAt(at) == '.') {
            int start = ++at;
            while (at < length && at - start < 9 && isDigit(text.charAt(at))) {
                nano = nano * 10 + (text.charAt(at) - '0');
                at++;
            }
            int width = at - start;
            if (width == 0) {
                return null;
            }
            for (int i = width; i < 9; i++) {
                nano *= 10;
            }
        }
        ZoneOffset offset;
        if (at == length - 1 && text.charAt(at) == 'Z') {
            offset = ZoneOffset.UTC;
        } else if (at == length - 6 && (text.charAt(at) == '+' || text.charAt(at) == '-')
                && text.charAt(at + 3) == ':') {
            int hours = number(text, at + 1, at + 3);
            int minutes = number(text, at + 4, at + 6);
            if ((hours | minutes) < 0) {
                return null;
            }
            int sign = text.charAt(at) == '-' ? -1 : 1;
            try {
                offset = ZoneOffset.ofHoursMinutes(sign * hours, sign * minutes);
            } catch (DateTimeException e) {
                return null;
            }
        } else {
            return null;
        }
        try {
            return OffsetDateTime.of(LocalDateTime.of(year, month, day, hour, minute, second, nano), offset);
        } catch (DateTimeException e) {
            return null; // not a valid date or time: the SDK's parse reports it in its own words
        }
    }

    /** The decimal number in {@code text} from {@code from} to {@code to} (exclusive), or -1 if not all digits. */
    private static int number(String text, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (!isDigit(c)) {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** Writes {@code value} (not negative) zero-padded to {@code width} digits at {@code at}; the next position. */
    private static int digits(char[] out, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            out[i] = (char) ('0' + value % 10);
            value /= 10;
        }
        return at + width;
    }
}
