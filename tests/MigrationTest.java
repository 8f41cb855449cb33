import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Migrations run inside the run's transaction: a failing one leaves nothing behind, and says where it failed. */
class MigrationTest extends FreshProject {

    @BeforeEach
    void seededDatabase() {
        runOk();
    }

    @Test
    void a_failing_migration_names_its_file_and_line_and_nothing_of_the_run_stays() {
        TestDatabase.write(workspace.resolve("migrations/V20260301__add_exchanges.sql"),
                "CREATE TABLE exchanges (mic text PRIMARY KEY);\n");
        TestDatabase.write(workspace.resolve("migrations/V20260302__broken.sql"),
                "ALTER TABLE llm_models ADD COLUMN tier text;\n\nUPDATE llm_models SET tier = 'x' WHERE max_tokens / 0 > 1;\n");
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");
        String before = db.snapshot();

        var run = run();

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

        var run = run();

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Migration checksum mismatch for migration version 20251218.0421"), run::toString);
        assertTrue(run.err().contains("An applied migration was edited: revert the edit and put the change in a new migration."),
                run::toString);
    }

    @Test
    void a_migration_older_than_the_applied_ones_is_refused_with_advice_that_fits_this_tool() {
        TestDatabase.write(workspace.resolve("migrations/V20260101__late.sql"), "CREATE TABLE late (id int);\n");

        var run = run();

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("Detected resolved migration not applied to database: 20260101"), run::toString);
        assertTrue(run.err().contains("Migrations have failed validation. Detected"), run::toString);
        assertTrue(run.err().contains("give it a higher version"), run::toString);
        assertTrue(!run.err().contains("outOfOrder") && !run.err().contains("ignoreMigrationPatterns"), run::toString);
    }

    @Test
    void a_migration_file_with_a_name_flyway_cannot_read_is_refused() {
        TestDatabase.write(workspace.resolve("migrations/add_exchanges.sql"), "CREATE TABLE exchanges (mic text PRIMARY KEY);\n");

        var run = run();

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("add_exchanges.sql"), run::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'exchanges'"));
    }

    /** A shell script that would leave a marker file behind if anything ran it. */
    Path script(String relativePath) {
        Path marker = TestDatabase.scratch("marker").resolve("ran");
        Path file = workspace.resolve("migrations").resolve(relativePath);
        TestDatabase.write(file, "#!/bin/sh\ntouch '" + marker + "'\n");
        assertTrue(file.toFile().setExecutable(true));
        return marker;
    }

    @Test
    void no_command_runs_a_script_migration_or_callback_each_refuses_it_naming_the_file() {
        for (String scriptFile : List.of("V20260301__make_marker.sh", "beforeMigrate.sh", "V20260301__x.sql.sh",
                "later/V20260301__make_marker.ps1", "R__refresh.PY")) {
            Path marker = script(scriptFile);
            String before = db.snapshot();
            for (var command : List.of(List.<String>of(), List.of("plan"), List.of("check"), List.of("info"), List.of("migrate"),
                    List.of("verify"))) {
                var run = run(command.toArray(String[]::new));

                assertEquals(1, run.exitCode(), command + " " + scriptFile + ": " + run);
                assertTrue(run.err().contains("error: migrations/" + scriptFile + ": a script, which Flyway would run as a "
                        + "program (outside the run's transaction, even for plan and check); seed_database runs SQL migrations "
                        + "only"), command + ": " + run);
                assertTrue(!run.err().contains("\tat "), "no stack trace: " + run);
                assertTrue(!Files.exists(marker), command + " ran " + scriptFile);
                assertEquals(before, db.snapshot(), command + " wrote");
            }
            TestDatabase.deleteTree(workspace.resolve("migrations").resolve(scriptFile));
        }
    }

    @Test
    void a_file_named_like_a_migration_that_flyway_would_skip_is_refused_not_ignored() {
        for (String oddFile : List.of("V20260301__create_exchanges.SQL", "V20260301__create_exchanges.sql.bak",
                "more/afterMigrate.txt")) {
            TestDatabase.write(workspace.resolve("migrations").resolve(oddFile), "CREATE TABLE exchanges (mic text PRIMARY KEY);\n");
            String before = db.snapshot();

            var run = run("plan");

            assertEquals(1, run.exitCode(), run::toString);
            assertTrue(run.err().startsWith("error: migrations/" + oddFile + ": named like a migration or a callback, but not a "
                    + ".sql file: Flyway would skip it without a word. Name it ….sql (in lower case) if it is one"), run::toString);
            assertEquals(before, db.snapshot());
            TestDatabase.deleteTree(workspace.resolve("migrations").resolve(oddFile));
        }
    }

    @Test
    void a_migration_that_is_a_pipe_is_refused_not_read() throws Exception {
        Path pipe = workspace.resolve("migrations/V20260301__waits_forever.sql");
        assertEquals(0, new ProcessBuilder("mkfifo", pipe.toString()).start().waitFor());

        var run = run("plan");

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("error: migrations/V20260301__waits_forever.sql: not a regular file (a pipe, a device or a "
                + "socket): it cannot be a migration."), run::toString);
    }

    @Test
    void sql_migrations_in_subdirectories_run_and_other_files_are_left_alone() {
        TestDatabase.write(workspace.resolve("migrations/README.md"), "Migrations of the trading backend.\n");
        TestDatabase.write(workspace.resolve("migrations/2026/V20260301__create_exchanges.sql"),
                "CREATE TABLE exchanges (mic text PRIMARY KEY);\n");
        TestDatabase.write(workspace.resolve("migrations/.drafts/V20260302__not_yet.sql"), "CREATE TABLE not_yet (id int);\n");

        var run = run("migrate");

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("Migrations: 1 applied, now at version 20260301"), run::toString);
        assertEquals(1, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'exchanges'"));
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'not_yet'"),
                "a hidden directory is skipped, as Flyway skips it");
    }
}
