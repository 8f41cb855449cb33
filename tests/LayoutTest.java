import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Where migrations/ and seeds/ are found: --migrations/--seeds, else SEED_DATABASE_HOME, else the
 * directory of seed_database.java when the launcher says where it is, else the working directory
 * and its parents. Each run prints what it used.
 */
class LayoutTest extends FreshProject {

    @Test
    void from_the_root_directory_a_file_is_named_by_its_whole_path() {
        Path copy = TestDatabase.workspace();
        TestDatabase.edit(copy.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: lots");

        var run = runFrom(Path.of("/"), Map.of("SEED_DATABASE_HOME", copy.toString()), "plan");

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("error: " + copy.resolve("seeds/llm_models.yaml") + ":"), "not tmp/…/llm_models.yaml: " + run);
    }

    @Test
    void from_a_subdirectory_the_project_is_found_in_a_parent() {
        var run = runFrom(workspace.resolve("seeds"), Map.of());

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("  migrations   " + workspace.resolve("migrations") + " (found from the working directory)"), run::toString);
        assertTrue(run.out().contains("  seeds        " + workspace.resolve("seeds") + " (found from the working directory)"), run::toString);
    }

    @Test
    void seed_database_home_works_from_any_working_directory() throws Exception {
        Path elsewhere = TestDatabase.scratch("elsewhere");

        var run = runFrom(elsewhere, Map.of("SEED_DATABASE_HOME", workspace.toString()));

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("  seeds        " + workspace.resolve("seeds") + " (from SEED_DATABASE_HOME)"), run::toString);
        assertEquals(8, db.count("SELECT count(*) FROM llm_models"));
    }

    @Test
    void the_options_win_over_seed_database_home() throws Exception {
        Path other = TestDatabase.scratch("other-seeds");
        TestDatabase.write(other.resolve("one_model.yaml"),
                "table: llm_models\nkey: model_id\nrows:\n  - {model_id: from-option, provider: test, display_name: From the option, max_tokens: 1}\n");
        db.recreate();

        var run = run(Map.of("SEED_DATABASE_HOME", workspace.toString()),
                "--seeds", other.toString());

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("  migrations   " + workspace.resolve("migrations") + " (from SEED_DATABASE_HOME)"), run::toString);
        assertTrue(run.out().contains("  seeds        " + other + " (from --seeds)"), run::toString);
        assertEquals("from-option", db.text("SELECT string_agg(model_id, ',') FROM llm_models"));
    }

    @Test
    void with_nothing_to_find_it_says_how_to_point_at_the_directories() throws Exception {
        Path empty = TestDatabase.scratch("nothing-here");

        var run = runFrom(empty, Map.of());

        assertEquals(2, run.exitCode(), run::toString);
        assertEquals("error: no migrations/ directory found in " + empty + " or its parents. Run from the directory that "
                + "holds seed_database.java, set SEED_DATABASE_HOME to it, or pass --migrations DIR\n", run.err());
    }

    @Test
    void a_seed_database_home_that_is_not_there_is_a_usage_error() {
        var run = run(Map.of("SEED_DATABASE_HOME", "/no/such/place"));

        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(run.err().contains("SEED_DATABASE_HOME is /no/such/place, which is not a directory"), run::toString);
    }

    /** A run as ./jbang starts one: told that seed_database.java is in scriptDir. */
    static TestDatabase.Run runFromScript(Path scriptDir, Map<String, String> env, Path workingDir, String... args) {
        return TestDatabase.capture((out, err) -> seed_database.execute(args, new HashMap<>(env), workingDir, scriptDir, out, err));
    }

    @Test
    void the_directory_of_the_script_wins_over_the_working_directory_and_seed_database_home_over_both() throws Exception {
        Path script = TestDatabase.scratch("script-home");
        TestDatabase.write(script.resolve("migrations/V1__create_places.sql"), "CREATE TABLE places (code text PRIMARY KEY);\n");
        TestDatabase.write(script.resolve("seeds/places.yaml"), "table: places\nkey: code\nrows:\n  - {code: beside-the-script}\n");
        db.recreate();

        // The working directory is another project: the script's own directories are used all the same.
        var run = runFromScript(script, Map.of("DATABASE_URL", db.url()), workspace, "--dry-run");

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("  migrations   " + script.resolve("migrations") + " (found where seed_database.java is)"), run::toString);
        assertTrue(run.out().contains("  seeds        " + script.resolve("seeds") + " (found where seed_database.java is)"), run::toString);

        var migrated = runFromScript(script, Map.of("DATABASE_URL", db.url()), workspace, "migrate");
        assertEquals(0, migrated.exitCode(), migrated::toString);
        assertEquals(1, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'places'"), "the script's migrations ran");

        var home = runFromScript(script, Map.of("DATABASE_URL", db.url(), "SEED_DATABASE_HOME", workspace.toString()), script,
                "--dry-run");
        assertTrue(home.out().contains("  seeds        " + workspace.resolve("seeds") + " (from SEED_DATABASE_HOME)"), home::toString);

        var option = runFromScript(script, Map.of("DATABASE_URL", db.url()), workspace, "--seeds", workspace.resolve("seeds").toString(),
                "--dry-run");
        assertTrue(option.out().contains("  migrations   " + script.resolve("migrations") + " (found where seed_database.java is)"),
                option::toString);
        assertTrue(option.out().contains("  seeds        " + workspace.resolve("seeds") + " (from --seeds)"), option::toString);
    }

    @Test
    void a_script_directory_without_seeds_says_where_it_looked() throws Exception {
        Path script = TestDatabase.scratch("script-without-seeds");
        Files.createDirectories(script.resolve("migrations"));

        var run = runFromScript(script, Map.of("DATABASE_URL", db.url()), workspace, "seed");

        assertEquals(2, run.exitCode(), run::toString);
        assertEquals("error: the seeds directory " + script.resolve("seeds") + " (found where seed_database.java is) is not there\n",
                run.err(), run::toString);
    }
}
