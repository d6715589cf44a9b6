package dev.omnibus.spi;

import dev.omnibus.ConfigException;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A connection URL's address parsed the one way every backend reads it:
 * {@code [user[:password]@]host[:port][,host[:port]...][/path]}, with the credentials split off by {@link UserInfo},
 * a default port for hosts that name none, IPv6 literals in brackets ({@code [::1]:4222}) and the path kept raw for
 * the backend to read (a RabbitMQ vhost, say) or refuse ({@link #requireNoPath()}). Immutable and thread-safe.
 *
 * <p>Errors: a {@link ConfigException} that shows the address with any userinfo masked ({@code ****@}), says what
 * is wrong (no host, an empty host in the list, a port that is not 1 to 65535, an IPv6 address without brackets) and
 * the shape expected. {@link #toString()} never shows the password.
 */
public final class BrokerAddress {
    /**
     * One host of the list and its port (the default where the address named none); {@code host} is an IPv6
     * literal without brackets where one was given.
     *
     * @param host the host name or address, never empty
     * @param port 1 to 65535
     */
    public record HostPort(String host, int port) {
        /** Checks the parts. */
        public HostPort {
            Objects.requireNonNull(host, "host");
            if (host.isEmpty() || port < 1 || port > 65535) {
                throw new IllegalArgumentException("host '" + host + "' with port " + port
                        + ": expected a host name or address and a port from 1 to 65535");
            }
        }

        /** {@code host:port}, with an IPv6 literal in brackets ({@code [::1]:5672}): what most clients accept. */
        @Override
        public String toString() {
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    private final String scheme;
    private final UserInfo userInfo;
    private final List<HostPort> hosts;
    private final String path;
    private final String shown;

    private BrokerAddress(String scheme, UserInfo userInfo, List<HostPort> hosts, String path, String shown) {
        this.scheme = scheme;
        this.userInfo = userInfo;
        this.hosts = hosts;
        this.path = path;
        this.shown = shown;
    }

    /**
     * Parses {@link BackendContext#address()} of {@code context}.
     *
     * @param defaultPort the port of a host that names none (the broker's usual one), 1 to 65535
     * @throws ConfigException when the address does not have the shape above
     */
    public static BrokerAddress parse(BackendContext context, int defaultPort) {
        Objects.requireNonNull(context, "context");
        return parse(context.scheme(), context.address(), defaultPort);
    }

    /**
     * Parses {@code address}, the part of a URL between {@code ://} and {@code ?}.
     *
     * @param scheme the URL's scheme, for messages
     * @param defaultPort the port of a host that names none, 1 to 65535
     * @throws ConfigException when the address does not have the shape above
     */
    public static BrokerAddress parse(String scheme, String address, int defaultPort) {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(address, "address");
        if (defaultPort < 1 || defaultPort > 65535) {
            throw new IllegalArgumentException("defaultPort " + defaultPort + ": expected 1 to 65535");
        }
        UserInfo userInfo = UserInfo.split(address);
        String rest = userInfo.hosts();
        String shown = scheme + "://" + (userInfo.present() ? "****@" : "") + rest;
        int slash = rest.indexOf('/');
        String list = slash < 0 ? rest : rest.substring(0, slash);
        String path = slash < 0 ? "" : rest.substring(slash + 1);
        String expected = "expected " + scheme + "://[user:password@]host[:port][,host[:port]...]";
        if (list.isBlank()) {
            throw new ConfigException("'" + shown + "' names no host: " + expected);
        }
        List<HostPort> hosts = new ArrayList<>();
        for (String entry : list.split(",", -1)) {
            hosts.add(hostPort(entry.trim(), defaultPort, shown, expected));
        }
        return new BrokerAddress(scheme, userInfo, List.copyOf(hosts), path, shown);
    }

    private static HostPort hostPort(String entry, int defaultPort, String shown, String expected) {
        if (entry.isEmpty()) {
            throw new ConfigException("'" + shown + "' has an empty host in its list: " + expected);
        }
        String host;
        String port;
        if (entry.startsWith("[")) {
            int close = entry.indexOf(']');
            if (close < 0 || (close + 1 < entry.length() && entry.charAt(close + 1) != ':')) {
                throw new ConfigException("'" + shown + "' has the host '" + entry + "', which is not an IPv6 "
                        + "literal in brackets: expected [address] or [address]:port");
            }
            host = entry.substring(1, close);
            port = close + 1 < entry.length() ? entry.substring(close + 2) : null;
        } else {
            int colon = entry.lastIndexOf(':');
            if (colon >= 0 && entry.indexOf(':') != colon) {
                throw new ConfigException("'" + shown + "' has the host '" + entry + "': an IPv6 address goes in "
                        + "brackets, [address]:port");
            }
            host = colon < 0 ? entry : entry.substring(0, colon);
            port = colon < 0 ? null : entry.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw new ConfigException("'" + shown + "' has an entry without a host ('" + entry + "'): " + expected);
        }
        if (port == null) {
            return new HostPort(host, defaultPort);
        }
        if (!port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            throw new ConfigException("'" + shown + "' has the port '" + port + "' for '" + host
                    + "', which is not a number from 1 to 65535: " + expected);
        }
        return new HostPort(host, Integer.parseInt(port));
    }

    /** The credentials, split off the hosts ({@link UserInfo#present()} is false when the address had none). */
    public UserInfo userInfo() {
        return userInfo;
    }

    /** The hosts in the order given, never empty. */
    public List<HostPort> hosts() {
        return hosts;
    }

    /** The hosts as {@code host:port,host:port} (Kafka's bootstrap servers, say). */
    public String hostList() {
        return hosts.stream().map(HostPort::toString).collect(Collectors.joining(","));
    }

    /** What follows the first {@code /} after the hosts, raw (not percent-decoded); empty when there is none. */
    public String path() {
        return path;
    }

    /**
     * This address, if it has no path (a trailing {@code /} alone counts as none).
     *
     * @throws ConfigException naming the path, for a broker whose URLs take none
     */
    public BrokerAddress requireNoPath() {
        if (!path.isEmpty()) {
            throw new ConfigException("'" + shown + "' has the path '/" + path + "', which " + scheme
                    + ":// URLs do not take: expected " + scheme + "://[user:password@]host[:port][,host[:port]...]");
        }
        return this;
    }

    /** The address with any userinfo masked ({@code ****@}): for messages. */
    @Override
    public String toString() {
        return shown;
    }
}
