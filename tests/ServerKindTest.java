import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * What the server is, as each product reports itself, and the runs refused where they would not
 * be safe. The local PostgreSQL plays each product: a schema "fake", placed before pg_catalog on
 * the database's search_path, holds a version() that says what the product's documentation shows,
 * a current_setting(name, missing_ok) that reports its settings, and, for Citus, the extension's
 * row, citus_version() and pg_dist_local_group. The detection reads these names unqualified, as
 * every statement of the tool is resolved, so it sees what such a server would report.
 */
class ServerKindTest extends FreshProject {

    // What each product's version() says, as its documentation and its users show it.
    static final String POSTGRES_15 = "PostgreSQL 15.20 (Debian 15.20-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc "
            + "(Debian 12.2.0-14+deb12u1) 12.2.0, 64-bit";
    static final String POSTGRES_12 = "PostgreSQL 12.17 on x86_64-pc-linux-gnu, compiled by gcc (GCC) 8.5.0 20210514 "
            + "(Red Hat 8.5.0-20), 64-bit";
    static final String POSTGRES_16 = "PostgreSQL 16.2 on x86_64-pc-linux-gnu, compiled by gcc (GCC) 8.5.0 20210514 "
            + "(Red Hat 8.5.0-20), 64-bit";
    /** https://www.cockroachlabs.com/docs/ (the SQL shell's "Server version:" line is version()). */
    static final String COCKROACH_23 = "CockroachDB CCL v23.1.11 (x86_64-pc-linux-gnu, built 2023/09/27 01:53:43, go1.19.10)";
    static final String COCKROACH_24 = "CockroachDB CCL v24.3.5 (x86_64-pc-linux-gnu, built 2025/02/03 17:28:15, go1.22.8)";
    static final String YUGABYTE_2_18 = "PostgreSQL 11.2-YB-2.18.0.0-b0 on x86_64-pc-linux-gnu, compiled by clang version "
            + "15.0.3 (https://github.com/yugabyte/llvm-project.git 0b8d1183745fd3998d8beffeec8cbe99c1b20529), 64-bit";
    static final String YUGABYTE_2_25 = "PostgreSQL 15.12-YB-2.25.2.0-b0 on x86_64-pc-linux-gnu, compiled by clang version "
            + "17.0.6 (https://github.com/yugabyte/llvm-project.git 9b881774e40024e901fc6f3d313607b071c08631), 64-bit";
    static final String YUGABYTE_2025 = "PostgreSQL 15.12-YB-2025.1.0.0-b0 on x86_64-pc-linux-gnu, compiled by clang version "
            + "17.0.6 (https://github.com/yugabyte/llvm-project.git 9b881774e40024e901fc6f3d313607b071c08631), 64-bit";
    static final String CITUS_12 = "Citus 12.1.5 on x86_64-pc-linux-gnu, compiled by gcc (GCC) 8.5.0 20210514 (Red Hat "
            + "8.5.0-20), 64-bit";

    /** A server as a case: what it reports, and what the tool must make of it. */
    record Case(String name, ServerKind.Identity identity, ServerKind.Kind kind, String product, boolean refused, String says) {}

    static ServerKind.Identity identity(String version, String versionNum, String ybLocks, String ybDdl, String ybCopy,
                                        String citus, String citusVersion, Integer citusGroup) {
        return new ServerKind.Identity(version, versionNum, ybLocks, ybDdl, ybCopy, citus, citusVersion, citusGroup);
    }

