package dev.omnibus.nats;

import dev.omnibus.ErrorCode;
import dev.omnibus.Omnibus;
import dev.omnibus.OmnibusException;
import io.nats.client.NKey;
import io.nats.client.support.JwtUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

import static dev.omnibus.nats.SecureNatsServer.connect;
import static dev.omnibus.nats.SecureNatsServer.connectFails;
import static dev.omnibus.nats.SecureNatsServer.everything;
import static dev.omnibus.nats.SecureNatsServer.param;
import static dev.omnibus.nats.SecureNatsServer.quote;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A nats-server in operator (decentralised JWT) mode, against one real server: an operator, an account with
 * JetStream limits and a system account (JetStream needs one in operator mode), preloaded in a memory resolver, all made at test time with jnats' {@code NKey} and {@code JwtUtils}. A
 * creds file of a user of that account connects, publishes and consumes; a user signed by an account the server does
 * not know is UNAUTHENTICATED and its seed shows in no message.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NatsCredsIT {
    private Path dir;
    private SecureNatsServer server;
    private Path creds;
    private Path strangerCreds;
    private String strangerSeed;

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("omnibus-nats-creds");
        SecureRandom random = new SecureRandom();
        NKey operator = NKey.createOperator(random);
        NKey account = NKey.createAccount(random);
        String operatorPub = new String(operator.getPublicKey());
        String accountPub = new String(account.getPublicKey());
        long now = JwtUtils.currentTimeSeconds();
        String operatorJwt = JwtUtils.issueJWT(operator, operatorPub, "omnibus-test-operator", null, now, operatorPub,
                () -> "{\"type\":\"operator\",\"version\":2}");
        String accountJwt = JwtUtils.issueJWT(operator, accountPub, "omnibus-test-account", null, now, operatorPub,
                () -> "{\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,\"exports\":-1,"
                        + "\"wildcards\":true,\"conn\":-1,\"leaf\":-1,\"mem_storage\":-1,\"disk_storage\":-1,"
                        + "\"streams\":-1,\"consumer\":-1},\"default_permissions\":{\"pub\":{},\"sub\":{}},"
                        + "\"type\":\"account\",\"version\":2}");
        // JetStream in operator mode needs a system account
        NKey system = NKey.createAccount(random);
        String systemPub = new String(system.getPublicKey());
        String systemJwt = JwtUtils.issueJWT(operator, systemPub, "SYS", null, now, operatorPub,
                () -> "{\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,\"exports\":-1,"
                        + "\"wildcards\":true,\"conn\":-1,\"leaf\":-1},\"type\":\"account\",\"version\":2}");
        creds = writeCreds("user.creds", account, accountPub, random);
        NKey otherAccount = NKey.createAccount(random);
        NKey stranger = NKey.createUser(random);
        strangerSeed = new String(stranger.getSeed());
        strangerCreds = dir.resolve("stranger.creds");
        Files.writeString(strangerCreds, String.format(JwtUtils.NATS_USER_JWT_FORMAT, JwtUtils.issueUserJWT(
                otherAccount, new String(otherAccount.getPublicKey()), new String(stranger.getPublicKey())),
                strangerSeed));
        server = SecureNatsServer.start(d -> "operator: " + quote(operatorJwt) + "\n"
                + "system_account: " + systemPub + "\n"
                + "resolver: MEMORY\n"
                + "resolver_preload: {\n  " + accountPub + ": " + quote(accountJwt) + "\n  " + systemPub + ": "
                + quote(systemJwt) + "\n}\n");
    }

    private Path writeCreds(String name, NKey account, String accountPub, SecureRandom random) throws Exception {
        NKey user = NKey.createUser(random);
        String jwt = JwtUtils.issueUserJWT(account, accountPub, new String(user.getPublicKey()));
        Path file = dir.resolve(name);
        Files.writeString(file, String.format(JwtUtils.NATS_USER_JWT_FORMAT, jwt, new String(user.getSeed())));
        return file;
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
    void aCredsFileOfTheAccountsUserConnectsPublishesAndConsumes() {
        // jetstream:// opens the same connector (NatsConnector): the creds handling is one code path
        try (Omnibus bus = connect(server.url("nats", null, param("creds.file", creds)))) {
            NatsTlsUsersIT.roundTrip(bus, NatsTlsUsersIT.topic("creds"));
        }
    }

    @Test
    void aUserOfAnUnknownAccountIsUnauthenticated() {
        OmnibusException e = connectFails(server.url("nats", null, param("creds.file", strangerCreds)),
                ErrorCode.UNAUTHENTICATED, "refused the credentials");
        assertThat(everything(e)).doesNotContain(strangerSeed);
    }

    @Test
    void aCredsFileAndAPasswordTogetherAreAConfigError() {
        connectFails(server.url("nats", "u:p", param("creds.file", creds)), ErrorCode.INVALID_CONFIG,
                "one way");
    }
}
