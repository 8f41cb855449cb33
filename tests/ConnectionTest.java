import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Every form a backend writes its database URL in, the libpq variables, and connection failures. */
class ConnectionTest extends FreshProject {

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
        assertEquals("PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD", fromVariables.source());

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
    void with_nothing_set_it_follows_libpq_the_os_user_its_database_and_the_default_socket() {
        String osUser = System.getProperty("user.name");
        var target = resolve(null, Map.of());
        boolean socketHere = java.nio.file.Files.exists(Path.of(SOCKET_DIRECTORY, ".s.PGSQL.5432"));
        assertEquals(osUser + "@" + (socketHere ? SOCKET_DIRECTORY : "localhost") + ":5432/" + osUser, target.describe());
        assertEquals(socketHere ? Path.of(SOCKET_DIRECTORY, ".s.PGSQL.5432") : null, target.socketFile(),
                "the default socket directory when a server listens there, else localhost");
        assertNull(target.password());
        assertEquals("libpq's defaults", target.source());
        assertFalse(target.databaseNamed());
        assertEquals("localhost", resolve(null, Map.of("PGPORT", "1")).hosts().get(0).host(),
                "no server's socket for that port: localhost over TCP");
        assertEquals("app@localhost:5432/app", resolve(null, Map.of("PGUSER", "app", "PGPORT", "1")).describe().replace(":1/", ":5432/"),
                "as in libpq, the database defaults to the user's name");
        var withoutUser = resolve("postgresql://db.internal/trading", Map.of());
        assertEquals(osUser, withoutUser.user(), "a URL without a user is the OS user's, as in libpq, not postgres");
        assertTrue(withoutUser.databaseNamed());
        assertEquals("from --url, the database named after the user", resolve("postgresql://app@db.internal", Map.of()).origin());
        assertEquals("from DATABASE_URL", resolve(null, Map.of("DATABASE_URL", "postgresql://app@db/x")).origin());
    }

    @Test
    void a_maintenance_database_that_nobody_named_is_never_written() {
        // Port 1: nothing listens there, so exit 2 (and not 3) shows that the refusal comes before any connection.
        var unnamed = List.of(Map.of("PGHOST", "127.0.0.1", "PGPORT", "1", "PGUSER", "postgres"),
                Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:1"),
                Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/"),
                Map.of("DATABASE_URL", "host=127.0.0.1 port=1 user=template1"),
                Map.of("DATABASE_URL", "postgresql://template0@127.0.0.1:1?sslmode=disable"));
        for (var env : unnamed) {
            for (var command : List.of("run", "migrate", "seed", "plan", "check", "info")) {
                var run = TestDatabase.runWith(env, workspace, command.equals("run") ? new String[0] : new String[]{command});
                assertEquals(2, run.exitCode(), () -> env + " " + command + "\n" + run);
                assertTrue(run.err().contains(", a maintenance database of PostgreSQL, only because no database was named and it "
                        + "defaults to the user's name"), run::toString);
            }
        }
        var run = TestDatabase.runWith(unnamed.get(0), workspace, "plan", "--json");
        assertTrue(run.err().startsWith("error: the database is postgres, a maintenance database of PostgreSQL, only because no "
                + "database was named and it defaults to the user's name (postgres); seed_database writes into such a database "
                + "only when it is named. Name the database to seed in --url, DATABASE_URL or PGDATABASE; if postgres is meant, "
                + "name it, as in --url postgresql://postgres@127.0.0.1:1/postgres or PGDATABASE=postgres"), run::toString);
        assertTrue(run.out().contains("\"exit_code\" : 2") || run.out().contains("\"exit_code\": 2"), run::toString);
        var socket = TestDatabase.runWith(Map.of("PGHOST", SOCKET_DIRECTORY, "PGUSER", "postgres"), workspace, "plan");
        assertTrue(socket.err().contains("as in --url postgresql://postgres@/postgres?host=" + SOCKET_DIRECTORY
                + " or PGDATABASE=postgres"), socket::toString);
        assertTrue(socket.out().contains("(from PGHOST, PGUSER, the database named after the user, over the Unix socket "),
                "the header says where the database came from:\n" + socket);

        // Named, it is a target like any other: these get as far as connecting.
        for (var env : List.of(Map.of("PGHOST", "127.0.0.1", "PGPORT", "1", "PGUSER", "postgres", "PGDATABASE", "postgres"),
                Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/postgres"),
                Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/template1"),
                Map.of("DATABASE_URL", "host=127.0.0.1 port=1 user=postgres dbname=postgres"))) {
            var named = TestDatabase.runWith(env, workspace, "plan");
            assertEquals(3, named.exitCode(), () -> env + "\n" + named);
        }
        // Commands that only read (history, export) may look at it; verify writes only into its throwaway database.
        var server = Map.of("PGHOST", "127.0.0.1", "PGUSER", "postgres");
        var history = TestDatabase.runWith(server, workspace, "history");
        assertEquals(0, history.exitCode(), history::toString);
        var export = TestDatabase.runWith(server, workspace, "export", "pg_catalog.pg_am", "--key", "amname");
        assertEquals(0, export.exitCode(), export::toString);
        var verify = TestDatabase.runWith(server, workspace, "verify");
        assertEquals(0, verify.exitCode(), verify::toString);
    }

