import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * A database that another tool made: the old backend's schema exactly (Alembic's history, an
 * llm_models table whose ids come from application code, prices as floats, four hard-coded
 * models). The tool refuses it until told where its schema stands, then adopts it.
 */
class AdoptionTest extends FreshProject {

    static final Path LEGACY = TestDatabase.PROJECT.resolve("tests/legacy/alembic_llm_models.sql");

    /** The ids the old migration gave its four models: an adoption keeps them. */
    static final Map<String, String> LEGACY_IDS = Map.of(
            "gpt-3.5-turbo", "5d0f4c2e-8a1b-4f3e-9c7d-2b6a1e0f9a11",
            "gpt-4", "7a3e9b10-2c4d-4e5f-8a6b-3c7d9e1f2a22",
            "gpt-4-turbo", "9c5a1d32-4e6f-4a7b-9c8d-5e9f1a3b4c33",
            "lmstudio-local", "b2d4f6a8-6c8e-4a0b-8d2f-7a1b3c5d6e44");

    void oldSchema() {
        db.execute(TestDatabase.read(LEGACY));
    }

    @Test
    void a_database_made_by_another_tool_is_refused_with_the_flag_that_adopts_it() {
        oldSchema();
        String before = db.snapshot();

        var refused = run(1);

        assertTrue(refused.err().startsWith("error: migrations: this database has tables (alembic_version, llm_models) but no "
                + "Flyway history (flyway_schema_history): another tool made its schema"), refused::toString);
        assertTrue(refused.err().contains("rerun with --baseline=VERSION, the version of the newest migration the schema "
                + "already matches"), refused::toString);
        assertTrue(refused.err().contains("one of 20251218.0421, 20260121, 20260205, 20260206, 20260207, 20260208"), refused::toString);
        assertTrue(!refused.err().contains("\tat "), "no stack trace:\n" + refused);
        assertEquals(before, db.snapshot());
    }

    @Test
    void baseline_adopts_the_old_schema_keeps_the_legacy_ids_and_leaves_one_default() {
        oldSchema();
        String before = db.snapshot();

        var plan = run(0, "plan", "--baseline=20251218.0421");
        assertTrue(plan.out().contains("Migrations: would baseline at version 20251218.0421: the database's schema is taken as "
                + "made by the migrations up to it"), plan::toString);
        assertTrue(plan.out().contains("Migrations: 5 pending"), plan::toString);
        assertEquals(before, db.snapshot(), "a plan adopts nothing");

        var adopted = run(0, "--baseline=20251218.0421");

        assertTrue(adopted.out().contains("Migrations: baselined at version 20251218.0421"), adopted::toString);
        assertTrue(adopted.out().contains("Migrations: 5 applied, now at version 20260208"), adopted::toString);
        assertTrue(adopted.out().contains("llm_models.yaml → llm_models: 4 inserted, 4 updated, 0 unchanged"), adopted::toString);
        assertTrue(adopted.out().matches("(?s).*~ gpt-3.5-turbo +description: [^\n]*\n +is_default: true → false\n.*"),
                adopted::toString);
        assertEquals(8, db.count("SELECT count(*) FROM llm_models"));
        LEGACY_IDS.forEach((model, id) -> assertEquals(id, db.text("SELECT id::text FROM llm_models WHERE model_id = ?", model),
                model + " was updated in place"));
        assertEquals(4, db.count("SELECT count(DISTINCT id) FROM llm_models WHERE model_id NOT IN ('gpt-3.5-turbo', 'gpt-4', "
                + "'gpt-4-turbo', 'lmstudio-local')"), "the new models got ids of their own");
        assertEquals(List.of(Map.of("model_id", "gpt-4-turbo")), db.query("SELECT model_id FROM llm_models WHERE is_default"));
        assertEquals("0.08", db.text("SELECT typical_agent_cost::text FROM llm_models WHERE model_id = 'gpt-4-turbo'"));
        assertEquals("BASELINE adopted by seed_database (--baseline)", db.text("SELECT type || ' ' || description FROM flyway_schema_history WHERE version = '20251218.0421'"));
        assertEquals(4, db.count("SELECT count(*) FROM pipeline_templates"), "the later migrations ran and their seeds too");

        var rerun = run(0);
        assertTrue(rerun.out().contains("llm_models: 0 inserted, 0 updated, 8 unchanged"), "floats compare as floats:\n" + rerun);
        var again = run(0, "--baseline");
        assertTrue(again.out().contains("warning: --baseline is ignored: this database already has a Flyway history"), again::toString);
    }

    @Test
    void baseline_alone_takes_the_newest_migration() {
        for (String later : List.of("V20260205__create_pipeline_templates.sql", "V20260206__create_scanners.sql",
                "V20260207__create_strategies.sql", "V20260208__create_tutorial_steps.sql")) {
            TestDatabase.deleteTree(workspace.resolve("migrations").resolve(later));
        }
        for (String seed : List.of("pipeline_templates.yaml", "scanners.yaml", "strategies.yaml", "tutorial_data.yaml")) {
            TestDatabase.deleteTree(workspace.resolve("seeds").resolve(seed));
        }
        oldSchema();

        var adopted = run(0, "--baseline");

        assertTrue(adopted.out().contains("Migrations: baselined at version 20260121"), adopted::toString);
        assertTrue(adopted.out().contains("Migrations: up to date at version 20260121"), adopted::toString);
        assertEquals(8, db.count("SELECT count(*) FROM llm_models"));
    }

