package dev.omnibus.kafka.internal;

import dev.omnibus.ConfigException;
import dev.omnibus.kafka.KafkaBackendProvider;
import dev.omnibus.spi.BackendContext;
import dev.omnibus.spi.TlsOptions;
import dev.omnibus.spi.TlsSettings;
import dev.omnibus.spi.UserInfo;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.config.types.Password;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The security and pass-through part of a connection's Kafka client settings, resolved once at connect from the URL's
 * userinfo, the {@code security.protocol}, {@code sasl.mechanism} and {@code tls*} options and the {@code kafka.*}
 * pass-through properties. Immutable and thread-safe once built; every problem is a {@link ConfigException} that names
 * the option and what is allowed, never a secret.
 *
 * <p>Decisions, and why:
 * <ul>
 *   <li>Credentials (URL {@code user:password} or {@code kafka.sasl.jaas.config}) without a {@code security.protocol}
 *       mean {@code SASL_SSL}: a password must not cross the network in clear unless asked for explicitly
 *       ({@code security.protocol=SASL_PLAINTEXT}).</li>
 *   <li>Any TLS option without a protocol means {@code SSL} ({@code SASL_SSL} with credentials); a TLS option with a
 *       plaintext protocol is refused rather than ignored.</li>
 *   <li>TLS uses Kafka's own PEM support ({@code ssl.truststore.type=PEM}, {@code ssl.keystore.type=PEM}), so the
 *       client builds and reloads its own SSL engine; {@code ssl.endpoint.identification.algorithm} is always
 *       {@code https} and cannot be passed through: host name verification is never off.</li>
 *   <li>Pass-through properties cannot change what Omnibus manages (serializers, commits, group, timeouts derived
 *       from its options...): each would silently break a guarantee, so it is refused and the message names the
 *       option to use instead. A property Omnibus sets only in some configurations (the trust store when
 *       {@code tls.ca.file} is given) is refused only then.</li>
 *   <li>A pass-through property goes to each client (producer, consumer, Admin) that knows it; one no client knows
 *       (a plug-in's own setting) goes to all three. That keeps kafka-clients from warning about unused settings on
 *       every client it creates.</li>
 * </ul>
 * Secrets reach kafka-clients as {@link Password} values (or as strings for {@code PASSWORD}-typed properties, which
 * kafka-clients turns into {@code Password}): its config logging prints them as {@code [hidden]}.
 */
final class KafkaSecurity {
    static final Set<String> PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
    /** The mechanisms the URL's {@code user:password} can be used with. */
    static final List<String> MECHANISMS = List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");
    /** The system property naming a JVM-wide JAAS file, which kafka-clients reads when no sasl.jaas.config is set. */
    private static final String JVM_JAAS_FILE = "java.security.auth.login.config";

    /**
     * Kafka properties Omnibus always sets itself, each with what to use instead: a {@code kafka.<name>} pass-through
     * of one of them is refused.
     */
    static final Map<String, String> MANAGED = managed();

    /** Security settings from the URL and Omnibus options. */
    private final Map<String, Object> security;
    /** The {@code kafka.*} properties, prefix stripped; none of them is managed or set by {@link #security}. */
    private final Map<String, String> passThrough;

    private KafkaSecurity(Map<String, Object> security, Map<String, String> passThrough) {
        this.security = Collections.unmodifiableMap(security);
        this.passThrough = Collections.unmodifiableMap(passThrough);
    }

    private static Map<String, String> managed() {
        Map<String, String> m = new TreeMap<>();
        String url = "the URL's hosts";
        String binding = "Omnibus reads and writes records with the CloudEvents Kafka binding";
        String publishTimeout = "option 'publish.timeout'";
        String reconnect = "options 'reconnect.initial' and 'reconnect.max'";
        String payload = "option 'max.payload.bytes'";
        m.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, url);
        m.put(CommonClientConfigs.CLIENT_ID_CONFIG, "option 'client.id'");
        m.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "option 'security.protocol'");
        m.put(SaslConfigs.SASL_MECHANISM, "option 'sasl.mechanism'");
        m.put(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG,
                "nothing: Omnibus always verifies the server's host name (https)");
        m.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, binding);
        m.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, binding);
        m.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, binding);
        m.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, binding);
        m.put(ProducerConfig.ACKS_CONFIG, "nothing: publish is an idempotent acks=all send");
        m.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "nothing: publish is an idempotent acks=all send");
        m.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION,
                "nothing: 5 keeps the idempotent producer's order");
        m.put(ProducerConfig.LINGER_MS_CONFIG, "option 'linger'");
        m.put(ProducerConfig.BATCH_SIZE_CONFIG, "option 'batch.size'");
        m.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, payload);
        m.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, payload);
        m.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, publishTimeout);
        m.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, publishTimeout);
        m.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, publishTimeout);
        m.put(CommonClientConfigs.RECONNECT_BACKOFF_MS_CONFIG, reconnect);
        m.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, reconnect);
        m.put(CommonClientConfigs.RETRY_BACKOFF_MS_CONFIG, reconnect);
        m.put(CommonClientConfigs.RETRY_BACKOFF_MAX_MS_CONFIG, reconnect);
        m.put(ConsumerConfig.GROUP_ID_CONFIG, "SubscribeOptions.group");
        m.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "nothing: the receiver commits acked offsets itself");
        m.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "SubscribeOptions.startAt");
        m.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                "nothing: the receiver's revocation handling needs cooperative-sticky");
        m.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "SubscribeOptions.maxInFlight (flow control sets it)");
        m.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "option 'max.poll.interval'");
        m.put(CommonClientConfigs.METADATA_MAX_AGE_CONFIG,
                "nothing: wildcard subscriptions refresh metadata every second");
        return Collections.unmodifiableMap(m);
    }

    /** Resolves the security settings of {@code context} and its pass-through properties. */
    static KafkaSecurity resolve(BackendContext context) {
        UserInfo userInfo = UserInfo.split(context.address());
        Map<String, String> passThrough = new LinkedHashMap<>(context.passThrough());
        List<String> problems = new ArrayList<>();
        for (String name : passThrough.keySet()) {
            String instead = MANAGED.get(name);
            if (instead != null) {
                problems.add("option '" + KafkaBackendProvider.PASS_THROUGH_PREFIX + name + "' sets a property "
                        + "Omnibus manages; use " + instead + " (managed properties: " + MANAGED.keySet() + ")");
            }
        }

        String user = null;
        String password = null;
        if (userInfo.present()) {
            user = userInfo.user().orElse("");
            password = userInfo.password().orElse("");
            if (user.isEmpty() || password.isEmpty()) {
                problems.add("'" + context.redactedUrl() + "': credentials must be user:password (SASL), both "
                        + "non-empty");
            }
        }
        boolean urlCredentials = userInfo.present();
        boolean jaasPassedThrough = passThrough.containsKey(SaslConfigs.SASL_JAAS_CONFIG);
        if (urlCredentials && jaasPassedThrough) {
            problems.add("'" + context.redactedUrl() + "' has user:password and option '"
                    + KafkaBackendProvider.PASS_THROUGH_PREFIX + SaslConfigs.SASL_JAAS_CONFIG
                    + "' is set too: give the credentials one way");
        }
        boolean sasl = urlCredentials || jaasPassedThrough;

        TlsSettings tls = TlsOptions.resolve(context, false);
        String protocol = resolveProtocol(context, sasl, tls, problems);

        String mechanism = context.get(KafkaBackendProvider.SASL_MECHANISM);
        mechanism = mechanism == null ? "" : mechanism.trim().toUpperCase(Locale.ROOT);
        if (urlCredentials && !MECHANISMS.contains(mechanism)) {
            problems.add("option 'sasl.mechanism' is '" + mechanism + "': with user:password in the URL allowed are "
                    + MECHANISMS + " (other mechanisms: set option '" + KafkaBackendProvider.PASS_THROUGH_PREFIX
                    + SaslConfigs.SASL_JAAS_CONFIG + "' instead of user:password)");
        } else if (jaasPassedThrough && mechanism.isEmpty()) {
            problems.add("option 'sasl.mechanism' is empty: with '" + KafkaBackendProvider.PASS_THROUGH_PREFIX
                    + SaslConfigs.SASL_JAAS_CONFIG + "' name the mechanism it is for (e.g. OAUTHBEARER)");
        }

        Map<String, Object> config = new HashMap<>();
        if (protocol != null) {
            config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol);
        }
        if (sasl) {
            config.put(SaslConfigs.SASL_MECHANISM, mechanism);
        }
        if (urlCredentials && user != null && !user.isEmpty() && !password.isEmpty()) {
            // a Password value: kafka-clients never prints it (its toString is [hidden])
            config.put(SaslConfigs.SASL_JAAS_CONFIG, jaasConfig(mechanism, user, password));
        }
        if (protocol != null && protocol.endsWith("SSL")) {
            config.put(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, "https");
            tls.caFile().ifPresent(ca -> {
                config.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
                config.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, ca.toString());
            });
            if (tls.mutual()) {
                // inline PEM (not a keystore file): TlsOptions accepts a certificate and a key in two files, which
                // Kafka's ssl.keystore.location cannot take
                config.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
                config.put(SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG,
                        new Password(read(tls.certFile().orElseThrow(), "tls.cert.file", problems)));
                config.put(SslConfigs.SSL_KEYSTORE_KEY_CONFIG,
                        new Password(read(tls.keyFile().orElseThrow(), "tls.key.file", problems)));
            }
        }
        // properties set from Omnibus options in this configuration: a pass-through of one of them is a conflict
        for (String name : passThrough.keySet()) {
            if (!MANAGED.containsKey(name) && config.containsKey(name)) {
                problems.add("option '" + KafkaBackendProvider.PASS_THROUGH_PREFIX + name + "' conflicts with "
                        + ownerOf(name) + ", which sets it: give one of them");
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }

        return new KafkaSecurity(config, passThrough);
    }

    private static String resolveProtocol(BackendContext context, boolean sasl, TlsSettings tls,
            List<String> problems) {
        String given = context.get(KafkaBackendProvider.SECURITY_PROTOCOL);
        if (given == null || given.isBlank()) {
            if (sasl) {
                return "SASL_SSL";
            }
            return tls.enabled() ? "SSL" : "PLAINTEXT";
        }
        String protocol = given.trim().toUpperCase(Locale.ROOT);
        if (!PROTOCOLS.contains(protocol)) {
            problems.add("option 'security.protocol' is '" + given.trim() + "': allowed are " + List.of("PLAINTEXT",
                    "SSL", "SASL_PLAINTEXT", "SASL_SSL"));
            return null;
        }
        if (sasl && !protocol.startsWith("SASL_")) {
            problems.add("'" + context.redactedUrl() + "' has credentials (user:password or '"
                    + KafkaBackendProvider.PASS_THROUGH_PREFIX + SaslConfigs.SASL_JAAS_CONFIG
                    + "') but option 'security.protocol' is " + protocol + ": use SASL_SSL (or SASL_PLAINTEXT to "
                    + "send them unencrypted)");
        }
        if (!sasl && protocol.startsWith("SASL_") && System.getProperty(JVM_JAAS_FILE) == null) {
            // kafka-clients would fail later with "Could not find a 'KafkaClient' entry in the JAAS configuration"
            problems.add("option 'security.protocol' is " + protocol + " but no credentials are given: put "
                    + "user:password in the URL, or set option '" + KafkaBackendProvider.PASS_THROUGH_PREFIX
                    + SaslConfigs.SASL_JAAS_CONFIG + "' (or the JVM's " + JVM_JAAS_FILE + ")");
        }
        if (tls.enabled() && !protocol.endsWith("SSL")) {
            problems.add("TLS options (tls, tls.ca.file, tls.cert.file, tls.key.file) are set but option "
                    + "'security.protocol' is " + protocol + ": use SSL or SASL_SSL, or drop the TLS options");
        }
        return protocol;
    }

    private static String ownerOf(String name) {
        if (name.equals(SaslConfigs.SASL_JAAS_CONFIG)) {
            return "the URL's user:password";
        }
        if (name.startsWith("ssl.truststore.")) {
            return "option 'tls.ca.file'";
        }
        return "options 'tls.cert.file' and 'tls.key.file'";
    }

    /**
     * The JAAS line for {@code user} and {@code password}. JAAS option values are double-quoted strings in which
     * {@code \} escapes the next character, so a {@code "} or {@code \} in them must be escaped (a password with
     * {@code ";} would otherwise end the value, or worse, add options).
     */
    static Password jaasConfig(String mechanism, String user, String password) {
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        return new Password(module + " required username=\"" + jaasEscape(user) + "\" password=\""
                + jaasEscape(password) + "\";");
    }

    private static String jaasEscape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static String read(Path file, String option, List<String> problems) {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            problems.add("option '" + option + "': cannot read " + file + ": " + e.getMessage());
            return "";
        }
    }

    /**
     * The security settings and the pass-through properties for a client that knows the property names
     * {@code clientProperties} ({@code ProducerConfig.configNames()}...): a pass-through property goes to each client
     * that knows it, and one no client knows (a plug-in's own setting) to all of them.
     */
    Map<String, Object> settings(Set<String> clientProperties) {
        Map<String, Object> out = new HashMap<>(security);
        passThrough.forEach((name, value) -> {
            boolean noClientKnowsIt = !ProducerConfig.configNames().contains(name)
                    && !ConsumerConfig.configNames().contains(name)
                    && !AdminClientConfig.configNames().contains(name);
            if (clientProperties.contains(name) || noClientKnowsIt) {
                out.put(name, value);
            }
        });
        return out;
    }

    @Override
    public String toString() {
        // names only: values may be secrets
        return "KafkaSecurity{protocol=" + security.get(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG) + ", passThrough="
                + passThrough.keySet() + "}";
    }
}
