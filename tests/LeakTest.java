import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * What a hostile-input pass found getting through: nothing of the machine, of a secret or of a
 * failing row reaches any output, and no file but the ones meant is read, run or applied.
 */
class LeakTest extends FreshProject {

    static final String SCHEMA = """
            CREATE TABLE p (id serial PRIMARY KEY, code text UNIQUE NOT NULL);
            CREATE TABLE t (id serial PRIMARY KEY, k text UNIQUE NOT NULL, v text, n integer, p_id integer REFERENCES p (id),
                            tok text CHECK (tok IS NULL OR tok NOT LIKE '%bad%'));
            """;

    LeakTest() {
        super(Map.of("migrations/V1__t.sql", SCHEMA, "seeds/p.yaml", "table: p\nkey: code\nrows:\n  - {code: A}\n"));
    }

    @Test
    void a_file_of_the_kernel_is_not_read_even_through_an_allowed_link() throws Exception {
        Path project = workspace;
        TestDatabase.write(project.resolve("seeds/t.yaml"), "table: t\nkey: k\nrows: t.csv\n");
        Files.createSymbolicLink(project.resolve("seeds/t.csv"), Path.of("/proc/self/environ"));
        String before = db.snapshot();

        var run = runFrom(project, Map.of("API_TOKEN", "tok_LIVE_abcdef"), "check", "--follow-symlinks", "--format", "github");

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("a file of the kernel (/proc/"), run::toString);
        assertFalse(run.output().contains("PATH=") || run.output().contains("tok_LIVE"), "nothing of the environment: " + run);
        assertEquals(before, db.snapshot());
    }

    @Test
    void a_secret_that_the_outputs_escape_is_masked_in_each_of_them() {
        Path project = workspace;
        TestDatabase.write(project.resolve("seeds/t.yaml"), "table: t\nkey: k\nrows:\n  - {k: r1, n: \"${TOK}\"}\n");
        for (String secret : List.of("Zq9sec\u2028retW", "Zq9sec\nretW", "Zq9sec\u202eretW", "Zq9<s&c>\"retW")) {
            for (String format : List.of("text", "json", "github", "junit", "markdown")) {
                var run = runFrom(project, Map.of("TOK", secret), "plan", "--format", format, "--verbose");
                assertEquals(1, run.exitCode(), run::toString);
                assertFalse(run.output().contains("Zq9") || run.output().contains("retW"), format + ": " + run);
            }
        }
    }

    @Test
    void a_failing_row_is_not_shown_as_it_may_hold_a_secret_of_an_earlier_run() {
        Path project = workspace;
        TestDatabase.write(project.resolve("seeds/t.yaml"), "table: t\nkey: k\nrows:\n  - {k: r1, v: \"${SEC}\"}\n");
        assertEquals(0, runFrom(project, Map.of("SEC", "Qx7OldSecretZ")).exitCode());
        TestDatabase.write(project.resolve("seeds/t.yaml"), "table: t\nkey: k\nrows:\n  - {k: r1, tok: very bad}\n");

        var run = runFrom(project, Map.of(), "check", "--verbose");

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("row r1: new row for relation \"t\" violates check constraint"), run::toString);
        assertFalse(run.output().contains("Qx7OldSecretZ"), run::toString);
    }

    @Test
    void an_environment_declared_twice_or_with_spaces_around_its_name_is_an_error() {
        Path project = workspace;
        TestDatabase.write(project.resolve("seeds/environments.yaml"), "environments:\n  production: {production: true, production: false}\n");
        var twice = runFrom(project, Map.of(), "--env", "production");
        assertEquals(1, twice.exitCode(), twice::toString);
        assertTrue(twice.err().contains("seeds/environments.yaml:2:34: \"production\" is given twice in this mapping"), twice::toString);

        TestDatabase.write(project.resolve("seeds/environments.yaml"), "environments:\n  \"live \": {production: true}\n  live: {}\n");
        var spaces = runFrom(project, Map.of(), "--env", "live");
        assertEquals(1, spaces.exitCode(), spaces::toString);
        assertTrue(spaces.err().contains("the name \"live \" has spaces around it"), spaces::toString);
    }

    @Test
    void seed_with_a_path_applies_that_file_of_the_seeds_directory_or_none() {
        Path project = workspace;
        Path elsewhere = TestDatabase.scratch("elsewhere");
        TestDatabase.write(elsewhere.resolve("p.yaml"), "table: p\nkey: code\nrows:\n  - {code: Z}\n");
        runFrom(project, Map.of(), "migrate");

        var other = runFrom(project, Map.of(), "seed", elsewhere.resolve("p.yaml").toString());

        assertEquals(2, other.exitCode(), other::toString);
        assertTrue(other.err().contains("is not a seed file of the seeds directory"), other::toString);
        assertEquals(0, db.count("SELECT count(*) FROM p"));
        assertEquals(0, runFrom(project, Map.of(), "seed", "seeds/p.yaml").exitCode());
        assertEquals("A", db.text("SELECT string_agg(code, ',') FROM p"));
    }

    @Test
    void a_csv_column_given_both_as_a_value_and_by_reference_is_an_error() {
        Path project = workspace;
        TestDatabase.write(project.resolve("seeds/t.yaml"), "table: t\nkey: k\nrows: t.csv\n");
        for (String header : List.of("k,p_id.code,p_id", "k,p_id,p_id.code")) {
            TestDatabase.write(project.resolve("seeds/t.csv"), header + "\nr1,A,1\n");
            var run = runFrom(project, Map.of());
            assertEquals(1, run.exitCode(), run::toString);
            assertTrue(run.err().contains("the header gives p_id twice: as p_id and as p_id.code"), run::toString);
        }
    }

    @Test
    void a_key_that_names_a_column_twice_is_an_error() {
        Path project = workspace;
        TestDatabase.write(project.resolve("seeds/t.yaml"), "table: t\nkey: [k, k]\nrows:\n  - {k: r1}\n");
        var run = runFrom(project, Map.of());
        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("seeds/t.yaml:2:6: key names a column twice"), run::toString);
    }

    @Test
    void migrations_are_read_from_the_migrations_directory_only() throws Exception {
        Path project = workspace;
        Path outside = TestDatabase.scratch("outside-migrations");
        TestDatabase.write(outside.resolve("V3__outside.sql"), "CREATE TABLE outside (x int);\n");
        Files.createSymbolicLink(project.resolve("migrations/ext"), outside);
        var linked = runFrom(project, Map.of(), "migrate");
        assertEquals(1, linked.exitCode(), linked::toString);
        assertTrue(linked.err().contains("migrations/ext: a link to " + outside.toRealPath() + ", outside the migrations directory"),
                linked::toString);

        Files.delete(project.resolve("migrations/ext"));
        Files.createDirectories(project.resolve("migrations/V2__x.sql"));
        var directory = runFrom(project, Map.of(), "migrate");
        assertEquals(1, directory.exitCode(), directory::toString);
        assertTrue(directory.err().contains("a directory named like a migration"), directory::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "nothing ran");
    }

    @Test
    void a_diff_tells_an_escape_written_as_text_from_the_character() {
        Path project = workspace;
        TestDatabase.write(project.resolve("seeds/t.yaml"), "table: t\nkey: k\nrows:\n  - {k: r2, v: 'two\\nlines'}\n");
        assertEquals(0, runFrom(project, Map.of()).exitCode());
        TestDatabase.write(project.resolve("seeds/t.yaml"), "table: t\nkey: k\nrows:\n  - {k: r2, v: \"two\\nlines\"}\n");

        var plan = runFrom(project, Map.of(), "plan");

        assertTrue(plan.out().contains("~ r2  v: two\\\\nlines → two\\nlines"), plan::toString);
    }
}