    @Test
    void a_baseline_beyond_the_tables_the_database_has_is_refused_naming_them_and_the_right_one_still_works() {
        oldSchema();
        String before = db.snapshot();

        for (var command : List.of(List.of("--baseline"), List.of("plan", "--baseline=20260206"), List.of("migrate", "--baseline=20260205"))) {
            var refused = run(1, command.toArray(String[]::new));

            assertTrue(refused.err().startsWith("error: migrations: " + command.get(command.size() - 1) + " would record the "
                    + "migrations up to "), refused::toString);
            assertTrue(refused.err().contains("as applied without running them, but this database lacks tables they create: "
                    + "pipeline_templates (migrations/V20260205__create_pipeline_templates.sql)"), refused::toString);
            assertTrue(refused.err().contains("Baseline at the newest migration whose tables it has, --baseline=20260121: the "
                    + "later migrations then run and create them. Nothing was written."), refused::toString);
            assertEquals(before, db.snapshot(), "a refused baseline adopts nothing");
        }
        var newest = run(1, "--baseline");
        assertTrue(newest.err().contains("lacks tables they create: pipeline_templates (migrations/"
                + "V20260205__create_pipeline_templates.sql), scanners (migrations/V20260206__create_scanners.sql), strategies "
                + "(migrations/V20260207__create_strategies.sql), tutorial_steps (migrations/V20260208__create_tutorial_steps.sql)."),
                newest::toString);

        var adopted = run(0, "--baseline=20260121");
        assertTrue(adopted.out().contains("Migrations: 4 applied, now at version 20260208"), adopted::toString);
        assertEquals(4, db.count("SELECT count(*) FROM pipeline_templates"));
    }

    @Test
    void the_tables_a_baseline_needs_are_read_from_the_sql_whatever_its_spelling() {
        Path migrations = TestDatabase.scratch("odd-migrations");
        TestDatabase.write(migrations.resolve("V1__odd_spellings.sql"), """
                -- CREATE TABLE in_a_comment (id int);
                /* CREATE TABLE in_a_block_comment (id int); /* nested */ CREATE TABLE still_comment (id int); */
                CREATE TABLE IF NOT EXISTS "Audit Log" (id int);
                create unlogged table Public.Tmp_Staging (id int);
                CREATE TEMP TABLE scratch (id int);
                CREATE TABLE gone (id int);
                DROP TABLE IF EXISTS gone, "Other";
                CREATE TABLE old_name (id int);
                ALTER TABLE old_name RENAME TO new_name;
                DO $$ BEGIN EXECUTE 'CREATE TABLE made_in_a_do_block (id int)'; END $$;
                COMMENT ON TABLE "Audit Log" IS 'CREATE TABLE in_a_string (id int); it says';
                """);
        TestDatabase.write(migrations.resolve("V2__later.sql"), "CREATE TABLE later (id int);\n");
        db.execute("CREATE TABLE tmp_staging (id int); CREATE TABLE new_name (id int)");
        String before = db.snapshot();

        var refused = run(1, "migrate", "--migrations", migrations.toString(), "--baseline=1");

        assertTrue(refused.err().contains("lacks tables they create: Audit Log (" + SeedFile.displayPath(
                migrations.resolve("V1__odd_spellings.sql"), workspace) + ")."), refused::toString);
        assertTrue(refused.err().contains("Not even the first migration's tables are there: is it the database you meant?"),
                refused::toString);
        assertEquals(before, db.snapshot());

        db.execute("CREATE TABLE \"Audit Log\" (id int)");
        var adopted = run(0, "migrate", "--migrations", migrations.toString(), "--baseline=1");
        assertTrue(adopted.out().contains("Migrations: 1 applied, now at version 2"), adopted::toString);
    }

    @Test
    void a_baseline_that_is_not_a_migration_is_a_usage_error_listing_the_versions() {
        oldSchema();

        var run = run(2, "--baseline=20260120");

        assertTrue(run.err().contains("--baseline=20260120 is not the version of a migration; the migrations are 20251218.0421, "
                + "20260121, 20260205, 20260206, 20260207, 20260208"), run::toString);
        run(0, "--baseline=V20260121");
    }

    @Test
    void a_migration_that_creates_a_table_the_database_has_says_to_baseline_later() {
        TestDatabase.write(workspace.resolve("migrations/V20260301__create_exchanges.sql"), "CREATE TABLE exchanges (mic text PRIMARY KEY);\n");
        oldSchema();
        db.execute("CREATE TABLE exchanges (mic text PRIMARY KEY)");
        String before = db.snapshot();

        var run = run(1, "--baseline=20260121");

        assertTrue(run.err().contains("migrations/V20260301__create_exchanges.sql:1: migration failed: PostgreSQL: relation "
                + "\"exchanges\" already exists"), run::toString);
        assertTrue(run.err().contains("baseline at this migration or a later one (--baseline=20260301 on a database without a "
                + "Flyway history), or write the migration to allow it (CREATE TABLE IF NOT EXISTS)"), run::toString);
        assertEquals(before, db.snapshot());
    }

    @Test
    void baseline_on_an_empty_database_is_ignored_and_every_migration_runs() {
        var run = run(0, "--baseline=20260121");

        assertTrue(run.out().contains("warning: --baseline is ignored: the database is empty, so every migration runs"), run::toString);
        assertTrue(run.out().contains("Migrations: 6 applied"), run::toString);
    }
}