    static final List<Case> CASES = List.of(
            new Case("PostgreSQL 15", identity(POSTGRES_15, "150020", null, null, null, null, null, null),
                    ServerKind.Kind.POSTGRESQL, "PostgreSQL 15.20", false, null),
            new Case("PostgreSQL 12, older than the tool's oldest", identity(POSTGRES_12, "120017", null, null, null, null, null, null),
                    ServerKind.Kind.POSTGRESQL, "PostgreSQL 12.17", true, "PostgreSQL 13 or later"),
            new Case("PostgreSQL 9.6", identity("PostgreSQL 9.6.24 on x86_64-pc-linux-gnu, compiled by gcc (GCC) 4.8.5 "
                            + "20150623 (Red Hat 4.8.5-44), 64-bit", "90624", null, null, null, null, null, null),
                    ServerKind.Kind.POSTGRESQL, "PostgreSQL 9.6.24", true, "this server is PostgreSQL 9.6.24"),
            // CockroachDB reports a PostgreSQL server_version_num of its own; its version() tells.
            new Case("CockroachDB 23.1", identity(COCKROACH_23, "130000", null, null, null, null, null, null),
                    ServerKind.Kind.COCKROACHDB, "CockroachDB CCL v23.1.11", true, "a pg_advisory_xact_lock that locks"),
            new Case("CockroachDB 24.3", identity(COCKROACH_24, "130000", null, null, null, null, null, null),
                    ServerKind.Kind.COCKROACHDB, "CockroachDB CCL v24.3.5", true, "experimental_enable_temp_tables"),
            new Case("YugabyteDB 2.18, before advisory locks", identity(YUGABYTE_2_18, "110002", null, null, "20000", null, null, null),
                    ServerKind.Kind.YUGABYTEDB, "YugabyteDB 2.18.0.0 (PostgreSQL 11.2)", true,
                    "yb_enable_advisory_locks is unknown to this version"),
            new Case("YugabyteDB 2.25, the flags off", identity(YUGABYTE_2_25, "150012", "off", "off", "20000", null, null, null),
                    ServerKind.Kind.YUGABYTEDB, "YugabyteDB 2.25.2.0 (PostgreSQL 15.12)", true,
                    "yb_ddl_transaction_block_enabled is off"),
            new Case("YugabyteDB 2025.1, advisory locks but no transactional DDL",
                    identity(YUGABYTE_2025, "150012", "on", "off", "20000", null, null, null),
                    ServerKind.Kind.YUGABYTEDB, "YugabyteDB 2025.1.0.0 (PostgreSQL 15.12)", true, "transactional DDL"),
            new Case("YugabyteDB 2025.1, advisory locks and transactional DDL on",
                    identity(YUGABYTE_2025, "150012", "on", "on", "20000", null, null, null),
                    ServerKind.Kind.YUGABYTEDB, "YugabyteDB 2025.1.0.0 (PostgreSQL 15.12)", false, null),
            new Case("Citus coordinator", identity(POSTGRES_16, "160002", null, null, null, "12.1-1", CITUS_12, 0),
                    ServerKind.Kind.CITUS, "Citus 12.1.5 on PostgreSQL 16.2", false, null),
            new Case("Citus worker", identity(POSTGRES_16, "160002", null, null, null, "12.1-1", CITUS_12, 2),
                    ServerKind.Kind.CITUS, "Citus 12.1.5 on PostgreSQL 16.2", true, "Citus worker node (group 2)"));

    // ── what the server is, from what it reports ─────────────────────────────────────────────

    @Test
    void each_product_is_told_from_what_it_reports() {
        for (var c : CASES) {
            var server = ServerKind.of(c.identity());
            assertEquals(c.kind(), server.kind(), c.name());
            assertEquals(c.product(), server.product(), c.name());
            assertEquals(c.refused(), !server.missing().isEmpty(), () -> c.name() + ": " + server.missing());
            if (c.says() != null) {
                assertTrue(String.join("; ", server.missing()).contains(c.says()), () -> c.name() + ": " + server.missing());
            }
        }
    }

    /** The same identities, reported by a server that plays each product: the one query reads what each reports. */
    @Test
    void the_query_reads_what_each_server_reports() throws SQLException {
        playing();
        for (var c : CASES) {
            play(c.identity());
            var target = DatabaseTarget.resolve(db.url(), Map.of());
            try (var connection = Session.open(target)) {
                var read = ServerKind.identify(connection, target);
                var expected = c.identity();
                assertEquals(expected.version(), read.version(), c.name());
                assertEquals(expected.serverVersionNum(), read.serverVersionNum(), c.name());
                assertEquals(expected.ybAdvisoryLocks(), read.ybAdvisoryLocks(), c.name());
                assertEquals(expected.ybTransactionalDdl(), read.ybTransactionalDdl(), c.name());
                assertEquals(expected.ybCopyRowsPerTransaction(), read.ybCopyRowsPerTransaction(), c.name());
                assertEquals(expected.citusExtension(), read.citusExtension(), c.name());
                assertEquals(expected.citusVersion(), read.citusVersion(), c.name());
                assertEquals(expected.citusGroup(), read.citusGroup(), c.name());
                assertEquals(c.kind(), ServerKind.of(read).kind(), c.name());
            }
        }
    }

