import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Where migrations/ and seeds/ are found: --migrations/--seeds, else SEED_DATABASE_HOME, else the
 * working directory and its parents. Each run prints what it used.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LayoutTest {

    final TestDatabase db = TestDatabase.create(LayoutTest.class);
    final Path project = TestDatabase.workspace();

    @AfterAll
    void dropDatabase() {
        db.close();
    }

    @Test
    void from_a_subdirectory_the_project_is_found_in_a_parent() {
        var run = db.run(project.resolve("seeds"));

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("  migrations   " + project.resolve("migrations") + " (found from the working directory)"), run::toString);
        assertTrue(run.out().contains("  seeds        " + project.resolve("seeds") + " (found from the working directory)"), run::toString);
    }

    @Test
    void seed_database_home_works_from_any_working_directory() throws Exception {
        Path elsewhere = TestDatabase.scratch("elsewhere");

        var run = TestDatabase.runWith(Map.of("DATABASE_URL", db.url(), "SEED_DATABASE_HOME", project.toString()), elsewhere);

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("  seeds        " + project.resolve("seeds") + " (from SEED_DATABASE_HOME)"), run::toString);
        assertEquals(8, db.count("SELECT count(*) FROM llm_models"));
    }

    @Test
    void the_options_win_over_seed_database_home() throws Exception {
        Path other = TestDatabase.scratch("other-seeds");
        TestDatabase.write(other.resolve("one_model.yaml"),
                "table: llm_models\nkey: model_id\nrows:\n  - {model_id: from-option, provider: test, display_name: From the option, max_tokens: 1}\n");
        db.recreate();

        var run = TestDatabase.runWith(Map.of("DATABASE_URL", db.url(), "SEED_DATABASE_HOME", project.toString()), project,
                "--seeds", other.toString());

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("  migrations   " + project.resolve("migrations") + " (from SEED_DATABASE_HOME)"), run::toString);
        assertTrue(run.out().contains("  seeds        " + other + " (from --seeds)"), run::toString);
        assertEquals("from-option", db.text("SELECT string_agg(model_id, ',') FROM llm_models"));
    }

    @Test
    void with_nothing_to_find_it_says_how_to_point_at_the_directories() throws Exception {
        Path empty = TestDatabase.scratch("nothing-here");

        var run = TestDatabase.runWith(Map.of("DATABASE_URL", db.url()), empty);

        assertEquals(2, run.exitCode(), run::toString);
        assertEquals("error: no migrations/ directory found in " + empty + " or its parents. Run from the directory that "
                + "holds seed_database.java, set SEED_DATABASE_HOME to it, or pass --migrations DIR\n", run.err());
    }

    @Test
    void a_seed_database_home_that_is_not_there_is_a_usage_error() {
        var run = TestDatabase.runWith(Map.of("DATABASE_URL", db.url(), "SEED_DATABASE_HOME", "/no/such/place"), project);

        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("SEED_DATABASE_HOME is /no/such/place, which is not a directory"), run::toString);
    }
}
