import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The base of the fleet tests that need prepared transactions: a private server started with
 * max_prepared_transactions (the shared one has none), a few databases of each test's own on it,
 * listed in the workspace's targets.yaml (each URL, with its password, from a variable), and
 * what the tests ask of them. Whatever a test leaves prepared is rolled back before its databases are dropped.
 */
abstract class PrivateFleet extends WithDatabase {

    /** The names of a test's databases begin with prefix; it makes count of them. */
    private final String prefix;
    private final int count;

    PrivateFleet(String prefix, int count) {
        this.prefix = prefix;
        this.count = count;
    }

    private static final String PASSWORD = "pw-for-fleets";
    private static final AtomicInteger DATABASES = new AtomicInteger();
    PrivateServer server;
    /** This test's databases on the private server, made before it and dropped after it. */
    final List<String> databases = new ArrayList<>();

    @BeforeAll
    void startServer() throws Exception {
        server = PrivateServer.start(db, "seed_owner", PASSWORD, "max_prepared_transactions=20");
    }

    @AfterAll
    void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void project() throws SQLException {
        workspace = TestDatabase.copyOf(FleetTest.FLEET);
        databases.clear();
        for (int i = 0; i < count; i++) {
            String name = prefix + DATABASES.incrementAndGet();
            admin("CREATE DATABASE " + name);
            databases.add(name);
        }
        targets(databases);
    }

    @AfterEach
    void dropDatabases() throws SQLException {
        for (String name : databases) {
            var target = DatabaseTarget.resolve(url(name), Map.of());
            for (var doubt : TwoPhase.inDoubt(target)) {
                TwoPhase.rollbackPrepared(target, doubt.gid());
            }
            admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }

    void admin(String sql) throws SQLException {
        try (var connection = TestDatabase.connect(server.url(PASSWORD)); var statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    String url(String database) {
        return server.url(PASSWORD).replace("/postgres", "/" + database);
    }

    /** targets.yaml: each database by its name, its URL (with the password) from a variable. */
    void targets(List<String> names) {
        var text = new StringBuilder("targets:\n");
        names.forEach(name -> text.append("  - {name: ").append(name).append(", url: \"${URL_").append(name.toUpperCase())
                .append("}\"}\n"));
        TestDatabase.write(workspace.resolve("targets.yaml"), text.toString());
    }

    Map<String, String> urls() {
        var env = new java.util.HashMap<String, String>();
        databases.forEach(name -> env.put("URL_" + name.toUpperCase(), url(name)));
        return env;
    }

    String text(String database, String sql) {
        try (var connection = TestDatabase.connect(url(database)); var statement = connection.createStatement();
             var rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    void execute(String database, String sql) {
        try (var connection = TestDatabase.connect(url(database)); var statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    long inDoubt() {
        return Long.parseLong(text("postgres", "SELECT count(*) FROM pg_prepared_xacts"));
    }

    String proPrice(String database) {
        return text(database, "SELECT price FROM prices WHERE code = 'pro'");
    }

    void pro(String price) {
        seeds("prices.yaml", TestDatabase.read(workspace.resolve("seeds/prices.yaml")).replace("price: 25.00", "price: " + price));
    }
}
