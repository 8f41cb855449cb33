import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The workflows of the README, each on a fresh database: what the user sees, and what the tables hold. */
class SeedWorkflowTest extends FreshProject {

    @Test
    void fresh_database_gets_the_migrations_and_the_eight_models() {
        var run = runOk();

        assertTrue(run.out().contains("Migrations: 6 applied, now at version 20260208"), run::toString);
        assertTrue(run.out().contains("llm_models.yaml → llm_models: 8 inserted, 0 updated, 0 unchanged"), run::toString);
        var costs = db.query("SELECT model_id, typical_agent_cost::text AS cost FROM llm_models ORDER BY typical_agent_cost, model_id");
        assertEquals(List.of(
                Map.of("model_id", "lmstudio-local", "cost", "0.0000"),
                Map.of("model_id", "gpt-4o-mini", "cost", "0.0050"),
                Map.of("model_id", "gpt-3.5-turbo", "cost", "0.0100"),
                Map.of("model_id", "o1-mini", "cost", "0.0400"),
                Map.of("model_id", "gpt-4o", "cost", "0.0500"),
                Map.of("model_id", "gpt-4-turbo", "cost", "0.0800"),
                Map.of("model_id", "gpt-4", "cost", "0.1500"),
                Map.of("model_id", "o1-preview", "cost", "0.2000")), costs);
        assertEquals("gpt-4-turbo", db.text("SELECT model_id FROM llm_models WHERE is_default"));
        assertEquals("development", db.text("SELECT environment FROM llm_models WHERE model_id = 'lmstudio-local'"));
        assertEquals("[\"chart analysis\", \"multimodal\"]",
                db.text("SELECT model_metadata->>'recommended_for' FROM llm_models WHERE model_id = 'gpt-4o'"));
        assertEquals("very fast", db.text("SELECT model_metadata->>'speed' FROM llm_models WHERE model_id = 'gpt-4o'"));
        assertEquals(0, db.count("SELECT count(*) FROM flyway_schema_history WHERE NOT success"));
    }

    @Test
    void rerun_reports_no_change_and_rewrites_no_row() {
        runOk();
        var before = db.rowVersions("llm_models", "model_id");
        String snapshot = db.snapshot("seed_history", "seed_history_proofs");

        var rerun = runOk();

        assertTrue(rerun.out().contains("Migrations: up to date at version 20260208"), rerun::toString);
        assertTrue(rerun.out().contains("llm_models: 0 inserted, 0 updated, 8 unchanged"), rerun::toString);
        assertEquals(before, db.rowVersions("llm_models", "model_id"));
        // (A file compared takes its proof anew: the rows of seed_history_proofs are the run's record, as its history is.)
        assertEquals(snapshot, db.snapshot("seed_history", "seed_history_proofs"), "nothing but the run's history and proofs were written");
    }

    @Test
    void price_edit_rewrites_exactly_that_row_and_reports_old_and_new() {
        runOk();
        var before = db.rowVersions("llm_models", "model_id");
        String updatedAtBefore = db.text("SELECT updated_at::text FROM llm_models WHERE model_id = 'gpt-4'");
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");

        var run = runOk();

        assertTrue(run.out().contains("llm_models: 0 inserted, 1 updated, 7 unchanged"), run::toString);
        assertTrue(run.out().contains("~ gpt-4o  typical_agent_cost: 0.0500 → 0.0450"), run::toString);
        assertEquals("0.0450", db.text("SELECT typical_agent_cost::text FROM llm_models WHERE model_id = 'gpt-4o'"));
        var after = db.rowVersions("llm_models", "model_id");
        for (var model : before.keySet()) {
            if (model.equals("gpt-4o")) {
                assertNotEquals(before.get(model), after.get(model), "gpt-4o was rewritten");
            } else {
                assertEquals(before.get(model), after.get(model), model + " was not touched");
            }
        }
        assertEquals(updatedAtBefore, db.text("SELECT updated_at::text FROM llm_models WHERE model_id = 'gpt-4'"));
    }

    @Test
    void a_long_value_that_changes_near_its_end_shows_where_it_changes() {
        runOk();
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "for the hardest analysis. No function calling.",
                "for the hardest analysis. No function calling, no vision.");

