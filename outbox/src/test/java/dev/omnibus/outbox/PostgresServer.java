package dev.omnibus.outbox;

import dev.omnibus.tck.BrokerProcess;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A throw-away PostgreSQL for tests: {@code initdb} into a temporary dir and {@code postgres} on a free loopback port
 * (its Unix socket in the same dir), through {@link BrokerProcess}, so never the machine's own server. Restartable on
 * the same port and data ({@link #kill()} is {@code kill -9}, then {@link #start()}). Thread-safe as BrokerProcess is.
 *
 * <p>PostgreSQL refuses to run as root: when the tests run as root, initdb and postgres run as the {@code postgres}
 * user (through {@code setpriv}), which then owns the dir.
 */
public final class PostgresServer implements AutoCloseable {
    /**
     * The server binaries: {@code POSTGRES_BIN} if set, else the newest {@code /usr/lib/postgresql/<version>/bin}
     * (Debian's layout) that has {@code initdb}, else 15's (the failure then names it).
     */
    static final String BIN = binDir();
    private static final String USER = "omnibus";
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private final BrokerProcess process;

    private PostgresServer(BrokerProcess process) {
        this.process = process;
    }

    /** Initialises a cluster and starts it; the caller closes it. */
    public static PostgresServer start() throws IOException, InterruptedException {
        List<String> asPostgres = asPostgresUser();
        BrokerProcess p = BrokerProcess.builder("postgres")
                .command(b -> {
                    List<String> line = new ArrayList<>(asPostgres);
                    line.addAll(List.of(BIN + "postgres", "-D", b.dir().resolve("data").toString(),
                            "-p", String.valueOf(b.port()), "-h", "127.0.0.1", "-k", b.dir().toString(),
                            "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=200"));
                    return line;
                })
                .probe("logs 'ready to accept connections'",
                        BrokerProcess.Probe.logShows("database system is ready to accept connections"))
                .installHint("apt-get install -y postgresql (or set POSTGRES_BIN to a dir with initdb and postgres)")
                .startupTimeout(Duration.ofSeconds(60))
                .build();
        try {
            if (!asPostgres.isEmpty()) {
                UserPrincipal owner = p.dir().getFileSystem().getUserPrincipalLookupService()
                        .lookupPrincipalByName("postgres");
                Files.setOwner(p.dir(), owner);
            }
            List<String> initdb = new ArrayList<>(asPostgres);
            initdb.addAll(List.of(BIN + "initdb", "-D", p.dir().resolve("data").toString(), "-A", "trust",
                    "-U", USER, "-E", "UTF8", "--locale=C", "--no-sync"));
            p.run("initdb", initdb, Duration.ofSeconds(60));
            p.start();
            return new PostgresServer(p);
        } catch (IOException | InterruptedException | RuntimeException e) {
            p.stop();
            throw e;
        }
    }

    private static String binDir() {
        String configured = System.getenv("POSTGRES_BIN");
        if (configured != null && !configured.isBlank()) {
            return configured.endsWith("/") ? configured : configured + "/";
        }
        Path root = Path.of("/usr/lib/postgresql");
        try (java.util.stream.Stream<Path> versions = Files.list(root)) {
            return versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                    .max(java.util.Comparator.comparingInt(PostgresServer::version))
                    .map(v -> v.resolve("bin") + "/").orElse("/usr/lib/postgresql/15/bin/");
        } catch (IOException e) {
            return "/usr/lib/postgresql/15/bin/";
        }
    }

    private static int version(Path dir) {
        try {
            return Integer.parseInt(dir.getFileName().toString());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static List<String> asPostgresUser() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return List.of();
        }
        return List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--");
    }

    /** The port. */
    public int port() {
        return process.port();
    }

    /** The JDBC URL of {@code database} (no password: the cluster trusts loopback). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database + "?user=" + USER
                + "&connectTimeout=5&tcpKeepAlive=true";
    }

    /** A data source on {@code database}. */
    public DataSource dataSource(String database) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(jdbcUrl(database));
        return ds;
    }

    /** Creates a fresh database and returns its name, so that tests sharing the server do not share tables. */
    public String newDatabase() throws SQLException {
        String name = "test_" + DATABASES.incrementAndGet();
        try (Connection c = dataSource("postgres").getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return name;
    }

    /** {@code kill -9} of the postmaster and its backends; the data dir stays. */
    public void kill() throws InterruptedException {
        process.kill();
    }

    /** Starts again after {@link #kill()} (crash recovery), on the same port and data. */
    public void startAgain() throws IOException, InterruptedException {
        process.start();
    }

    /** The server's log since its latest start, for failure messages. */
    public String log() throws IOException {
        return process.logSinceStart();
    }

    /** The data dir's parent. */
    public Path dir() {
        return process.dir();
    }

    @Override
    public void close() throws InterruptedException {
        process.stop();
    }
}
