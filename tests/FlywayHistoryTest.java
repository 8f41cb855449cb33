import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A run with no migration pending does not start Flyway (FlywayHistory): only when the history
 * proves that Flyway would apply nothing and refuse nothing. Where the proof holds, Flyway itself,
 * run on the same database and files, must agree; in each trap, the proof must not hold, and the
 * run goes as Flyway says.
 */
class FlywayHistoryTest extends FreshProject {

    private static final String SKIPPED = "Flyway has nothing to do and is not started";

    @BeforeEach
    void migratedDatabase() {
        runOk();
    }

    /** Flyway on its own, on the class's database and the workspace's migrations: what it would apply. */
    private int flywayWouldApply() {
        var target = DatabaseTarget.resolve(db.url(), java.util.Map.of());
        var flyway = Flyway.configure().dataSource(target.jdbcUrl(), target.properties().getProperty("user"), null)
                .locations("filesystem:" + workspace.resolve("migrations")).load();
        flyway.validate();
        return flyway.info().pending().length;
    }

    private TestDatabase.Run verbosePlan() {
        return run("plan", "--verbose");
    }

    @Test
    void with_every_migration_applied_flyway_is_not_started_and_flyway_agrees_there_is_nothing_to_do() {
        var plan = verbosePlan();
        assertEquals(0, plan.exitCode(), plan::toString);
        assertTrue(plan.err().contains(SKIPPED), plan::toString);
        assertEquals(0, flywayWouldApply());

        var json = run("plan", "--json").json().get("migrations");
        assertEquals("20260208", json.get("version_before").asText());
        assertEquals("20260208", json.get("version_after").asText());
        assertEquals(0, json.get("applied").size());
    }

    @Test
    void an_adopted_database_is_proved_from_its_baseline() {
        db.recreate();
        db.execute(TestDatabase.read(workspace.resolve("migrations/V20251218.0421__create_llm_models_table.sql")));
        run(0, "migrate", "--baseline=20251218.0421");

        var plan = verbosePlan();
        assertTrue(plan.err().contains(SKIPPED), plan::toString);
        assertEquals(0, flywayWouldApply());
    }

    @Test
    void a_pending_migration_starts_flyway_and_is_applied() {
        TestDatabase.write(workspace.resolve("migrations/V20260301__add_exchanges.sql"), "CREATE TABLE exchanges (mic text PRIMARY KEY);\n");

        var run = run("--verbose");

        assertEquals(0, run.exitCode(), run::toString);
        assertFalse(run.err().contains(SKIPPED), run::toString);
        assertEquals(1, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'exchanges'"));
    }

    @Test
    void an_edited_applied_migration_is_left_to_flyway_which_refuses_it() {
        TestDatabase.edit(workspace.resolve("migrations/V20260206__create_scanners.sql"), "CREATE TABLE", "-- edited\nCREATE TABLE");

        var run = run("--verbose");

        assertEquals(1, run.exitCode(), run::toString);
        assertFalse(run.err().contains(SKIPPED), run::toString);
        assertTrue(run.err().contains("Migration checksum mismatch for migration version 20260206"), run::toString);
    }

    @Test
    void a_renamed_migration_is_left_to_flyway() throws Exception {
        Path from = workspace.resolve("migrations/V20260206__create_scanners.sql");
        Files.move(from, from.resolveSibling("V20260206__create_the_scanners.sql"));

        var run = run("--verbose");

        assertEquals(1, run.exitCode(), run::toString);
        assertFalse(run.err().contains(SKIPPED), run::toString);
        assertTrue(run.err().contains("Migration description mismatch for migration version 20260206"), run::toString);
    }

    @Test
    void an_applied_migration_whose_file_is_gone_is_left_to_flyway() throws Exception {
        Files.delete(workspace.resolve("migrations/V20260208__create_tutorial_steps.sql"));

        var run = run("plan", "--verbose");

        assertFalse(run.err().contains(SKIPPED), run::toString);
    }

    @Test
    void a_repeatable_migration_or_a_callback_is_left_to_flyway_which_runs_it() {
        TestDatabase.write(workspace.resolve("migrations/R__touch.sql"), "CREATE TABLE IF NOT EXISTS touched (id int);\n");
        var run = run("--verbose");
        assertEquals(0, run.exitCode(), run::toString);
        assertFalse(run.err().contains(SKIPPED), run::toString);
        assertEquals(1, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'touched'"));

        TestDatabase.write(workspace.resolve("migrations/afterMigrate.sql"), "CREATE TABLE IF NOT EXISTS called_back (id int);\n");
        run = run("--verbose");
        assertEquals(0, run.exitCode(), run::toString);
        assertFalse(run.err().contains(SKIPPED), run::toString);
        assertEquals(1, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'called_back'"));
    }

    @Test
    void a_failed_or_foreign_row_in_the_history_is_left_to_flyway() {
        db.execute("UPDATE flyway_schema_history SET success = false WHERE version = '20260208'");
        assertFalse(verbosePlan().err().contains(SKIPPED));

        db.execute("UPDATE flyway_schema_history SET success = true WHERE version = '20260208'");
        assertTrue(verbosePlan().err().contains(SKIPPED), "the same history, mended, proves it again");

        db.execute("UPDATE flyway_schema_history SET type = 'JDBC' WHERE version = '20260208'");
        assertFalse(verbosePlan().err().contains(SKIPPED));
    }

    @Test
    void a_history_in_another_schema_than_flyways_proves_nothing() {
        db.execute("CREATE SCHEMA other; ALTER TABLE flyway_schema_history SET SCHEMA other");

        var run = run("plan", "--verbose", "--json");

        assertFalse(run.err().contains(SKIPPED), run::toString);
    }
}
