package dev.omnibus.spi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The credentials part of a connection URL's address ({@code user:password@hosts}, {@code token@hosts}) split
 * off the hosts; immutable and thread-safe. Backends hand the parts to their client as credentials, never as a URL
 * string the client might print.
 *
 * <p>The userinfo ends at the address's <em>last</em> {@code @}, and the user ends at its first {@code :}, so a
 * password may hold {@code / ? # @ : + %} raw (or percent-encoded). Decoding is lenient: {@code %XX} with two hex
 * digits is decoded (as UTF-8), any other {@code %} and every {@code +} stay as they are. A password that itself
 * contains {@code %} followed by two hex digits must write that {@code %} as {@code %25}. {@link #toString()} never
 * shows the password.
 */
public final class UserInfo {
    private static final UserInfo NONE = new UserInfo(false, null, null, "");

    private final boolean present;
    private final String user;
    private final String password;
    private final String hosts;

    private UserInfo(boolean present, String user, String password, String hosts) {
        this.present = present;
        this.user = user;
        this.password = password;
        this.hosts = hosts;
    }

    /**
     * Splits {@code address} (as {@link BackendContext#address()} gives it) at its last {@code @}.
     *
     * @return the parts; {@link #present()} is false when there is no {@code @}
     */
    public static UserInfo split(String address) {
        if (address == null) {
            return NONE;
        }
        int at = address.lastIndexOf('@');
        if (at < 0) {
            return new UserInfo(false, null, null, address);
        }
        String info = address.substring(0, at);
        String hosts = address.substring(at + 1);
        int colon = info.indexOf(':');
        if (colon < 0) {
            return new UserInfo(true, decode(info), null, hosts);
        }
        return new UserInfo(true, decode(info.substring(0, colon)), decode(info.substring(colon + 1)), hosts);
    }

    /** Whether the address had an {@code @} (a userinfo, possibly empty). */
    public boolean present() {
        return present;
    }

    /**
     * The part before the first {@code :}, decoded; empty when the userinfo is empty or starts with {@code :}
     * ({@code :password@host}). Without a {@code :} this is the whole userinfo, which some brokers read as a token.
     */
    public Optional<String> user() {
        return user == null || user.isEmpty() ? Optional.empty() : Optional.of(user);
    }

    /** The part after the first {@code :}, decoded; present (possibly empty) only when the userinfo had a {@code :}. */
    public Optional<String> password() {
        return Optional.ofNullable(password);
    }

    /** What follows the last {@code @}: the host list, port and path; the whole address when there is no {@code @}. */
    public String hosts() {
        return hosts;
    }

    /** Percent-decodes {@code s} leniently: {@code %XX} (two hex digits) only; {@code +} and stray {@code %} stay. */
    static String decode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
                bytes.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
                i += 3;
                continue;
            }
            flush(bytes, out);
            out.append(c);
            i++;
        }
        flush(bytes, out);
        return out.toString();
    }

    private static void flush(ByteArrayOutputStream bytes, StringBuilder out) {
        if (bytes.size() > 0) {
            out.append(bytes.toString(StandardCharsets.UTF_8));
            bytes.reset();
        }
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }

    @Override
    public String toString() {
        if (!present) {
            return "UserInfo{none}";
        }
        return "UserInfo{user=" + (password == null ? "****" : user) + (password == null ? "" : ", password=****")
                + "}";
    }
}
