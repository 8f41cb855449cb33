import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A command over many targets: 50 databases of the server (--databases), 100 schemas of one
 * database (--schemas), a targets file with a target that is down, one whose constraint refuses
 * the change, and one that drifted; --fail-fast; the report's lines, summary and exit code.
 */
class FleetTest extends WithDatabase {

    static final Path FLEET = TestDatabase.FIXTURES.resolve("fleet");
    /** This run's databases: seed_fleet_<pid>_NN, matched by a pattern no other test's database matches. */
    final String prefix = "seed_fleet_" + ProcessHandle.current().pid() + "_";
    final List<String> databases = new ArrayList<>();

    @BeforeEach
    void project() {
        workspace = TestDatabase.copyOf(FLEET);
    }

    @AfterAll
    void dropFleet() {
        databases.forEach(name -> TestDatabase.admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"));
    }

    /** n new databases of this class, dropped after its tests. */
    List<String> createDatabases(String group, int n) {
        var names = new ArrayList<String>();
        for (int i = 0; i < n; i++) {
            String name = String.format("%s%s_%02d", prefix, group, i);
            TestDatabase.admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            TestDatabase.admin("CREATE DATABASE " + name);
            databases.add(name);
            names.add(name);
        }
        return names;
    }

    static long count(String database, String sql) {
        try (var connection = TestDatabase.connect(TestDatabase.urlFor(database)); var statement = connection.createStatement();
             var rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static void execute(String database, String sql) {
        try (var connection = TestDatabase.connect(TestDatabase.urlFor(database)); var statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    String pattern(String group) {
        return prefix.replace("_", "\\_") + group + "\\_%";
    }

    @Test
    void every_database_that_matches_is_seeded_on_its_own_then_found_in_sync() {
        var names = createDatabases("all", 50);

        var first = run(0, "--databases", pattern("all"), "--parallel", "4");

        for (String name : names) {
            assertEquals(3, count(name, "SELECT count(*) FROM prices"), name);
            assertEquals(1, count(name, "SELECT count(*) FROM flyway_schema_history WHERE success"), name);
            assertEquals(1, count(name, "SELECT count(DISTINCT run_id) FROM seed_history"), name);
            assertTrue(first.out().lines().anyMatch(line -> line.startsWith("  " + name + " ") && line.contains("written")),
                    first::toString);
        }
        assertTrue(first.out().contains("on 50 targets (the databases matching " + pattern("all") + "), 4 at a time"),
                first::toString);
        assertTrue(first.out().strip().endsWith("50 changed, 0 in sync."), first::toString);

        var again = run(0, "--databases", pattern("all"));
        assertTrue(again.out().contains(": 50 in sync."), again::toString);
        // Nothing changed, so no target's report is shown: one line each and the summary.
        assertFalse(again.out().contains("Seeds:"), again::toString);
    }

    @Test
    void check_names_every_tenant_that_drifts_and_exits_1() {
        var names = createDatabases("drift", 5);
        run(0, "--databases", pattern("drift"));
        execute(names.get(1), "UPDATE prices SET price = 11 WHERE code = 'basic'");
        execute(names.get(3), "DELETE FROM prices WHERE code = 'team'");

        var check = run(1, "check", "--databases", pattern("drift"));

        assertTrue(check.out().contains("2 out of sync: " + names.get(1) + ", " + names.get(3) + ", 3 in sync."), check::toString);
        assertTrue(check.out().contains("~ basic  price: 11.00 → 10.00"), check::toString);
        var json = run(1, "check", "--databases", pattern("drift"), "--json").json();
        assertEquals(1, json.get("exit_code").asInt());
        assertEquals("out_of_sync", json.get("targets").get(1).get("status").asText());
        assertEquals("in_sync", json.get("targets").get(0).get("status").asText());
        assertEquals(false, json.get("targets").get(3).get("result").get("in_sync").asBoolean());
        assertEquals(2, json.get("summary").get("out_of_sync").asInt());
        // check wrote nothing
        assertEquals(11, count(names.get(1), "SELECT price::int FROM prices WHERE code = 'basic'"));
    }

    @Test
    void a_target_whose_constraint_refuses_the_change_fails_alone_and_is_named() {
        var names = createDatabases("refuse", 4);
        run(0, "--databases", pattern("refuse"));
        execute(names.get(2), "ALTER TABLE prices ADD CONSTRAINT cheap CHECK (price < 50 OR code <> 'pro')");
        seeds("prices.yaml", TestDatabase.read(workspace.resolve("seeds/prices.yaml")).replace("price: 25.00", "price: 60.00"));

        var run = run(1, "--databases", pattern("refuse"));

        assertTrue(run.out().contains("3 changed, 0 in sync, 1 failed: " + names.get(2) + "."), run::toString);
        assertTrue(run.out().lines().anyMatch(line -> line.startsWith("  " + names.get(2)) && line.contains("failed (exit 1)")),
                run::toString);
        assertTrue(run.out().contains("cheap"), run::toString);
        for (String name : names) {
            assertEquals(name.equals(names.get(2)) ? 25 : 60, count(name, "SELECT price::int FROM prices WHERE code = 'pro'"), name);
        }
    }

    @Test
    void a_target_that_is_down_fails_alone_and_its_password_is_never_shown() throws Exception {
        var names = createDatabases("down", 2);
        int closedPort;
        try (var socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        var targets = workspace.resolve("targets.yaml");
        TestDatabase.write(targets, "targets:\n"
                + "  - {name: first, url: " + TestDatabase.urlFor(names.get(0)) + "}\n"
                + "  - {name: down, url: \"postgresql://postgres:Hunter2Secret@127.0.0.1:" + closedPort + "/x\"}\n"
                + "  - {name: second, url: \"${SECOND_URL}\"}\n");

        var run = run(3, Map.of("SECOND_URL", TestDatabase.urlFor(names.get(1))), "--targets", "targets.yaml");

        assertEquals(3, count(names.get(0), "SELECT count(*) FROM prices"));
        assertEquals(3, count(names.get(1), "SELECT count(*) FROM prices"));
        assertTrue(run.out().contains("2 changed, 0 in sync, 1 failed: down."), run::toString);
        assertFalse(run.toString().contains("Hunter2Secret"), run::toString);
        var json = run(3, Map.of("SECOND_URL", TestDatabase.urlFor(names.get(1))), "--targets", "targets.yaml", "--json");
        assertFalse(json.toString().contains("Hunter2Secret"), json::toString);
        assertEquals(3, json.json().get("targets").get(1).get("result").get("error").get("exit_code").asInt());

        // --fail-fast, one at a time: nothing starts after the target that is down.
        TestDatabase.write(targets, "targets:\n"
                + "  - {name: down, url: \"postgresql://postgres@127.0.0.1:" + closedPort + "/x\"}\n"
                + "  - {name: first, url: " + TestDatabase.urlFor(names.get(0)) + "}\n");
        var failFast = run(3, "--targets", "targets.yaml", "--fail-fast", "--parallel", "1");
        assertTrue(failFast.out().contains("1 failed: down, 1 not started (--fail-fast): first."), failFast::toString);
    }

    @Test
    void each_schema_is_a_target_with_its_own_tables_flyway_history_and_seed_history() {
        db.execute("SELECT 1");
        for (int i = 0; i < 100; i++) {
            db.execute(String.format("CREATE SCHEMA tenant_%03d", i));
        }
        db.execute("CREATE SCHEMA other");

        var run = run(0, "--schemas", "tenant\\_%", "--parallel", "4");

        assertTrue(run.out().contains("100 targets in"), run::toString);
        assertEquals(100, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'prices' AND schemaname LIKE 'tenant%'"));
        assertEquals(100, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'flyway_schema_history'"));
        assertEquals(100, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'seed_history'"));
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE schemaname IN ('public', 'other')"));
        assertEquals(3, db.count("SELECT count(*) FROM tenant_042.prices"));
        assertTrue(run(0, "--schemas", "tenant\\_%").out().contains(": 100 in sync."));
        var verify = run(0, "verify", "--schemas", "tenant\\_00_");
        assertTrue(verify.out().contains("10 targets in") && verify.out().contains("10 verified."), verify::toString);

        // A single run on one schema and a fleet run wait for each other: the schema's run lock.
        db.execute("UPDATE tenant_007.prices SET price = 1 WHERE code = 'pro'");
        try (var holder = db.holder("holder")) {
            holder.createStatement().execute("SELECT pg_advisory_xact_lock(" + Session.runLock("tenant_007") + ")");
            var fleet = run(4, "--schemas", "tenant\\_00%", "--lock-timeout", "1");
            assertTrue(fleet.out().contains("1 failed: tenant_007."), fleet::toString);
            var single = run(4, "--url", db.url() + "?currentSchema=tenant_007", "--lock-timeout", "1");
            assertTrue(single.err().contains("run lock"), single::toString);
            holder.rollback();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        assertEquals(1, db.count("SELECT price::int FROM tenant_007.prices WHERE code = 'pro'"));
        var after = run(0, "--url", db.url() + "?currentSchema=tenant_007");
        assertTrue(after.out().contains("(schema tenant_007)"), after::toString);
        assertEquals(25, db.count("SELECT price::int FROM tenant_007.prices WHERE code = 'pro'"));
    }

    @Test
    void a_targets_file_gives_each_target_its_vars_and_environment() {
        var names = createDatabases("vars", 2);
        seeds("prices.yaml", "table: prices\nkey: code\nrows:\n  - {code: basic, label: \"Basic for ${TENANT_NAME}\", price: 1}\n");
        TestDatabase.write(workspace.resolve("targets.yaml"), "targets:\n"
                + "  - name: acme\n    url: " + TestDatabase.urlFor(names.get(0)) + "\n    env: production\n"
                + "    vars: {TENANT_NAME: Acme}\n"
                + "  - name: globex\n    url: " + TestDatabase.urlFor(names.get(1)) + "\n    vars: {TENANT_NAME: Globex}\n");

        String good = TestDatabase.read(workspace.resolve("targets.yaml"));
        TestDatabase.write(workspace.resolve("targets.yaml"), good.replace("env: production", "env: prodution"));
        var misspelt = run(2, "--targets", "targets.yaml");
        assertTrue(misspelt.err().contains("the target acme (listed in targets.yaml): the environment prodution is not "
                + "declared"), misspelt::toString);
        assertEquals(0, count(names.get(1), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "nothing written");
        TestDatabase.write(workspace.resolve("targets.yaml"), good);

        run(0, "--targets", "targets.yaml");

        assertEquals(1, count(names.get(0), "SELECT count(*) FROM prices WHERE label = 'Basic for Acme'"));
        assertEquals(1, count(names.get(1), "SELECT count(*) FROM prices WHERE label = 'Basic for Globex'"));
        assertEquals(1, count(names.get(0), "SELECT count(*) FROM seed_history WHERE environment = 'production'"));
        assertEquals(1, count(names.get(1), "SELECT count(*) FROM seed_history WHERE environment = 'development'"));
    }

    @Test
    void info_history_and_verify_work_over_targets_too() {
        var names = createDatabases("read", 2);
        run(0, "--databases", pattern("read"));

        var info = run(0, "info", "--databases", pattern("read"));
        var history = run(0, "history", "--databases", pattern("read"));
        var verify = run(0, "verify", "--databases", pattern("read"));

        for (String name : names) {
            assertTrue(info.out().contains(name + " (postgres@") && info.out().contains("prices.yaml"), info::toString);
            assertTrue(history.out().contains(name + " (postgres@"), history::toString);
        }
        assertTrue(history.out().contains("prices.yaml"), history::toString);
        assertTrue(verify.out().contains("2 targets in") && verify.out().contains("2 verified"), verify::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_database WHERE datname LIKE 'seed\\_verify\\_%'"), verify::toString);
        var refused = run(2, "verify", "--databases", pattern("read"), "--database", "one_name");
        assertTrue(refused.err().contains("each needs its own"), refused::toString);
    }

    @Test
    void hostile_targets_files_are_refused_at_their_line() {
        var names = createDatabases("hostile", 1);
        var cases = Map.of(
                "targets:\n  - !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://x\"]]]]\n",
                "targets.yaml:2",
                "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\ntargets: [*c]\n", "targets.yaml",
                "targets:\n  - {name: \"x'; DROP TABLE prices; --\", url: " + TestDatabase.urlFor(names.get(0)) + "}\n",
                "is not a name",
                "targets:\n  - {name: a, url: \"postgresql://h/${PART}x\"}\n", "the whole",
                "targets: []\n", "one target or more");
        for (var entry : cases.entrySet()) {
            TestDatabase.write(workspace.resolve("targets.yaml"), entry.getKey());
            var run = run("--targets", "targets.yaml");
            assertTrue(run.exitCode() == 1 || run.exitCode() == 2, run::toString);
            assertTrue(run.err().contains(entry.getValue()) && !run.err().contains("Exception"), run::toString);
        }
        assertEquals(0, count(names.get(0), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    @Test
    void a_wrong_targets_file_or_pattern_is_refused_before_anything_is_written() {
        var names = createDatabases("bad", 1);
        TestDatabase.write(workspace.resolve("targets.yaml"), "targets:\n  - name: a\n    url: "
                + TestDatabase.urlFor(names.get(0)) + "\n    passwrd: x\n");
        var unknown = run(1, "--targets", "targets.yaml");
        assertTrue(unknown.err().contains("targets.yaml:4:")
                && unknown.err().contains("unknown setting \"passwrd\""), unknown::toString);

        TestDatabase.write(workspace.resolve("targets.yaml"), "targets:\n  - {name: a, url: " + TestDatabase.urlFor(names.get(0))
                + "}\n  - {name: a, url: " + TestDatabase.urlFor(names.get(0)) + "}\n");
        assertTrue(run(1, "--targets", "targets.yaml").err().contains("the target a is listed twice"));
        assertEquals(0, count(names.get(0), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));

        var none = run(2, "--databases", pattern("nothing"));
        assertTrue(none.err().contains("no database on"), none::toString);
        var both = run(2, "--targets", "targets.yaml", "--schemas", "x%");
        assertTrue(both.err().contains("cannot go with"), both::toString);
        var atomicAlone = run(2, "--atomic");
        assertTrue(atomicAlone.err().contains("--atomic"), atomicAlone::toString);
        var parallelAlone = run(2, "check", "--parallel", "3");
        assertTrue(parallelAlone.err().contains("--parallel is for a run over targets"), parallelAlone::toString);
        var missingSchema = run(2, "--url", db.url() + "?currentSchema=nowhere");
        assertTrue(missingSchema.err().contains("the schema nowhere (currentSchema) does not exist"), missingSchema::toString);
        var junit = run(2, "check", "--databases", pattern("bad"), "--format", "junit");
        assertTrue(junit.err().contains("over targets"), junit::toString);
    }

    /** The environment a class's runs get: none beyond DATABASE_URL. */
    @Override
    Map<String, String> environment() {
        return new HashMap<>();
    }
}
