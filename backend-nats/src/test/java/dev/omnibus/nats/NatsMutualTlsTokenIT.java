package dev.omnibus.nats;

import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import dev.omnibus.tck.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.omnibus.nats.SecureNatsServer.connect;
import static dev.omnibus.nats.SecureNatsServer.connectFails;
import static dev.omnibus.nats.SecureNatsServer.everything;
import static dev.omnibus.nats.SecureNatsServer.param;
import static dev.omnibus.nats.SecureNatsServer.quote;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A nats-server that requires a client certificate ({@code verify: true}) and a token, against one real server:
 * mutual TLS with the token works; without a client certificate, or with a wrong token, the connect fails
 * UNAUTHENTICATED at once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NatsMutualTlsTokenIT {
    private static final String TOKEN = "s3cr3t/t0ken+with=base64/chars";

    private Path dir;
    private TestPki pki;
    private SecureNatsServer server;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("omnibus-nats-mtls");
        pki = TestPki.create(dir.resolve("pki"));
        server = SecureNatsServer.start(d -> "tls {\n"
                + "  cert_file: " + quote(pki.serverCertFile()) + "\n"
                + "  key_file: " + quote(pki.serverKeyFile()) + "\n"
                + "  ca_file: " + quote(pki.caFile()) + "\n"
                + "  verify: true\n"
                + "}\n"
                + "authorization { token: " + quote(TOKEN) + " }\n");
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

    private String tls(boolean clientCertificate) {
        return param("tls.ca.file", pki.caFile()) + (clientCertificate ? "&" + param("tls.cert.file",
                pki.clientCertFile()) + "&" + param("tls.key.file", pki.clientKeyFile()) : "");
    }

    @Test
    void mutualTlsWithATokenConnectsPublishesAndConsumes() {
        try (Omnibus bus = connect(server.url("nats", TOKEN, tls(true)))) {
            NatsTlsUsersIT.roundTrip(bus, NatsTlsUsersIT.topic("mtls"));
        }
    }

    @Test
    void withoutAClientCertificateTheServerRefusesTheClient() {
        OmnibusException e = connectFails(server.url("nats", TOKEN, tls(false)), ErrorCode.UNAUTHENTICATED,
                "tls.cert.file");
        assertThat(everything(e)).doesNotContain(TOKEN);
    }

    @Test
    void aWrongTokenIsUnauthenticatedAndNeverShown() {
        String wrong = "wrong/t0ken+x";
        OmnibusException e = connectFails(server.url("nats", wrong, tls(true)), ErrorCode.UNAUTHENTICATED,
                "refused the credentials");
        assertThat(everything(e)).doesNotContain(wrong).doesNotContain(TOKEN);
    }
}
