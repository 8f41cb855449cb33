import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Migrations run inside the run's transaction: a failing one leaves nothing behind, and says where it failed. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MigrationTest {

    final TestDatabase db = TestDatabase.create(MigrationTest.class);
    Path workspace;

    @BeforeEach
    void seededDatabase() {
        db.recreate();
        workspace = TestDatabase.workspace();
        var run = db.run(workspace);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @AfterAll
    void dropDatabase() {
        db.close();
    }

    @Test
    void a_failing_migration_names_its_file_and_line_and_nothing_of_the_run_stays() {
        TestDatabase.write(workspace.resolve("migrations/V20260301__add_exchanges.sql"),
                "CREATE TABLE exchanges (mic text PRIMARY KEY);\n");
        TestDatabase.write(workspace.resolve("migrations/V20260302__broken.sql"),
                "ALTER TABLE llm_models ADD COLUMN tier text;\n\nUPDATE llm_models SET tier = 'x' WHERE max_tokens / 0 > 1;\n");
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");
        String before = db.snapshot();

        var run = db.run(workspace);

        assertEquals(1, run.exitCode(), run::toString);
        assertEquals("error: migrations/V20260302__broken.sql:3: migration failed: PostgreSQL: division by zero. "
                + "Nothing was written.\n", run.err());
        assertEquals(before, db.snapshot());
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'exchanges'"),
                "the migration before it, in the same run, is rolled back too");
    }

    @Test
    void an_edited_migration_that_was_applied_is_refused() {
        TestDatabase.edit(workspace.resolve("migrations/V20251218.0421__create_llm_models_table.sql"),
                "CREATE TABLE llm_models (", "CREATE TABLE llm_models (  -- edited");

        var run = db.run(workspace);

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Migration checksum mismatch for migration version 20251218.0421"), run::toString);
        assertTrue(run.err().contains("An applied migration was edited: revert the edit and put the change in a new migration."),
                run::toString);
    }

    @Test
    void a_migration_older_than_the_applied_ones_is_refused_with_advice_that_fits_this_tool() {
        TestDatabase.write(workspace.resolve("migrations/V20260101__late.sql"), "CREATE TABLE late (id int);\n");

        var run = db.run(workspace);

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Detected resolved migration not applied to database: 20260101"), run::toString);
        assertTrue(run.err().contains("Migrations have failed validation. Detected"), run::toString);
        assertTrue(run.err().contains("give it a higher version"), run::toString);
        assertTrue(!run.err().contains("outOfOrder") && !run.err().contains("ignoreMigrationPatterns"), run::toString);
    }

    @Test
    void a_migration_file_with_a_name_flyway_cannot_read_is_refused() {
        TestDatabase.write(workspace.resolve("migrations/add_exchanges.sql"), "CREATE TABLE exchanges (mic text PRIMARY KEY);\n");

        var run = db.run(workspace);

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("add_exchanges.sql"), run::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'exchanges'"));
    }
}
