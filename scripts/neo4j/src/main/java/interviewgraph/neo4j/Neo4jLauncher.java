package interviewgraph.neo4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * Runs a Neo4j Community DBMS in this JVM with only the Bolt connector, bound to 127.0.0.1.
 *
 * <p>It exists so tests and developers get a real Neo4j 5 server from Maven Central artifacts,
 * without a Neo4j distribution or Docker. Sized for a small shared machine: tiny page cache, no
 * log preallocation.
 *
 * <p>Usage: {@code Neo4jLauncher --home DIR [--port N] [--password PW] [--no-stdin-watch]
 * [--warmup-and-exit]}.
 * Port 0 (the default) binds a free port; the one used is printed in the READY line:
 * {@code READY bolt://127.0.0.1:PORT}. With {@code --password} auth is enabled and user
 * {@code neo4j} gets that password (at least 8 characters); without it auth is disabled.
 *
 * <p>It stops cleanly on SIGTERM/SIGINT and, unless {@code --no-stdin-watch}, when its stdin
 * reaches end-of-file, so a parent process that dies (closing the pipe) never leaves it running.
 */
public final class Neo4jLauncher {
    private static final String HOST = "127.0.0.1";
    private static final String USER = "neo4j";
    private static final int MIN_PASSWORD_LENGTH = 8;
    private static final String PASSWORD_UNCHANGED_STATUS =
            "Neo.ClientError.Statement.ArgumentError";
    private static final long DB_AVAILABLE_TIMEOUT_MS = TimeUnit.MINUTES.toMillis(5);

    private Neo4jLauncher() {}

    /** Command-line options, parsed by hand: a handful of flags does not justify a library. */
    private record Options(
            Path home, int port, String password, boolean watchStdin, boolean warmupAndExit) {
        static Options parse(String[] args) {
            Path home = null;
            int port = 0;
            String password = null;
            boolean watchStdin = true;
            boolean warmupAndExit = false;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--home" -> home = Path.of(valueAfter(args, i++));
                    case "--port" -> port = parsePort(valueAfter(args, i++));
                    case "--password" -> password = valueAfter(args, i++);
                    case "--no-stdin-watch" -> watchStdin = false;
                    case "--warmup-and-exit" -> warmupAndExit = true;
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (home == null) {
                throw new IllegalArgumentException(
                        "--home DIR is required (the DBMS data directory)");
            }
            if (password != null && password.length() < MIN_PASSWORD_LENGTH) {
                throw new IllegalArgumentException(
                        "--password must have at least " + MIN_PASSWORD_LENGTH + " characters");
            }
            return new Options(home.toAbsolutePath(), port, password, watchStdin, warmupAndExit);
        }

        private static String valueAfter(String[] args, int i) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            return args[i + 1];
        }

        private static int parsePort(String text) {
            int port = Integer.parseInt(text);
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("--port must be 0..65535, got " + text);
            }
            return port;
        }
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("neo4j-launcher: " + e.getMessage());
            System.err.println(
                    "usage: Neo4jLauncher --home DIR [--port N] [--password PW] [--no-stdin-watch]"
                            + " [--warmup-and-exit]");
            System.exit(2);
            return;
        }
        // Watch from the start: a parent that dies while we are still starting must stop us too.
        if (options.watchStdin()) {
            startStdinWatchdog();
        }
        try {
            run(options);
        } catch (Throwable e) {
            // Neo4j's non-daemon threads would keep a JVM whose start-up failed alive forever.
            System.err.println("neo4j-launcher: Neo4j failed in " + options.home() + ": " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(Options options) throws Exception {
        Files.createDirectories(options.home());
        long startedAt = System.nanoTime();
        AtomicReference<DatabaseManagementService> running = new AtomicReference<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread stopHook = new Thread(() -> shutdown(running.get(), stopped), "neo4j-stop");
        Runtime.getRuntime().addShutdownHook(stopHook);
        DatabaseManagementService dbms = build(options);
        running.set(dbms);

        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (!db.isAvailable(DB_AVAILABLE_TIMEOUT_MS)) {
            throw new IllegalStateException("database 'neo4j' did not become available in "
                    + DB_AVAILABLE_TIMEOUT_MS / 1000 + "s; see "
                    + options.home().resolve("logs/debug.log"));
        }
        if (options.password() != null) {
            setPassword(dbms, options.password());
        }
        int boltPort = boundBoltPort(db);
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt);

        PrintStream out = System.out;
        out.println("READY bolt://" + HOST + ":" + boltPort + " user=" + USER + " auth="
                + (options.password() != null) + " started_in_ms=" + elapsedMs);
        out.flush();

        if (options.warmupAndExit()) {
            warmUp(db);
            System.exit(0);
        }
        stopped.await();
    }

    private static DatabaseManagementService build(Options options) {
        SocketAddress boltAddress = new SocketAddress(HOST, options.port());
        return new DatabaseManagementServiceBuilder(options.home())
                .setUserLogProvider(new Log4jLogProvider(System.out, Level.INFO))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, boltAddress)
                .setConfig(BoltConnector.advertised_address, boltAddress)
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(GraphDatabaseSettings.auth_enabled, options.password() != null)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(64))
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(
                        GraphDatabaseSettings.logical_log_rotation_threshold,
                        ByteUnit.mebiBytes(16))
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "2 files")
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Netty's default 5 s quiet period, paid once per event loop group, would make
                // every stop take 10 s; by then the Bolt connections are already closed.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .setConfig(
                        GraphDatabaseInternalSettings.netty_server_shutdown_timeout,
                        Duration.ofSeconds(5))
                .build();
    }

    /**
     * Runs the kinds of statements the application runs, so that a class-data-sharing archive
     * recorded during this run (build.sh does that) also covers the Cypher planner and runtime.
     */
    private static void warmUp(GraphDatabaseService db) {
        db.executeTransactionally(
                "CREATE CONSTRAINT warmup_id IF NOT EXISTS FOR (n:Warmup) REQUIRE n.id IS UNIQUE");
        db.executeTransactionally(
                "UNWIND range(1, $count) AS i MERGE (n:Warmup {id: i}) SET n.name = toString(i) "
                        + "MERGE (m:Warmup {id: -i}) MERGE (n)-[:NEXT]->(m)",
                Map.of("count", 100));
        db.executeTransactionally(
                "MATCH (n:Warmup)-[:NEXT]->(m) WHERE n.id > $min "
                        + "RETURN n.id, count(m) ORDER BY n.id",
                Map.of("min", 10));
        db.executeTransactionally("MATCH (n:Warmup) DETACH DELETE n");
        db.executeTransactionally("DROP CONSTRAINT warmup_id");
    }

    /** Sets the password of the built-in admin user; idempotent, so a reused --home is fine. */
    private static void setPassword(DatabaseManagementService dbms, String password) {
        GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        try {
            system.executeTransactionally(
                    "ALTER USER " + USER + " SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        } catch (QueryExecutionException e) {
            // Neo4j refuses to set the password a user already has, which is what a reused
            // --home looks like. The password is this statement's only argument (its length is
            // checked above), so an argument error means exactly that; others are real errors.
            if (!PASSWORD_UNCHANGED_STATUS.equals(e.getStatusCode())) {
                throw e;
            }
            System.out.println("password of user " + USER + " kept: " + e.getMessage());
        }
    }

    /** The port Bolt actually bound, which differs from the configured one when that was 0. */
    private static int boundBoltPort(GraphDatabaseService db) {
        ConnectorPortRegister ports = ((GraphDatabaseAPI) db)
                .getDependencyResolver()
                .resolveDependency(ConnectorPortRegister.class);
        HostnamePort address = ports.getLocalAddress(ConnectorType.BOLT);
        if (address == null) {
            throw new IllegalStateException("the Bolt connector did not register a listen address");
        }
        return address.getPort();
    }

    /** Exits (running the shutdown hook) when stdin closes, i.e. when the parent went away. */
    private static void startStdinWatchdog() {
        Thread watchdog = new Thread(() -> {
            InputStream in = System.in;
            byte[] buffer = new byte[256];
            try {
                while (in.read(buffer) >= 0) {
                    // Input is ignored; only end-of-file matters.
                }
            } catch (IOException e) {
                // A broken stdin means the parent is gone, same as end-of-file.
            }
            System.out.println("stdin closed; stopping Neo4j");
            System.exit(0);
        }, "neo4j-stdin-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    private static void shutdown(DatabaseManagementService dbms, CountDownLatch stopped) {
        System.out.println("stopping Neo4j");
        try {
            if (dbms != null) {
                dbms.shutdown();
            }
            System.out.println("STOPPED");
        } finally {
            System.out.flush();
            stopped.countDown();
        }
    }
}
