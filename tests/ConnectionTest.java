import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Every form a backend writes its database URL in, the libpq variables, and connection failures. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConnectionTest {

    final TestDatabase db = TestDatabase.create(ConnectionTest.class);
    final Path workspace = TestDatabase.workspace();

    @AfterAll
    void dropDatabase() {
        db.close();
    }

    static DatabaseTarget resolve(String url, Map<String, String> env) {
        return DatabaseTarget.resolve(url, env);
    }

    // ── how a URL is read ────────────────────────────────────────────────────────────────────

    @Test
    void every_url_form_reads_the_same() {
        for (String url : List.of(
                "postgresql://app:s3cret@db.internal:6543/trading?sslmode=require",
                "postgres://app:s3cret@db.internal:6543/trading?sslmode=require",
                "postgresql+psycopg2://app:s3cret@db.internal:6543/trading?sslmode=require",
                "postgresql+asyncpg://app:s3cret@db.internal:6543/trading?ssl=require",
                "jdbc:postgresql://db.internal:6543/trading?user=app&password=s3cret&sslmode=require")) {
            var target = resolve(url, Map.of());
            assertEquals("app@db.internal:6543/trading", target.describe(), url);
            assertEquals("jdbc:postgresql://db.internal:6543/trading", target.jdbcUrl(), url);
            assertEquals("app", target.properties().getProperty("user"), url);
            assertEquals("s3cret", target.properties().getProperty("password"), url);
            assertEquals("require", target.properties().getProperty("sslmode"), url);
            assertFalse(target.toString().contains("s3cret"), url);
        }
    }

    @Test
    void percent_encoded_user_and_password_are_decoded() {
        var target = resolve("postgresql://trading%40ops:p%40ss%3Aw%2Fo%25rd+x@db/app", Map.of());
        assertEquals("trading@ops", target.user());
        assertEquals("p@ss:w/o%rd+x", target.password(), "%XX decodes; + stays a plus, as in libpq");
        assertEquals("trading@ops@db:5432/app", target.describe());
    }

    @Test
    void the_libpq_variables_fill_in_what_the_url_does_not_say() {
        var env = Map.of("PGHOST", "pg.internal", "PGPORT", "6000", "PGDATABASE", "trading", "PGUSER", "app",
                "PGPASSWORD", "from-env", "PGSSLMODE", "verify-full");
        var fromVariables = resolve(null, env);
        assertEquals("app@pg.internal:6000/trading", fromVariables.describe());
        assertEquals("from-env", fromVariables.password());
        assertEquals("verify-full", fromVariables.properties().getProperty("sslmode"));
        assertEquals("PG* variables", fromVariables.source());

        var urlWithoutPassword = resolve(null, with(env, "DATABASE_URL", "postgresql://other@db/app"));
        assertEquals("other@db:6000/app", urlWithoutPassword.describe(), "the URL wins; PGPORT fills in the port");
        assertEquals("from-env", urlWithoutPassword.password(), "PGPASSWORD fills in the password, as in libpq");
        assertEquals("DATABASE_URL", urlWithoutPassword.source());

        var option = resolve("postgresql://cli@cli-host/cli-db", with(env, "DATABASE_URL", "postgresql://other@db/app"));
        assertEquals("cli@cli-host:6000/cli-db", option.describe(), "--url wins over DATABASE_URL");
        assertEquals("--url", option.source());
    }

    @Test
    void several_hosts_and_ipv6_addresses_reach_the_driver_as_written() {
        var target = resolve("postgresql://app@db1:5432,db2:5433,[::1]/trading?target_session_attrs=read-write", Map.of());
        assertEquals("jdbc:postgresql://db1:5432,db2:5433,[::1]:5432/trading", target.jdbcUrl());
        assertEquals("primary", target.properties().getProperty("targetServerType"), "libpq's read-write is pgjdbc's primary");
    }

    @Test
    void with_nothing_set_it_is_postgres_at_localhost() {
        var target = resolve(null, Map.of());
        assertEquals("postgres@localhost:5432/postgres", target.describe());
        assertNull(target.password());
        assertEquals("defaults", target.source());
        assertEquals("app@localhost:5432/app", resolve(null, Map.of("PGUSER", "app")).describe(),
                "as in libpq, the database defaults to the user's name");
    }

    @Test
    void a_url_that_is_not_postgresql_is_a_usage_error_that_hides_the_password() {
        var run = TestDatabase.runWith(Map.of(), workspace, "--url", "mysql://root:Hunter2-Secret@db/app");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("is not a PostgreSQL URL"), run::toString);
        assertTrue(run.err().contains("mysql://root:***@db/app"), run::toString);
        assertFalse(run.output().contains("Hunter2-Secret"), run::toString);
    }

    // ── against the real server ──────────────────────────────────────────────────────────────

    @Test
    void every_url_form_connects_to_the_real_server() {
        String host = "127.0.0.1:5432/" + db.name;
        for (String url : List.of(
                "postgresql://postgres:any-password@" + host + "?sslmode=disable",
                "postgres://postgres@" + host,
                "postgresql+psycopg2://postgres:x@" + host,
                "postgresql+asyncpg://postgres@" + host + "?ssl=disable",
                "jdbc:postgresql://" + host + "?user=postgres&password=x&ApplicationName=from-jdbc-url")) {
            var run = TestDatabase.runWith(Map.of(), workspace, "migrate", "--url", url);
            assertEquals(0, run.exitCode(), () -> url + "\n" + run);
            assertTrue(run.out().contains("postgres@" + host), run::toString);
        }
        var fromVariables = TestDatabase.runWith(Map.of("PGHOST", "127.0.0.1", "PGPORT", "5432", "PGDATABASE", db.name,
                "PGUSER", "postgres"), workspace, "migrate");
        assertEquals(0, fromVariables.exitCode(), fromVariables::toString);
        assertTrue(fromVariables.out().contains("(from PG* variables)"), fromVariables::toString);
    }

    @Test
    void sslmode_from_the_url_reaches_the_driver() {
        // This server has no SSL: a URL that requires it must be refused for exactly that reason.
        var run = TestDatabase.runWith(Map.of("DATABASE_URL", db.url() + "?sslmode=require"), workspace);
        assertEquals(3, run.exitCode(), run::toString);
        assertTrue(run.err().contains("The server does not support SSL"), run::toString);
    }

    @Test
    void an_unreachable_server_exits_3_with_a_clear_message() {
        var run = TestDatabase.runWith(Map.of("DATABASE_URL", "postgresql://postgres:Hunter2-Secret@127.0.0.1:1/app"), workspace);
        assertEquals(3, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("error: cannot use postgres@127.0.0.1:1/app: Connection to 127.0.0.1:1 refused"), run::toString);
        assertTrue(run.err().contains("(connection from DATABASE_URL)"), run::toString);
        assertEquals(1, run.err().lines().count(), run::toString);
        assertFalse(run.output().contains("Hunter2-Secret"), run::toString);
    }

    @Test
    void a_database_that_does_not_exist_exits_3() {
        var run = TestDatabase.runWith(Map.of("DATABASE_URL", TestDatabase.urlFor("no_such_database_here")), workspace);
        assertEquals(3, run.exitCode(), run::toString);
        assertTrue(run.err().contains("database \"no_such_database_here\" does not exist"), run::toString);
    }

    @Test
    void a_password_never_appears_even_with_verbose_and_an_error() {
        String password = "Sup3r-S3cret-Pw";
        Path broken = workspace.resolve("broken-seeds");
        TestDatabase.write(broken.resolve("llm_models.yaml"), "table: llm_models\nkey: model_id\nrows:\n  - model_id: x\n    max_tokens: lots\n");
        for (String url : List.of(
                "postgresql://postgres:" + password + "@127.0.0.1:5432/" + db.name,
                "jdbc:postgresql://127.0.0.1:5432/" + db.name + "?user=postgres&password=" + password)) {
            for (var args : List.of(new String[]{"--verbose"}, new String[]{"--verbose", "--seeds", "broken-seeds"})) {
                var full = new java.util.ArrayList<>(List.of(args));
                full.addAll(List.of("--url", url));
                var run = TestDatabase.runWith(Map.of(), workspace, full.toArray(String[]::new));
                assertFalse(run.output().contains(password), run::toString);
                assertTrue(run.output().contains("postgres@127.0.0.1:5432/" + db.name), run::toString);
            }
        }
    }

    // ── a wrong password, on a role that must authenticate ───────────────────────────────────

    static final String ROLE = "seed_database_password_test";
    static final String HBA_LINE = "host all " + ROLE + " 127.0.0.1/32 scram-sha-256  # seed_database tests";
    Path hbaFile;

    /**
     * The server trusts every local connection, so a password is never checked. For this one role,
     * a line at the top of pg_hba.conf asks for scram-sha-256; it is removed again afterwards.
     */
    @BeforeAll
    void aRoleThatNeedsItsPassword() throws Exception {
        hbaFile = Path.of(db.text("SHOW hba_file"));
        TestDatabase.admin("DROP ROLE IF EXISTS " + ROLE);
        TestDatabase.admin("CREATE ROLE " + ROLE + " LOGIN PASSWORD 'the-right-one'");
        String hba = Files.readString(hbaFile);
        if (!hba.contains(HBA_LINE)) {
            Files.writeString(hbaFile, HBA_LINE + "\n" + hba);
        }
        TestDatabase.admin("SELECT pg_reload_conf()");
    }

    @AfterAll
    void removeTheRole() throws Exception {
        Files.writeString(hbaFile, Files.readString(hbaFile).replace(HBA_LINE + "\n", ""));
        TestDatabase.admin("SELECT pg_reload_conf()");
        TestDatabase.admin("DROP ROLE IF EXISTS " + ROLE);
    }

    @Test
    void a_wrong_password_exits_3_and_the_right_one_connects() {
        String base = "@127.0.0.1:5432/" + db.name;
        var wrong = TestDatabase.runWith(Map.of("DATABASE_URL", "postgresql://" + ROLE + ":not-the-password" + base), workspace, "migrate");
        assertEquals(3, wrong.exitCode(), wrong::toString);
        assertTrue(wrong.err().contains("password authentication failed for user \"" + ROLE + "\""), wrong::toString);
        assertTrue(wrong.err().contains("Check the user name and password"), wrong::toString);
        assertFalse(wrong.output().contains("not-the-password"), wrong::toString);

        TestDatabase.write(workspace.resolve("empty-seeds/README.md"), "no seed files here\n");
        var connects = TestDatabase.runWith(Map.of("PGPASSWORD", "the-right-one",
                "DATABASE_URL", "postgresql://" + ROLE + base), workspace, "seed", "--seeds", "empty-seeds");
        assertEquals(0, connects.exitCode(), connects::toString);
        assertTrue(connects.out().contains("Seeds: no seed files"), connects::toString);
        assertFalse(connects.output().contains("the-right-one"), connects::toString);
    }

    static Map<String, String> with(Map<String, String> env, String name, String value) {
        var copy = new HashMap<>(env);
        copy.put(name, value);
        return copy;
    }
}