        var run = runOk();

        assertTrue(run.out().contains("~ o1-preview  description: … No function calling. → … No function calling, no vision."),
                run::toString);
    }

    @Test
    void the_same_number_written_differently_is_no_change() {
        runOk();
        var before = db.rowVersions("llm_models", "model_id");
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.010", "typical_agent_cost: 0.01");
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "max_tokens: 16385", "max_tokens: 16_385");

        var run = runOk();

        assertTrue(run.out().contains("0 inserted, 0 updated, 8 unchanged"), run::toString);
        assertEquals(before, db.rowVersions("llm_models", "model_id"));
    }

    @Test
    void after_the_database_is_lost_a_rerun_restores_everything() {
        runOk();
        String models = "SELECT (to_jsonb(m) - 'id' - 'created_at' - 'updated_at')::text AS model FROM llm_models m ORDER BY model_id";
        String migrations = "SELECT version || ' ' || success AS migration FROM flyway_schema_history ORDER BY installed_rank";
        var modelsBefore = db.query(models);
        var migrationsBefore = db.query(migrations);

        db.recreate();
        var run = runOk();

        assertTrue(run.out().contains("Migrations: 6 applied"), run::toString);
        assertTrue(run.out().contains("8 inserted"), run::toString);
        assertEquals(8, modelsBefore.size());
        assertEquals(modelsBefore, db.query(models));
        assertEquals(migrationsBefore, db.query(migrations));
    }

    @Test
    void a_new_seed_file_is_picked_up_without_any_code_change() {
        runOk();
        TestDatabase.write(workspace.resolve("migrations/V20260301__create_exchanges.sql"), """
                CREATE TABLE exchanges (
                    mic       text PRIMARY KEY,
                    name      text NOT NULL,
                    country   text NOT NULL,
                    timezone  text NOT NULL
                );
                """);
        TestDatabase.write(workspace.resolve("seeds/exchanges.yaml"), """
                table: exchanges
                key: mic
                rows:
                  - {mic: XNYS, name: New York Stock Exchange, country: US, timezone: America/New_York}
                  - {mic: XNAS, name: Nasdaq, country: US, timezone: America/New_York}
                  - {mic: XOSL, name: Oslo Børs, country: NO, timezone: Europe/Oslo}
                """);

        var run = runOk();

        assertTrue(run.out().contains("V20260301  create exchanges"), run::toString);
        assertTrue(run.out().contains("exchanges.yaml → exchanges: 3 inserted, 0 updated, 0 unchanged"), run::toString);
        assertTrue(run.out().contains("llm_models.yaml → llm_models: 0 inserted, 0 updated, 8 unchanged"), run::toString);
        assertEquals("NO", db.text("SELECT country FROM exchanges WHERE mic = 'XOSL'"), "NO stays text, not false");
        assertEquals("Oslo Børs", db.text("SELECT name FROM exchanges WHERE mic = 'XOSL'"));
    }

    @Test
    void moving_the_default_model_is_an_edit_and_a_rerun() {
        runOk();
        Path seeds = workspace.resolve("seeds/llm_models.yaml");
        TestDatabase.edit(seeds, "    typical_agent_cost: 0.080\n    is_default: true\n", "    typical_agent_cost: 0.080\n");
        TestDatabase.edit(seeds, "    typical_agent_cost: 0.050\n", "    typical_agent_cost: 0.050\n    is_default: true\n");

        var run = runOk();

        assertTrue(run.out().contains("0 inserted, 2 updated, 6 unchanged"), run::toString);
        assertTrue(run.out().contains("~ gpt-4o       is_default: false → true"), run::toString);
        assertTrue(run.out().contains("~ gpt-4-turbo  is_default: true → false"), run::toString);
        assertEquals("gpt-4o", db.text("SELECT model_id FROM llm_models WHERE is_default"));
    }

    @Test
    void two_default_models_are_refused_and_nothing_is_written() {
        runOk();
        String snapshot = db.snapshot();
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "    typical_agent_cost: 0.050\n",
                "    typical_agent_cost: 0.050\n    is_default: true\n");

        var run = run();

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("seeds/llm_models.yaml:64:5: rows gpt-4-turbo (line 50) and gpt-4o (line 64) give "
                + "is_default the same value, which llm_models_one_default allows once: conflicting key value violates exclusion "
                + "constraint \"llm_models_one_default\""), "both rows, each with its line: " + run);
        assertTrue(run.err().contains("give is_default: true to exactly one row"), run::toString);
        assertTrue(run.err().contains("Nothing was written."), run::toString);
        assertEquals(snapshot, db.snapshot());
    }

    @Test
    void a_column_a_row_leaves_out_keeps_its_value() {
        runOk();
        db.execute("UPDATE llm_models SET description = 'edited by hand' WHERE model_id = 'gpt-4'");
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"),
                "    description: The original GPT-4; careful on complex strategy work, but slow and the most expensive per token.\n", "");

        var run = runOk();

        assertTrue(run.out().contains("0 inserted, 0 updated, 8 unchanged"), run::toString);
        assertEquals("edited by hand", db.text("SELECT description FROM llm_models WHERE model_id = 'gpt-4'"));
    }

    @Test
    void a_row_that_gives_a_few_columns_updates_only_those_and_keeps_not_null_ones() {
        runOk();
        Path partial = workspace.resolve("partial");
        TestDatabase.write(partial.resolve("prices.yaml"), """
                table: llm_models
                key: model_id
                rows:
                  - model_id: gpt-4
                    typical_agent_cost: 0.120
                """);

        var run = runOk("seed", "--seeds", "partial");

        assertTrue(run.out().contains("prices.yaml → llm_models: 0 inserted, 1 updated, 0 unchanged"), run::toString);
        assertTrue(run.out().contains("(7 rows of llm_models that no seed file lists, left as they are: "), run::toString);
        assertEquals("0.1200|GPT-4|openai", db.text(
                "SELECT typical_agent_cost || '|' || display_name || '|' || provider FROM llm_models WHERE model_id = 'gpt-4'"));
        assertEquals(8, db.count("SELECT count(*) FROM llm_models"));
    }

    @Test
    void a_file_without_rows_changes_nothing_and_says_what_the_table_holds() {
        runOk();
        TestDatabase.write(workspace.resolve("empty/llm_models.yaml"), "table: llm_models\nkey: model_id\nrows: []\n");

        var run = runOk("seed", "--seeds", "empty");

        assertTrue(run.out().contains("llm_models.yaml → llm_models: 0 inserted, 0 updated, 0 unchanged"), run::toString);
        assertTrue(run.out().contains("(8 rows of llm_models that no seed file lists, left as they are: gpt-3.5-turbo, gpt-4, "), run::toString);
        assertEquals(8, db.count("SELECT count(*) FROM llm_models"));
    }

    @Test
    void migrate_and_seed_do_one_half_each() {
        var migrate = runOk("migrate");
        assertTrue(migrate.out().contains("Migrations: 6 applied"), migrate::toString);
        assertTrue(!migrate.out().contains("Seeds"), migrate::toString);
        assertEquals(0, db.count("SELECT count(*) FROM llm_models"));

        var seed = runOk("seed");
        assertTrue(!seed.out().contains("Migrations"), seed::toString);
        assertTrue(seed.out().contains("8 inserted"), seed::toString);
        assertEquals(8, db.count("SELECT count(*) FROM llm_models"));
    }

    @Test
    void seed_on_a_database_whose_migrations_are_pending_says_so() {
        var run = run("seed");

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("the database has no table \"llm_models\""), run::toString);
        assertTrue(run.err().contains("6 migrations are pending: seed does not migrate; run migrate first, or run without a command"),
                run::toString);
    }

    @Test
    void a_seed_error_rolls_back_the_migrations_of_the_same_run() {
        TestDatabase.write(workspace.resolve("seeds/llm_models.yaml"),
                TestDatabase.read(workspace.resolve("seeds/llm_models.yaml")).replace("max_tokens: 8192", "max_tokens: lots"));

        var run = run();

        assertEquals(1, run.exitCode(), run::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "no table was left behind");
    }
}
