package dev.omnibus.nats;

import dev.omnibus.ErrorCode;
import dev.omnibus.tck.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.omnibus.nats.SecureNatsServer.connectFails;
import static dev.omnibus.nats.SecureNatsServer.param;
import static dev.omnibus.nats.SecureNatsServer.quote;

/**
 * A nats-server whose certificate is signed by the trusted CA but names another host ({@code CN=SAN=elsewhere.test}):
 * the client must refuse it. jnats checks only the chain with a context of its own, so this proves the connector's
 * host name check ({@code HostCheckingSslContext}) is on, by IP address and by name.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NatsTlsHostNameIT {
    private Path dir;
    private TestPki pki;
    private SecureNatsServer server;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("omnibus-nats-hostname");
        pki = TestPki.create(dir.resolve("pki"));
        TestPki.Leaf elsewhere = pki.issue("elsewhere", "elsewhere.test", false);
        server = SecureNatsServer.start(d -> "tls {\n"
                + "  cert_file: " + quote(elsewhere.certFile()) + "\n"
                + "  key_file: " + quote(elsewhere.keyFile()) + "\n"
                + "}\n");
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            SecureNatsServer.deleteTree(dir);
        }
    }

    @Test
    void aCertificateForAnotherHostIsNotTrustedByIpAddress() {
        connectFails(server.url("nats", null, param("tls.ca.file", pki.caFile())), ErrorCode.UNAUTHENTICATED,
                "the server's certificate is not trusted (check tls.ca.file and the host name)");
    }

    @Test
    void aCertificateForAnotherHostIsNotTrustedByName() {
        connectFails("nats://localhost:" + server.port() + "?" + param("tls.ca.file", pki.caFile()),
                ErrorCode.UNAUTHENTICATED, "not trusted");
    }
}
