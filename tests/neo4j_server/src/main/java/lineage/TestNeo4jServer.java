package lineage;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * A Neo4j Community server for lineage-engine's tests: one in-process DBMS with Bolt on
 * 127.0.0.1 and no HTTP, its store in a folder that survives restarts (so a test can stop
 * the server and find the same graph after starting it again).
 *
 * <p>Environment (all optional):
 * <ul>
 *   <li>{@code LINEAGE_NEO4J_HOME}: the server's folder (store, logs); default {@code ./neo4j-home}.</li>
 *   <li>{@code LINEAGE_NEO4J_PORT}: the Bolt port; default 0, a free port chosen at start.</li>
 *   <li>{@code LINEAGE_NEO4J_PASSWORD}: turns authentication on for user {@code neo4j} with this
 *       password (at least 8 characters); unset or empty: no authentication.</li>
 *   <li>{@code LINEAGE_NEO4J_PAGECACHE}: page cache size; default {@code 128m}.</li>
 *   <li>{@code LINEAGE_NEO4J_SETTINGS}: more {@code neo4j.conf} settings, {@code key=value;key=value}
 *       (e.g. {@code db.memory.transaction.max=8m}); they win over the ones above.</li>
 * </ul>
 * The heap is capped by the caller's {@code -Xmx} (see {@code .ci/neo4j.sh}).
 *
 * <p>When Bolt accepts connections it prints one line {@code NEO4J_URI=bolt://127.0.0.1:PORT}
 * on standard output, then runs until it is sent SIGTERM / SIGINT, when it shuts down cleanly.
 * Bolt's advertised address is the same 127.0.0.1:PORT, so {@code neo4j://} routing against this
 * single server works.
 */
public final class TestNeo4jServer {

    private TestNeo4jServer() {}

    public static void main(String[] args) throws Exception {
        Path home = Path.of(env("LINEAGE_NEO4J_HOME", "neo4j-home")).toAbsolutePath();
        Files.createDirectories(home);
        int port = Integer.parseInt(env("LINEAGE_NEO4J_PORT", "0"));
        if (port == 0) {
            port = freePort();
        }
        String password = env("LINEAGE_NEO4J_PASSWORD", "");
        String address = "127.0.0.1:" + port;

        Map<String, String> config = new LinkedHashMap<>();
        config.put("server.bolt.enabled", "true");
        config.put("server.bolt.listen_address", address);
        config.put("server.bolt.advertised_address", address);
        config.put("server.bolt.tls_level", "DISABLED");
        config.put("server.http.enabled", "false");
        config.put("server.https.enabled", "false");
        config.put("dbms.security.auth_enabled", Boolean.toString(!password.isEmpty()));
        config.put("server.memory.pagecache.size", env("LINEAGE_NEO4J_PAGECACHE", "128m"));
        config.put("db.tx_log.rotation.retention_policy", "1 files");
        config.put("dbms.usage_report.enabled", "false");
        for (String setting : env("LINEAGE_NEO4J_SETTINGS", "").split(";")) {
            int eq = setting.indexOf('=');
            if (eq > 0) {
                config.put(setting.substring(0, eq).trim(), setting.substring(eq + 1).trim());
            }
        }

        StringBuilder conf = new StringBuilder();
        config.forEach((key, value) -> conf.append(key).append('=').append(value).append('\n'));
        Path confFile = home.resolve("neo4j.conf");
        Files.writeString(confFile, conf.toString());
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(confFile).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }, "neo4j-test-server-shutdown"));

        try {
            if (!password.isEmpty()) {
                setPassword(dbms, password);
            }
            dbms.database("neo4j").executeTransactionally("RETURN 1");
        } catch (RuntimeException e) {
            e.printStackTrace();
            System.exit(1);  // runs the shutdown hook
        }
        System.out.println("NEO4J_URI=bolt://" + address);
        System.out.flush();
        stopped.await();
    }

    /** Sets user neo4j's password through the embedded API (full rights); a restart keeps it. */
    private static void setPassword(DatabaseManagementService dbms, String password) {
        try {
            dbms.database("system").executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (RuntimeException e) {
            if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
                throw e;
            }
        }
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