    @Test
    void the_real_server_is_postgresql_with_its_version() throws SQLException {
        var target = DatabaseTarget.resolve(db.url(), Map.of());
        try (var connection = Session.open(target)) {
            var server = ServerKind.of(ServerKind.identify(connection, target));
            assertEquals(ServerKind.Kind.POSTGRESQL, server.kind());
            assertEquals(Integer.parseInt(db.text("SHOW server_version_num")), server.versionNum());
            assertTrue(server.missing().isEmpty(), server.missing()::toString);
        }
    }

    /**
     * A session's settings, set in one statement: UTC, the limits, and from PostgreSQL 14 on a
     * backend that notices a vanished client; before 14, where that setting does not exist, the
     * statement must not name it to the server (CASE evaluates its branch only when it holds).
     */
    @Test
    void a_session_sets_utc_its_limits_and_on_14_and_later_the_client_check() throws SQLException {
        var limits = new Session.Limits(7, 9);
        try (var session = Session.connect(DatabaseTarget.resolve(db.url(), Map.of()), true)) {
            session.begin(limits, true, note -> { });
            var shown = session.handle.createQuery("SELECT current_setting('TimeZone'), current_setting('lock_timeout'), "
                    + "current_setting('statement_timeout'), current_setting('client_connection_check_interval')")
                    .map((rows, context) -> List.of(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4)))
                    .one();
            assertEquals(List.of("UTC", "7s", "9s", "2s"), shown);
        }
        // As PostgreSQL 13 reports itself to the one-argument current_setting the statement reads (the fake schema
        // comes before pg_catalog on the search path): the setting it lacks is never set.
        db.execute("""
                CREATE SCHEMA thirteen;
                CREATE FUNCTION thirteen.current_setting(name text) RETURNS text LANGUAGE sql STABLE AS $$
                    SELECT CASE WHEN $1 = 'server_version_num' THEN '130016' ELSE pg_catalog.current_setting($1) END $$;
                CREATE FUNCTION thirteen.set_config(name text, value text, local boolean) RETURNS text LANGUAGE sql AS $$
                    SELECT CASE WHEN $1 = 'client_connection_check_interval'
                                THEN pg_catalog.set_config('seed_test.named', $1, false) END;
                    SELECT pg_catalog.set_config($1, $2, $3) $$;
                """);
        db.execute("ALTER DATABASE " + db.name + " SET search_path = public, thirteen, pg_catalog");
        try (var session = Session.connect(DatabaseTarget.resolve(db.url(), Map.of()), true)) {
            session.begin(limits, true, note -> { });
            assertEquals("", session.handle.createQuery("SELECT current_setting('seed_test.named', true)")
                    .mapTo(String.class).findOne().orElse(""), "client_connection_check_interval was never named");
            assertEquals("0", session.handle.createQuery("SELECT pg_catalog.current_setting('client_connection_check_interval')")
                    .mapTo(String.class).one());
            assertEquals("7s", session.handle.createQuery("SELECT current_setting('lock_timeout')").mapTo(String.class).one());
        }
    }

    // ── refused end to end: exit code 2, the server named, nothing written ───────────────────

    @Test
    void cockroachdb_is_refused_before_anything_is_written() {
        refusedEndToEnd(identity(COCKROACH_23, "130000", null, null, null, null, null, null),
                "the server is CockroachDB CCL v23.1.11, version() \"" + COCKROACH_23 + "\"",
                "a pg_advisory_xact_lock that locks", "schema changes that roll back", "experimental_enable_temp_tables",
                "Point --url or DATABASE_URL at PostgreSQL 13 or later, a Citus coordinator");
    }

    @Test
    void the_refusal_is_the_json_error_document_under_json() {
        playing();
        play(identity(COCKROACH_23, "130000", null, null, null, null, null, null));
        var run = run(2, "--json");
        var error = run.json().get("error");
        assertEquals(2, error.get("exit_code").asInt(), run::toString);
        assertEquals(DatabaseTarget.resolve(db.url(), Map.of()).describe(), error.get("where").asText(), run::toString);
        assertTrue(error.get("message").asText().startsWith("the server is CockroachDB CCL v23.1.11"), run::toString);
        assertNothingWritten();
    }

    @Test
    void yugabytedb_without_advisory_locks_and_transactional_ddl_is_refused() {
        refusedEndToEnd(identity(YUGABYTE_2_18, "110002", null, null, "20000", null, null, null),
                "the server is YugabyteDB 2.18.0.0 (PostgreSQL 11.2)", "advisory locks (yb_enable_advisory_locks is unknown",
                "transactional DDL (yb_ddl_transaction_block_enabled is unknown", "ysql_yb_enable_advisory_locks=true");
    }

    @Test
    void a_citus_worker_is_refused_the_coordinator_is_named() {
        refusedEndToEnd(identity(POSTGRES_16, "160002", null, null, null, "12.1-1", CITUS_12, 2),
                "the server is Citus 12.1.5 on PostgreSQL 16.2", "Citus worker node (group 2)",
                "Point --url or DATABASE_URL at the coordinator");
    }

    @Test
    void postgresql_older_than_13_is_refused_before_the_run_fails_midway() {
        refusedEndToEnd(identity(POSTGRES_12, "120017", null, null, null, null, null, null),
                "the server is PostgreSQL 12.17", "PostgreSQL 13 or later", "this server is PostgreSQL 12.17",
                "Upgrade the server to PostgreSQL 13 or later");
    }

    /**
     * A server the one query fails on (here its pg_extension cannot be read) is asked its
     * version() alone: CockroachDB is still named and refused; on PostgreSQL the query's own error stands.
     */
    @Test
    void a_server_the_query_fails_on_is_named_by_its_version() {
        playing();
        play(identity(COCKROACH_23, "130000", null, null, null, null, null, null));
        db.execute("""
                CREATE FUNCTION fake.no_catalog() RETURNS TABLE (extname name, extversion text) LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'relation "pg_extension" does not exist' USING ERRCODE = '42P01'; END $$;
                CREATE VIEW fake.pg_extension AS SELECT * FROM fake.no_catalog();
                """);
        var run = run(2);
        assertTrue(run.err().contains("the server is CockroachDB CCL v23.1.11"), run::toString);
        assertNothingWritten();

        db.execute("DELETE FROM fake.identity; DELETE FROM fake.settings");
        db.query("INSERT INTO fake.identity VALUES (?)", POSTGRES_15);
        var failed = run(1);
        assertTrue(failed.err().contains("relation \"pg_extension\" does not exist"), failed::toString);
        assertNothingWritten();
    }

    /** plan writes nothing either, but it runs the migrations' DDL in its transaction: refused as well. */
    @Test
    void plan_is_refused_too() {
        playing();
        play(identity(COCKROACH_24, "130000", null, null, null, null, null, null));
        var run = run(2, "plan");
        assertTrue(run.err().contains("CockroachDB CCL v24.3.5"), run::toString);
    }

    // ── accepted: a normal PostgreSQL run, a Citus coordinator, a YugabyteDB whose COPY stays in the transaction ──

    @Test
    void a_postgresql_run_still_works_and_says_nothing_new() {
        var run = runOk();
        assertFalse(run.output().contains("the server is"), run::toString);
        assertFalse(run.output().contains("warning"), run::toString);
        assertTrue(db.count("SELECT count(*) FROM llm_models") > 0, "seeded");
    }

    @Test
    void a_citus_coordinator_runs() {
        playing();
        play(identity(POSTGRES_16, "160002", null, null, null, "12.1-1", CITUS_12, 0));
        runOk();
        assertTrue(db.count("SELECT count(*) FROM llm_models") > 0, "seeded");
    }

    @Test
    void an_accepted_yugabytedb_keeps_copy_in_the_run_and_checks_that_it_took() {
        playing();
        play(identity(YUGABYTE_2025, "150012", "on", "on", "20000", null, null, null));
        runOk();
        assertEquals("0", db.text("SELECT setting FROM fake.settings WHERE name = 'yb_default_copy_from_rows_per_transaction'"),
                "the run set yb_default_copy_from_rows_per_transaction = 0, and committed with it");
        assertTrue(db.count("SELECT count(*) FROM llm_models") > 0, "seeded");

        // A server where the setting does not take: refused, nothing written.
        db.recreate();
        playing();
        play(identity(YUGABYTE_2025, "150012", "on", "on", "20000", null, null, null));
        db.execute("UPDATE fake.settings SET locked = true WHERE name = 'yb_default_copy_from_rows_per_transaction'");
        var run = run(2);
        assertTrue(run.err().contains("whose COPY commits every 20000 rows on its own"), run::toString);
        assertTrue(run.err().contains("did not take (it is 20000)"), run::toString);
        assertNothingWritten();
    }

    // ── the server the local PostgreSQL plays ────────────────────────────────────────────────

    /**
     * The class's database resolves version(), current_setting(name, missing_ok), set_config,
     * pg_extension, citus_version() and pg_dist_local_group in the schema fake first: public
     * stays the first schema, where the tool's tables go.
     */
    void playing() {
        db.execute("""
                CREATE SCHEMA fake;
                CREATE TABLE fake.identity (version text);
                CREATE TABLE fake.settings (name text PRIMARY KEY, setting text, locked boolean NOT NULL DEFAULT false);
                CREATE FUNCTION fake.version() RETURNS text LANGUAGE sql STABLE AS $$ SELECT version FROM fake.identity $$;
                CREATE FUNCTION fake.current_setting(name text, missing_ok boolean) RETURNS text LANGUAGE sql STABLE AS $$
                    SELECT CASE WHEN EXISTS (SELECT FROM fake.settings s WHERE s.name = $1)
                                THEN (SELECT setting FROM fake.settings s WHERE s.name = $1)
                                ELSE pg_catalog.current_setting($1, $2) END $$;
                CREATE FUNCTION fake.set_config(name text, value text, local boolean) RETURNS text LANGUAGE plpgsql AS $$
                    BEGIN
                        IF EXISTS (SELECT FROM fake.settings s WHERE s.name = $1) THEN
                            UPDATE fake.settings s SET setting = $2 WHERE s.name = $1 AND NOT s.locked;
                            RETURN (SELECT setting FROM fake.settings s WHERE s.name = $1);
                        END IF;
                        RETURN pg_catalog.set_config($1, $2, $3);
                    END $$;
                """);
        db.execute("ALTER DATABASE " + db.name + " SET search_path = public, fake, pg_catalog");
    }

    /** The server reports this identity from now on (a setting it lacks is left to the real server, which lacks it too). */
    void play(ServerKind.Identity identity) {
        db.execute("""
                DELETE FROM fake.identity; DELETE FROM fake.settings;
                DROP VIEW IF EXISTS fake.pg_extension; DROP TABLE IF EXISTS fake.pg_dist_local_group;
                DROP FUNCTION IF EXISTS fake.citus_version();
                """);
        db.query("INSERT INTO fake.identity VALUES (?)", identity.version());
        var settings = new java.util.LinkedHashMap<String, String>();
        settings.put("server_version_num", identity.serverVersionNum());
        settings.put("yb_enable_advisory_locks", identity.ybAdvisoryLocks());
        settings.put("yb_ddl_transaction_block_enabled", identity.ybTransactionalDdl());
        settings.put("yb_default_copy_from_rows_per_transaction", identity.ybCopyRowsPerTransaction());
        settings.forEach((name, value) -> {
            if (value != null) {
                db.query("INSERT INTO fake.settings (name, setting) VALUES (?, ?)", name, value);
            }
        });
        if (identity.citusExtension() != null) {
            db.query("CREATE VIEW fake.pg_extension AS SELECT extname, extversion FROM pg_catalog.pg_extension "
                    + "UNION ALL SELECT 'citus', '" + identity.citusExtension() + "'");
            db.execute("CREATE FUNCTION fake.citus_version() RETURNS text LANGUAGE sql AS $$ SELECT '" + identity.citusVersion()
                    + "'::text $$");
            db.execute("CREATE TABLE fake.pg_dist_local_group (groupid integer)");
            db.query("INSERT INTO fake.pg_dist_local_group VALUES (?)", identity.citusGroup());
        }
    }

    /** A run (migrate and seed) on a server playing this identity: exit code 2, one paragraph naming it, nothing written. */
    void refusedEndToEnd(ServerKind.Identity identity, String... says) {
        playing();
        play(identity);
        var run = run(2);
        String target = DatabaseTarget.resolve(db.url(), Map.of()).describe();
        assertTrue(run.err().startsWith("error: " + target + ": "), run::toString);
        for (String text : says) {
            assertTrue(run.err().contains(text), () -> "expected: " + text + "\n" + run);
        }
        assertTrue(run.err().contains("Nothing was written"), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertNothingWritten();
    }

    /** No table, view or sequence but the fake's own: no migration applied, no Flyway or seed history, no rows. */
    void assertNothingWritten() {
        assertEquals(List.of(), db.query("SELECT n.nspname || '.' || c.relname AS name FROM pg_class c "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', "
                + "'pg_toast', 'fake') AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'"));
        assertNull(db.text("SELECT to_regclass('public.flyway_schema_history')::text"));
    }
}
