package dev.omnibus.redis;

import dev.omnibus.tck.BrokerProcess;
import dev.omnibus.tck.TestPki;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.StaticCredentialsProvider;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} child process with security on, for the security tests: a TLS port (certificates from a
 * {@link TestPki} made at start in the server's temporary dir, nothing committed), optionally a plaintext port too,
 * {@code tls-auth-clients} as asked, and ACL users from an aclfile (passwords stored as SHA-256 hashes, so no raw
 * password is ever parsed by the ACL file reader). Binds 127.0.0.1 and 127.0.0.2, so that a client can reach it
 * under an address its certificate does not name. No persistence. Not thread-safe: one per test class.
 *
 * <p>The {@code admin} user (all keys, all commands) backs {@link #admin()}, a raw Lettuce connection over TLS with
 * the client certificate, for what tests do behind the library's back (changing a password, reading the ACL log).
 */
final class SecureRedisServer implements AutoCloseable {
    static final String ADMIN_PASSWORD = "admin-pw";
    private static final Duration STARTUP = Duration.ofSeconds(20);

    private final BrokerProcess server;
    private final TestPki pki;
    private final boolean plainPort;
    private ClientResources adminResources;
    private RedisClient adminClient;
    private StatefulRedisConnection<String, String> admin;

    private SecureRedisServer(BrokerProcess server, TestPki pki, boolean plainPort) {
        this.server = server;
        this.pki = pki;
        this.plainPort = plainPort;
    }

    /**
     * Starts a server.
     *
     * @param tlsAuthClients {@code yes} (a client certificate is required) or {@code optional}
     * @param plainPort      whether to listen on a plaintext port as well
     * @param users          user name to its ACL rules after the password (e.g. {@code "~omnibus.* &* +@all"}) and
     *                       its password: {@code Map.of("alice", List.of("pw", "~omnibus.* +@all"))}
     */
    static SecureRedisServer start(String tlsAuthClients, boolean plainPort, Map<String, List<String>> users)
            throws IOException, InterruptedException {
        TestPki[] made = new TestPki[1];
        BrokerProcess server = BrokerProcess.builder("redis-server-secure").ports(2)
                .command(p -> {
                    // the certificates live in the server's dir, deleted with it; made once, used by every start
                    TestPki pki = made[0] = TestPki.create(p.dir().resolve("pki"));
                    List<String> line = new ArrayList<>(List.of("redis-server",
                            "--bind", "127.0.0.1", "127.0.0.2",
                            "--port", plainPort ? String.valueOf(p.port(1)) : "0",
                            "--tls-port", String.valueOf(p.port(0)),
                            "--tls-cert-file", pki.serverCertFile().toString(),
                            "--tls-key-file", pki.serverKeyFile().toString(),
                            "--tls-ca-cert-file", pki.caFile().toString(),
                            "--tls-auth-clients", tlsAuthClients,
                            "--aclfile", p.dir().resolve("users.acl").toString(),
                            "--save", "", "--appendonly", "no", "--dir", p.dir().toString(),
                            "--daemonize", "no"));
                    return line;
                })
                .probe("logs that it accepts connections", BrokerProcess.Probe.logShows("Ready to accept connections"))
                .startupTimeout(STARTUP).installHint("apt-get install -y redis-server").build();
        try {
            Map<String, List<String>> all = new LinkedHashMap<>(users);
            all.put("admin", List.of(ADMIN_PASSWORD, "~* &* +@all"));
            // the default user is off unless a test gives it a password (requirepass, redis://:password@host)
            StringBuilder acl = new StringBuilder(all.containsKey("default") ? ""
                    : "user default off nopass resetkeys -@all\n");
            all.forEach((name, rule) -> acl.append("user ").append(name).append(" on #").append(sha256(rule.get(0)))
                    .append(' ').append(rule.get(1)).append('\n'));
            Files.writeString(server.dir().resolve("users.acl"), acl.toString());
            server.start();
            return new SecureRedisServer(server, made[0], plainPort);
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.stop();
            throw e;
        }
    }

    /** The hex SHA-256 of a password, as an ACL {@code #<hash>} rule takes it. */
    static String sha256(String password) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(password.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    TestPki pki() {
        return pki;
    }

    int tlsPort() {
        return server.port(0);
    }

    int plainPort() {
        if (!plainPort) {
            throw new IllegalStateException("this server has no plaintext port");
        }
        return server.port(1);
    }

    /** {@code rediss://<userinfo>@127.0.0.1:<tls port>} (no userinfo when null), without a query. */
    String tlsUrl(String userInfo) {
        return "rediss://" + (userInfo == null ? "" : userInfo + "@") + "127.0.0.1:" + tlsPort();
    }

    /** {@code ?tls.ca.file=<the CA>}, to append to a URL. */
    String trustQuery() {
        return "?tls.ca.file=" + pki.caFile();
    }

    /** {@code ?tls.ca.file=...&tls.cert.file=...&tls.key.file=...}: trust plus the client certificate. */
    String mutualQuery() {
        return trustQuery() + "&tls.cert.file=" + pki.clientCertFile() + "&tls.key.file=" + pki.clientKeyFile();
    }

    /** The server's log since its start, for failure messages. */
    String log() throws IOException {
        return server.logSinceStart();
    }

    /** Kills the server and starts it again on the same ports, certificates and users. */
    void restart() throws IOException, InterruptedException {
        server.restart();
    }

    /** A raw Lettuce connection as {@code admin} over mutual TLS, made on first use. */
    RedisCommands<String, String> admin() {
        if (admin == null) {
            adminResources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1)
                    .threadFactoryProvider(pool -> new DefaultThreadFactory("omnibus-tck-secure-" + pool, true))
                    .build();
            adminClient = RedisClient.create(adminResources);
            adminClient.setOptions(ClientOptions.builder().sslOptions(SslOptions.builder().jdkSslProvider()
                    .trustManager(pki.caFile().toFile())
                    .keyManager(pki.clientCertFile().toFile(), pki.clientKeyFile().toFile(), null).build()).build());
            RedisURI uri = RedisURI.create("redis://127.0.0.1:" + tlsPort());
            uri.setSsl(true);
            uri.setVerifyPeer(SslVerifyMode.FULL);
            uri.setCredentialsProvider(new StaticCredentialsProvider("admin", ADMIN_PASSWORD.toCharArray()));
            admin = adminClient.connect(StringCodec.UTF8, uri);
        }
        return admin.sync();
    }

    /** How many failed authentications the server's ACL log counts for {@code user} (entries aggregate a count). */
    long authFailures(String user) {
        return aclLogCount("auth", user, null);
    }

    /** How many times the server's ACL log says it refused {@code user} the command {@code object} ("client|id"). */
    long commandDenials(String user, String object) {
        return aclLogCount("command", user, object);
    }

    /** The ACL log's count of {@code reason} entries for {@code user} (and {@code object}, when not null). */
    private long aclLogCount(String reason, String user, String object) {
        long n = 0;
        for (Map<String, Object> entry : admin().aclLog()) {
            if (reason.equals(String.valueOf(entry.get("reason"))) && user.equals(String.valueOf(entry.get("username")))
                    && (object == null || object.equals(String.valueOf(entry.get("object"))))) {
                n += Long.parseLong(String.valueOf(entry.get("count")));
            }
        }
        return n;
    }

    @Override
    public void close() throws Exception {
        try {
            if (admin != null) {
                admin.close();
                adminClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
                adminResources.shutdown(0, 2, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS);
            }
        } finally {
            server.stop();
        }
    }
}