    @Test
    void a_string_that_is_not_a_postgresql_url_is_a_usage_error_that_never_shows_it() {
        for (String url : List.of("mysql://root:Hunter2-Secret@db/app", "postgresql:/postgres:Hunter2-Secret@127.0.0.1/app",
                "postgres:Hunter2-Secret@127.0.0.1/app", "Hunter2-Secret", "postgresql://u:Hunter2-Secret@db/app?x=%zz")) {
            var run = TestDatabase.runWith(Map.of("DATABASE_URL", url), workspace);
            assertEquals(2, run.exitCode(), run::toString);
            assertTrue(run.err().startsWith("error: DATABASE_URL "), run::toString);
            assertFalse(run.output().contains("Hunter2-Secret"), run::toString);
        }
        var mysql = TestDatabase.runWith(Map.of(), workspace, "--url", "mysql://root:Hunter2-Secret@db/app");
        assertTrue(mysql.err().startsWith("error: --url is not a PostgreSQL URL (it is a mysql:// URL); it is not shown here, "
                + "as it may hold a password. Write it as postgresql://user:password@host:5432/database"), mysql::toString);
    }

    @Test
    void no_message_about_a_connection_string_quotes_a_part_that_could_be_its_password() {
        // Each password is two halves around a character that separates the parts of a URL or a
        // connection string: whichever part a half lands in, neither may be shown.
        String a = "Hun7erQq", b = "Secr3tZz";
        String at = "127.0.0.1:5432/" + db.name;
        String keyValues = "host=127.0.0.1 dbname=" + db.name + " user=postgres ";
        var forms = new java.util.LinkedHashMap<String, Integer>();
        forms.put("postgresql://postgres:" + a + b + "/" + db.name, 2);                 // the password in the port's place
        forms.put("postgresql://postgres:" + a + "?" + b + "@" + at, 0);                // ? in a password is read as libpq reads it
        forms.put("postgresql://postgres:" + a + "#" + b + "@" + at, 0);
        forms.put("postgresql://postgres:" + a + "@" + b + "@" + at, 0);
        forms.put("postgresql://postgres:" + a + ":" + b + "@" + at, 0);
        forms.put("postgresql://postgres:" + a + "?" + b, 2);                           // and no host after it
        forms.put("postgresql://postgres:" + a + "/" + b + "@" + at, 2);                // / cannot be told from the path
        forms.put("postgresql://postgres:1234/" + b + "@" + at, 2);
        forms.put("postgresql://postgres:" + a + "?" + b + "/x@" + at, 2);
        forms.put("postgresql://postgres:" + a + "%zz" + b + "@" + at, 2);              // bad %-escapes
        forms.put("postgresql://postgres:" + a + "%4", 2);
        forms.put("postgresql://postgres:" + a + "%" + "@" + at, 2);
        forms.put("jdbc:postgresql://" + at + "?user=postgres&password=" + a + "&" + b, 2);     // & in the query's password
        forms.put("jdbc:postgresql://" + at + "?user=postgres&password=" + a + "&" + b + "=x", 0);
        forms.put("jdbc:postgresql://" + at + "?user=postgres&password=" + a + "&sslmode=" + b, 2);
        forms.put("postgresql://postgres@" + at + "?password=" + a + "&connect_timeout=" + b, 2);
        forms.put("postgresql://postgres@" + at + "?password=" + a + "&" + b + "-x=1", 2);
        forms.put(keyValues + "password=" + a + " " + b, 2);                                   // key=value, broken quotes
        forms.put(keyValues + "password='" + a + " " + b, 2);
        forms.put(keyValues + "password='" + a + "'" + b + "' port=5432", 2);
        forms.put(keyValues + "password=" + a + " port=" + b, 2);
        forms.put(keyValues + "password=" + a + " " + b + "=x", 0);
        forms.put(keyValues + "password=" + a + " " + b + "-x=1", 2);
        for (var form : forms.entrySet()) {
            String url = form.getKey();
            for (var args : List.of(List.of("plan"), List.of("plan", "--json"), List.of("--verbose", "plan"),
                    List.of("check", "--json", "--verbose"))) {
                var full = new java.util.ArrayList<>(args);
                full.addAll(List.of("--url", url));
                var run = TestDatabase.runWith(Map.of(), workspace, full.toArray(String[]::new));
                assertEquals((int) form.getValue(), run.exitCode() == 1 ? 0 : run.exitCode(), () -> url + " " + args + "\n" + run);
                assertFalse(run.output().contains(a) || run.output().contains(b), () -> url + " " + args + "\n" + run);
            }
            var fromEnvironment = TestDatabase.runWith(Map.of("DATABASE_URL", url), workspace, "--json", "--verbose");
            assertFalse(fromEnvironment.output().contains(a) || fromEnvironment.output().contains(b),
                    () -> url + "\n" + fromEnvironment);
        }
        var issue = TestDatabase.runWith(Map.of(), workspace, "--url", "postgresql://user:Hunter2pw/db");
        assertEquals(2, issue.exitCode(), issue::toString);
        assertTrue(issue.err().startsWith("error: --url has a port that is not a number from 1 to 65535 (it is not shown, as it "
                + "may hold a password: a password that holds / unencoded, or has no @host after it, lands there). Percent-encode special "
                + "characters in the user name and password (@ is %40"), issue::toString);
        assertFalse(issue.output().contains("Hunter2pw"), issue::toString);
        assertEquals(a + "?" + b, resolve("postgresql://app:" + a + "?" + b + "@db/app?sslmode=disable", Map.of()).password(),
                "the query begins after the host");
        assertEquals("PGPORT is not a port number from 1 to 65535: \"54x\"",
                org.junit.jupiter.api.Assertions.assertThrows(SeedError.class, () -> resolve(null, Map.of("PGPORT", "54x")))
                        .getMessage(), "PGPORT holds no password: it is quoted");
    }

