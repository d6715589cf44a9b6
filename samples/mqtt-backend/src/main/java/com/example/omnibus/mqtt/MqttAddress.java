package com.example.omnibus.mqtt;

import dev.omnibus.ConfigException;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.UserInfo;

/**
 * The parsed address of an {@code mqtt://[user[:password]@]host[:port]} URL; immutable. One broker only (MQTT 3.1.1
 * clients connect to one server). {@link #toString()} never shows the password.
 *
 * @param serverUri Paho's server URI, {@code tcp://host:port}
 * @param user      the user name, or {@code null}
 * @param password  the password, or {@code null}
 */
record MqttAddress(String serverUri, String user, char[] password) {
    static final int DEFAULT_PORT = 1883;

    /** Parses the context's address; a {@link ConfigException} names what is wrong, never the password. */
    static MqttAddress parse(BackendContext context) {
        UserInfo info = UserInfo.split(context.address());
        String hosts = info.hosts();
        String url = context.redactedUrl();
        if (hosts.isEmpty() || hosts.equals("/")) {
            throw new ConfigException("mqtt URL " + url + " has no host: expected mqtt://[user[:password]@]host[:port]");
        }
        if (hosts.contains(",") || hosts.contains("/")) {
            throw new ConfigException("mqtt URL " + url + " names more than one host or a path: expected exactly one "
                    + "host[:port], as mqtt://broker.example.com:1883");
        }
        String host = hosts;
        int port = DEFAULT_PORT;
        int colon = hosts.lastIndexOf(':');
        if (colon > hosts.lastIndexOf(']')) {
            host = hosts.substring(0, colon);
            try {
                port = Integer.parseInt(hosts.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new ConfigException("mqtt URL " + url + " has the port '" + hosts.substring(colon + 1)
                        + "': expected a number from 1 to 65535");
            }
        }
        return new MqttAddress("tcp://" + host + ":" + port, info.user().orElse(null),
                info.password().map(String::toCharArray).orElse(null));
    }

    @Override
    public String toString() {
        return serverUri + (user == null ? "" : " as " + user + (password == null ? "" : ":****"));
    }
}