    @Test
    void a_connection_string_that_cannot_be_read_exactly_is_refused_not_guessed() {
        for (var bad : Map.of(
                "host=127.0.0.1 password='Hunter2-Secret dbname=" + db.name, "opens a quote that is never closed",
                "postgresql://u:Hunter2-Secret@[::1/app", "IPv6 address without its closing ]",
                db.url() + "?sslmode=bogus", "the connection setting sslmode has a value it does not take (it is not shown, "
                        + "as it may hold a password). It takes one of disable, allow",
                db.url() + "?connect_timeout=abc", "the connection setting connectTimeout is not a number").entrySet()) {
            var run = TestDatabase.runWith(Map.of("DATABASE_URL", bad.getKey()), workspace, "plan");
            assertEquals(2, run.exitCode(), run::toString);
            assertTrue(run.err().contains(bad.getValue()), run::toString);
            assertFalse(run.output().contains("Hunter2-Secret"), run::toString);
        }
    }

    @Test
    void libpq_key_value_connection_strings_work_too() {
        var target = resolve("host=db.internal port=6543 dbname=trading user=app password='it\\'s secret' sslmode=require", Map.of());
        assertEquals("app@db.internal:6543/trading", target.describe());
        assertEquals("it's secret", target.password());
        assertEquals("require", target.properties().getProperty("sslmode"));

        var run = TestDatabase.runWith(Map.of("DATABASE_URL", "host=127.0.0.1 port=5432 dbname=" + db.name + " user=postgres"),
                workspace, "migrate");
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void a_setting_the_driver_does_not_know_is_warned_about_by_the_setting_it_is_closest_to() {
        var run = TestDatabase.runWith(Map.of("DATABASE_URL", db.url() + "?sslmdoe=require"), workspace, "migrate");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("warning: the connection string has a setting the PostgreSQL driver does not know, did you "
                + "mean \"sslmode\"? It is ignored"), run::toString);
        assertFalse(run.out().contains("sslmdoe"), "the name itself could be the rest of a password:\n" + run);

        var far = TestDatabase.runWith(Map.of("DATABASE_URL", db.url() + "?zzqqxxyyww=1&wwvvuuttk=2"), workspace, "migrate");
        assertEquals(0, far.exitCode(), far::toString);
        assertTrue(far.out().contains("warning: the connection string has 2 settings the PostgreSQL driver does not know and ignores"),
                far::toString);
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
        assertTrue(fromVariables.out().contains("  database     postgres@127.0.0.1:5432/" + db.name
                + " (from PGHOST, PGPORT, PGDATABASE, PGUSER)\n"), fromVariables::toString);
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

    /** The seed files are read before the database is touched: a file that cannot be read is the error, whatever the server. */
    @Test
    void a_seed_file_that_cannot_be_read_is_the_error_even_when_the_server_cannot_be_reached() {
        TestDatabase.write(workspace.resolve("seeds/llm_models.yaml"), "table: llm_models\nkey: model_id\nrows: [\n");
        var run = TestDatabase.runWith(Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/app"), workspace);
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("error: seeds/llm_models.yaml:4:1: invalid YAML"), run::toString);
        assertFalse(run.err().contains("127.0.0.1:1"), run::toString);
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
        String at = "127.0.0.1:5432/" + db.name;
        for (String url : List.of(
                "postgresql://postgres:" + password + "@" + at,
                "postgres://postgres:" + password + "@" + at + "?sslmode=disable",
                "postgresql+asyncpg://postgres:" + password + "@" + at,
                "jdbc:postgresql://" + at + "?user=postgres&password=" + password,
                "host=127.0.0.1 port=5432 dbname=" + db.name + " user=postgres password='" + password + "'")) {
            for (var args : List.of(new String[]{"--verbose"}, new String[]{"--verbose", "--seeds", "broken-seeds"},
                    new String[]{"plan", "--json", "--verbose"}, new String[]{"history", "--verbose"}, new String[]{"info", "--json"})) {
                var full = new java.util.ArrayList<>(List.of(args));
                full.addAll(List.of("--url", url));
                var run = TestDatabase.runWith(Map.of(), workspace, full.toArray(String[]::new));
                assertFalse(run.output().contains(password), run::toString);
                assertTrue(run.output().contains("postgres@127.0.0.1:5432/" + db.name), run::toString);
            }
        }
        assertTrue(db.count("SELECT count(*) FROM seed_history") > 0);
        assertEquals(0, db.count("SELECT count(*) FROM seed_history h WHERE h::text LIKE ?", "%" + password + "%"),
                "no history row holds it");
    }

    @Test
    void the_ssl_options_of_a_url_reach_the_driver() {
        var target = resolve("postgresql://app@db/trading?sslmode=verify-full&sslrootcert=/etc/ssl/root.crt"
                + "&sslcert=/etc/ssl/app.crt&sslkey=/etc/ssl/app.key&sslpassword=k3y-pass&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory",
                Map.of());
        var properties = target.properties();
        assertEquals("verify-full", properties.getProperty("sslmode"));
        assertEquals("/etc/ssl/root.crt", properties.getProperty("sslrootcert"));
        assertEquals("/etc/ssl/app.crt", properties.getProperty("sslcert"));
        assertEquals("/etc/ssl/app.key", properties.getProperty("sslkey"));
        assertEquals("k3y-pass", properties.getProperty("sslpassword"));
        assertEquals(List.of(), target.warnings(), "all of them are settings the driver knows");
        assertFalse(target.describe().contains("k3y-pass"));
    }

    // ── over a Unix-domain socket, and the messages of a connection that fails ───────────────

    static final String SOCKET_DIRECTORY = "/var/run/postgresql";

    @Test
    void the_server_is_reached_over_its_unix_socket_from_PGHOST_and_from_the_url() {
        String password = "S0ck3t-Pw-Unused";
        long before = db.count("SELECT count(*) FROM pg_database WHERE datname = ?", db.name);
        var fromVariables = TestDatabase.runWith(Map.of("PGHOST", SOCKET_DIRECTORY, "PGUSER", "postgres", "PGDATABASE", db.name,
                "PGPASSWORD", password), workspace, "--verbose");
        assertEquals(0, fromVariables.exitCode(), fromVariables::toString);
        assertTrue(fromVariables.out().contains("  database     postgres@" + SOCKET_DIRECTORY + ":5432/" + db.name
                + " (from PGHOST, PGDATABASE, PGUSER, PGPASSWORD, over the Unix socket " + SOCKET_DIRECTORY + "/.s.PGSQL.5432)\n"),
                fromVariables::toString);
        assertTrue(fromVariables.out().contains("recorded in seed_history"), fromVariables::toString);
        assertFalse(fromVariables.output().contains(password), fromVariables::toString);
        long runs = db.count("SELECT count(DISTINCT run_id) FROM seed_history");
        assertTrue(runs >= 1 && before == 1, fromVariables::toString);

        for (String url : List.of("postgresql:///" + db.name + "?host=" + SOCKET_DIRECTORY + "&user=postgres&password=" + password,
                "postgresql://postgres:" + password + "@%2Fvar%2Frun%2Fpostgresql/" + db.name,
                "postgresql://postgres:" + password + "@/" + db.name + "?host=" + SOCKET_DIRECTORY,
                "host=" + SOCKET_DIRECTORY + " port=5432 dbname=" + db.name + " user=postgres password=" + password)) {
            var run = TestDatabase.runWith(Map.of("DATABASE_URL", url), workspace, "--verbose");
            assertEquals(0, run.exitCode(), () -> url + "\n" + run);
            assertTrue(run.out().contains("(from DATABASE_URL, over the Unix socket " + SOCKET_DIRECTORY + "/.s.PGSQL.5432)"),
                    run::toString);
            assertFalse(run.output().contains(password), run::toString);
            var json = TestDatabase.runWith(Map.of("DATABASE_URL", url), workspace, "check", "--json");
            assertEquals(0, json.exitCode(), json::toString);
            assertTrue(json.out().contains("\"database\" : \"postgres@" + SOCKET_DIRECTORY + ":5432/" + db.name + "\"")
                    || json.out().contains("\"database\": \"postgres@" + SOCKET_DIRECTORY + ":5432/" + db.name + "\""), json::toString);
        }
        assertEquals(runs + 4, db.count("SELECT count(DISTINCT run_id) FROM seed_history"),
                "each run over the socket seeded the database");
    }

    @Test
    void a_socket_directory_is_read_from_every_form() {
        for (String url : List.of("postgresql:///app?host=/run/pg&port=5433", "postgresql://%2Frun%2Fpg:5433/app",
                "postgresql://%2frun%2fpg:5433/app", "host=/run/pg port=5433 dbname=app", "jdbc:postgresql:///app?host=/run/pg&port=5433")) {
            var target = resolve(url, Map.of("PGUSER", "app"));
            assertEquals(Path.of("/run/pg/.s.PGSQL.5433"), target.socketFile(), url);
            assertEquals("app@/run/pg:5433/app", target.describe(), url);
            assertEquals("jdbc:postgresql://localhost:5433/app", target.jdbcUrl(), url);
            assertEquals("/run/pg/.s.PGSQL.5433", target.properties().getProperty("socketFactoryArg"), url);
            assertEquals("disable", target.properties().getProperty("sslmode"), "no SSL over a socket, as in libpq: " + url);
        }
        assertEquals(Path.of("/run/pg/.s.PGSQL.6000"), resolve(null, Map.of("PGHOST", "/run/pg", "PGPORT", "6000")).socketFile());
        assertEquals(Path.of("/run/pg/.s.PGSQL.5433"), resolve("port=5433 host=/run/pg dbname=app", Map.of()).socketFile(),
                "the port applies wherever it stands");
        assertEquals(Path.of("/run/pg/.s.PGSQL.5433"), resolve("postgresql:///app?port=5433&host=/run/pg", Map.of()).socketFile());
        assertNull(resolve("postgresql://db:5433/app", Map.of()).socketFile());
    }

    @Test
    void a_socket_directory_without_a_server_says_so() {
        Path empty = TestDatabase.scratch("no-socket");
        var run = TestDatabase.runWith(Map.of("PGHOST", empty.toString(), "PGUSER", "postgres", "PGDATABASE", db.name), workspace);
        assertEquals(3, run.exitCode(), run::toString);
        assertTrue(run.err().contains("no PostgreSQL server listens there: the socket file is not there (connection from PGHOST, "
                + "PGDATABASE, PGUSER, over the Unix socket " + empty + "/.s.PGSQL.5432). Is PostgreSQL running on this machine, with "
                + empty + " among its unix_socket_directories and port 5432?"), run::toString);
        var several = TestDatabase.runWith(Map.of("PGHOST", SOCKET_DIRECTORY + ",127.0.0.1", "PGUSER", "postgres"), workspace);
        assertEquals(2, several.exitCode(), several::toString);
        assertTrue(several.err().contains("A socket directory (a host that begins with /) is the one host of a connection"),
                several::toString);
    }

    @Test
    void an_unknown_host_name_says_it_did_not_resolve() {
        var run = TestDatabase.runWith(Map.of("DATABASE_URL", "postgresql://postgres:Hunter2-Secret@no-such-host.invalid/app"),
                workspace);
        assertEquals(3, run.exitCode(), run::toString);
        assertTrue(run.err().contains("error: cannot use postgres@no-such-host.invalid:5432/app: the host name no-such-host.invalid "
                + "did not resolve: no such host is known (connection from DATABASE_URL). Check the host name"), run::toString);
        assertFalse(run.err().contains("is PostgreSQL running"), run::toString);
        assertFalse(run.output().contains("Hunter2-Secret"), run::toString);
    }

    @Test
    void a_private_server_over_its_socket_with_sslmode_require_and_a_password_file_under_HOME() throws Exception {
        String password = "Pgp4ss:w1th\\colon";
        try (var server = PrivateServer.start(db, "trading_app", password)) {
            // sslmode=require against a server without SSL: that is the reason given, not "is PostgreSQL running".
            var ssl = TestDatabase.runWith(Map.of("DATABASE_URL", "postgresql://trading_app@127.0.0.1:" + server.port
                    + "/postgres?sslmode=require", "PGPASSWORD", password), workspace, "check");
            assertEquals(3, ssl.exitCode(), ssl::toString);
            assertTrue(ssl.err().contains("The server does not support SSL"), ssl::toString);
            assertTrue(ssl.err().contains("This server does not offer SSL, and sslmode=require insists on it: use sslmode=prefer"),
                    ssl::toString);
            assertFalse(ssl.err().contains("is PostgreSQL running"), ssl::toString);

            // No password anywhere: the hint says where one goes.
            Path home = TestDatabase.scratch("home");
            var none = TestDatabase.runWith(Map.of("HOME", home.toString(),
                    "DATABASE_URL", "postgresql://trading_app@127.0.0.1:" + server.port + "/postgres"), workspace, "check");
            assertEquals(3, none.exitCode(), none::toString);
            assertTrue(none.err().contains("The server asks for a password and none was given: put it in the URL, in PGPASSWORD, "
                    + "or in the password file (PGPASSFILE, else $HOME/.pgpass)"), none::toString);

            // ~/.pgpass through $HOME: comments, a line it cannot read and a line for another port are skipped; : is escaped.
            Path pgpass = home.resolve(".pgpass");
            String escaped = password.replace("\\", "\\\\").replace(":", "\\:");
            TestDatabase.write(pgpass, "# the test's own password file\nnot a line of five fields Hun7erQq\n"
                    + "127.0.0.1:1:*:trading_app:Secr3tZz-wrong\n"
                    + "127.0.0.1:" + server.port + ":*:trading_app:" + escaped + "\n"
                    + "localhost:*:*:trading_app:" + escaped + "\n"
                    + server.socketDirectory() + ":" + server.port + ":postgres:*:" + escaped + "\n");
            java.nio.file.Files.setPosixFilePermissions(pgpass, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            for (String url : List.of("postgresql://trading_app@127.0.0.1:" + server.port + "/postgres",
                    "postgresql:///postgres?host=" + server.socketDirectory() + "&port=" + server.port + "&user=trading_app")) {
                for (var args : List.of(new String[]{"--verbose"}, new String[]{"plan", "--json", "--verbose"})) {
                    var run = TestDatabase.runWith(Map.of("HOME", home.toString(), "DATABASE_URL", url), workspace, args);
                    assertEquals(0, run.exitCode(), () -> url + "\n" + run);
                    assertFalse(run.output().contains(password) || run.output().contains("Pgp4ss") || run.output().contains("Hun7erQq")
                            || run.output().contains("Secr3tZz"), run::toString);
                }
            }
            var overSocket = TestDatabase.runWith(Map.of("HOME", home.toString(), "PGHOST", server.socketDirectory().toString(),
                    "PGPORT", String.valueOf(server.port), "PGUSER", "trading_app", "PGDATABASE", "postgres"), workspace, "check");
            assertEquals(0, overSocket.exitCode(), overSocket::toString);
            assertTrue(overSocket.out().contains("over the Unix socket " + server.socketDirectory() + "/.s.PGSQL." + server.port),
                    overSocket::toString);

            // PGPASSFILE wins over $HOME; a wrong password from it is named by file and line, never shown.
            Path other = TestDatabase.scratch("pgpassfile").resolve("passwords");
            TestDatabase.write(other, "*:*:*:*:Secr3tZz-wrong\n");
            java.nio.file.Files.setPosixFilePermissions(other, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            var wrong = TestDatabase.runWith(Map.of("HOME", home.toString(), "PGPASSFILE", other.toString(),
                    "DATABASE_URL", "postgresql://trading_app@127.0.0.1:" + server.port + "/postgres"), workspace, "check", "--verbose");
            assertEquals(3, wrong.exitCode(), wrong::toString);
            assertTrue(wrong.err().contains("password authentication failed for user \"trading_app\""), wrong::toString);
            assertTrue(wrong.err().contains("Check the user name and password (the password came from " + other + " (line 1))"),
                    wrong::toString);
            assertFalse(wrong.output().contains("Secr3tZz"), wrong::toString);

            // A password file others may read is ignored, as libpq ignores it, and the run says so.
            java.nio.file.Files.setPosixFilePermissions(pgpass, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            // The driver's own lookup (user.home's .pgpass, no permission check) must not use it behind the tool's back.
            String userHome = System.getProperty("user.home");
            TestDatabase.Run readable;
            try {
                System.setProperty("user.home", home.toString());
                readable = TestDatabase.runWith(Map.of("HOME", home.toString(),
                        "DATABASE_URL", "postgresql://trading_app@127.0.0.1:" + server.port + "/postgres"), workspace, "check");
            } finally {
                System.setProperty("user.home", userHome);
            }
            assertEquals(3, readable.exitCode(), readable.toString());
            assertTrue(readable.out().contains("warning: the password file " + pgpass + " may be read by others than its owner, so it "
                    + "is ignored, as libpq does; chmod 600 " + pgpass), readable.toString());
        }
    }

    // ── a wrong password, on a server that checks it ─────────────────────────────────────────

    @Test
    void a_wrong_password_exits_3_and_the_right_one_connects() throws Exception {
        try (var server = PrivateServer.start(db, "trading_app", "the-right-one")) {
            var wrong = TestDatabase.runWith(Map.of("DATABASE_URL", server.url("not-the-password")), workspace, "migrate");
            assertEquals(3, wrong.exitCode(), wrong::toString);
            assertTrue(wrong.err().contains("password authentication failed for user \"trading_app\""), wrong::toString);
            assertTrue(wrong.err().contains("Check the user name and password"), wrong::toString);
            assertFalse(wrong.output().contains("not-the-password"), wrong::toString);

            var right = TestDatabase.runWith(Map.of("DATABASE_URL", server.url("the-right-one")), workspace, "--verbose");
            assertEquals(0, right.exitCode(), right::toString);
            assertTrue(right.out().contains("8 inserted"), right::toString);
            assertFalse(right.output().contains("the-right-one"), right::toString);

            for (var args : List.of(new String[]{"migrate", "--verbose"}, new String[]{"plan", "--json", "--verbose"})) {
                var wrongFromVariable = TestDatabase.runWith(Map.of("PGPASSWORD", "Hun7erQq?Secr3tZz&x=y @%zz",
                        "DATABASE_URL", "postgresql://trading_app@127.0.0.1:" + server.port + "/postgres"), workspace, args);
                assertEquals(3, wrongFromVariable.exitCode(), wrongFromVariable::toString);
                assertFalse(wrongFromVariable.output().contains("Hun7erQq") || wrongFromVariable.output().contains("Secr3tZz"),
                        wrongFromVariable::toString);
            }
            var fromPgPassword = TestDatabase.runWith(Map.of("PGPASSWORD", "the-right-one",
                    "DATABASE_URL", "postgresql://trading_app@127.0.0.1:" + server.port + "/postgres"), workspace, "check");
            assertEquals(0, fromPgPassword.exitCode(), "PGPASSWORD fills in the password:\n" + fromPgPassword);
        }
    }

    static Map<String, String> with(Map<String, String> env, String name, String value) {
        var copy = new HashMap<>(env);
        copy.put(name, value);
        return copy;
    }
}
