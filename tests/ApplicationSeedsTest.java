import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The application's seed files as shipped: models, pipeline templates, scanners, strategies and
 * tutorial data, which refer to each other by natural key, belong to environments and retire rows.
 */
class ApplicationSeedsTest extends FreshProject {

    static final List<String> TABLES = List.of("llm_models", "pipeline_templates", "scanners", "strategies", "tutorial_steps");

    String versions() {
        var text = new StringBuilder();
        for (String table : TABLES) {
            text.append(table).append(db.query("SELECT xmin::text AS x FROM " + table + " ORDER BY id")).append('\n');
        }
        return text.toString();
    }

    @Test
    void all_shipped_seed_files_apply_in_dependency_order_and_a_second_run_changes_nothing() {
        var first = runOk();

        String out = first.out();
        int models = out.indexOf("llm_models.yaml → llm_models: 8 inserted"),
                templates = out.indexOf("pipeline_templates.yaml → pipeline_templates: 4 inserted"),
                scanners = out.indexOf("scanners.yaml → scanners: 4 inserted"),
                strategies = out.indexOf("strategies.yaml → strategies: 2 inserted"),
                tutorial = out.indexOf("tutorial_data.yaml → tutorial_steps: 4 inserted");
        assertTrue(models > 0 && models < templates && templates < scanners && scanners < strategies && strategies < tutorial, first::toString);
        assertEquals(List.of(
                Map.of("name", "chart-review", "model_id", "gpt-4o"),
                Map.of("name", "deep-research", "model_id", "o1-preview"),
                Map.of("name", "market-scan", "model_id", "gpt-4o-mini"),
                Map.of("name", "risk-review", "model_id", "gpt-3.5-turbo")),
                db.query("SELECT p.name, m.model_id FROM pipeline_templates p JOIN llm_models m ON m.id = p.llm_model_id ORDER BY 1"));
        assertEquals("momentum", db.text("SELECT p.code FROM scanners c JOIN scanners p ON p.id = c.parent_id WHERE c.code = 'momentum-large-cap'"));
        assertEquals("momentum-large-cap|market-scan", db.text("SELECT c.code || '|' || t.name FROM strategies s "
                + "JOIN scanners c ON c.id = s.scanner_id JOIN pipeline_templates t ON t.id = s.pipeline_template_id WHERE s.code = 'momentum-swing'"));
        assertEquals(2, db.count("SELECT count(*) FROM tutorial_steps t JOIN strategies s ON s.id = t.strategy_id WHERE s.code = 'momentum-swing'"));
        String before = versions();

        var second = runOk();

        for (String file : List.of("llm_models.yaml → llm_models: 0 inserted, 0 updated, 8 unchanged",
                "pipeline_templates.yaml → pipeline_templates: 0 inserted, 0 updated, 4 unchanged",
                "scanners.yaml → scanners: 0 inserted, 0 updated, 4 unchanged",
                "strategies.yaml → strategies: 0 inserted, 0 updated, 2 unchanged",
                "tutorial_data.yaml → tutorial_steps: 0 inserted, 0 updated, 4 unchanged")) {
            assertTrue(second.out().contains(file), second::toString);
        }
        assertTrue(second.out().contains("nothing to change"), second::toString);
        assertEquals(before, versions(), "no row of any table was rewritten");
    }

    @Test
    void the_order_comes_from_the_foreign_keys_not_from_the_file_names() throws Exception {
        Path seeds = workspace.resolve("seeds");
        Files.move(seeds.resolve("tutorial_data.yaml"), seeds.resolve("a_tutorial_data.yaml"));
        Files.move(seeds.resolve("strategies.yaml"), seeds.resolve("b_strategies.yaml"));
        Files.move(seeds.resolve("llm_models.yaml"), seeds.resolve("z_llm_models.yaml"));

        var run = runOk();

        String out = run.out();
        assertTrue(out.indexOf("z_llm_models.yaml") < out.indexOf("pipeline_templates.yaml")
                && out.indexOf("scanners.yaml") < out.indexOf("b_strategies.yaml")
                && out.indexOf("b_strategies.yaml") < out.indexOf("a_tutorial_data.yaml"), run::toString);
        assertEquals(4, db.count("SELECT count(*) FROM tutorial_steps"));
    }

    @Test
    void a_reference_to_a_row_that_is_not_there_names_the_file_the_row_and_the_value() {
        runOk();
        String before = db.snapshot();
        TestDatabase.edit(workspace.resolve("seeds/strategies.yaml"), "scanner_id: {code: momentum-large-cap}",
                "scanner_id: {code: momentum-largecap}");
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");

        var run = run(1, Map.of());

        assertTrue(run.err().startsWith("error: seeds/strategies.yaml:15:17: row momentum-swing: scanner_id refers to the scanners "
                + "row with code momentum-largecap, and there is none; did you mean \"momentum-large-cap\"?"), run::toString);
        assertTrue(run.err().contains("A referenced row must be in the table, or in a seed file applied before this one"), run::toString);
        assertEquals(before, db.snapshot(), "nothing was written, not even the price edit of another file");
    }

    @Test
    void a_production_run_skips_development_data_and_records_its_environment() {
        var run = runOk("--env", "production");

        assertTrue(run.out().contains("  environment  production"), run::toString);
        assertTrue(run.out().contains("llm_models.yaml → llm_models: 7 inserted, 0 updated, 0 unchanged (1 row for other environments)"), run::toString);
        assertTrue(run.out().contains("tutorial_data.yaml → skipped: it is for development, and this run is for production"), run::toString);
        assertEquals(0, db.count("SELECT count(*) FROM llm_models WHERE model_id = 'lmstudio-local'"));
        assertEquals(0, db.count("SELECT count(*) FROM tutorial_steps"));
        assertEquals("production", db.text("SELECT DISTINCT environment FROM seed_history"));
        var viaVariable = run(0, Map.of("SEED_ENV", "production"), "check");
        assertTrue(viaVariable.out().contains("  environment  production"), "SEED_ENV selects it too:\n" + viaVariable);
    }

    @Test
    void a_value_from_the_environment_is_used_and_never_shown() throws Exception {
        runOk();
        assertEquals("http://localhost:1234/v1", db.text("SELECT model_metadata->>'base_url' FROM llm_models WHERE model_id = 'lmstudio-local'"),
                "${LMSTUDIO_BASE_URL:-...} takes its default when the variable is not set");

        var secret = Map.of("LMSTUDIO_BASE_URL", "http://lm-studio.internal:5555/v1");
        var plan = run(0, secret, "plan");
        var json = run(0, secret, "plan", "--json");
        var applied = run(0, secret);
        var history = run(0, secret, "history", "--key", "lmstudio-local", "--json");

        assertEquals("http://lm-studio.internal:5555/v1",
                db.text("SELECT model_metadata->>'base_url' FROM llm_models WHERE model_id = 'lmstudio-local'"));
        assertTrue(plan.out().contains("~ lmstudio-local  model_metadata: *** → {"), plan::toString);
        assertTrue(json.out().contains("${LMSTUDIO_BASE_URL:-http://localhost:1234/v1}"), json::toString);
        for (var run : List.of(plan, json, applied, history)) {
            assertFalse(run.output().contains("lm-studio.internal"), run::toString);
        }
        assertEquals(0, db.count("SELECT count(*) FROM seed_history WHERE changes::text LIKE '%lm-studio.internal%'"),
                "not in the history either");
    }

    @Test
    void a_model_taken_out_of_the_file_is_deactivated_and_comes_back_when_put_back() {
        runOk();
        Path models = workspace.resolve("seeds/llm_models.yaml");
        String original = TestDatabase.read(models);
        String gpt4 = original.substring(original.indexOf("  - model_id: gpt-4\n"), original.indexOf("  - model_id: gpt-4-turbo\n"));
        TestDatabase.write(models, original.replace(gpt4, ""));

        var retired = runOk();

        assertTrue(retired.out().contains("llm_models.yaml → llm_models: 0 inserted, 0 updated, 7 unchanged, 1 deactivated"), retired::toString);
        assertTrue(retired.out().contains("    - gpt-4  is_active: true → false"), retired::toString);
        assertEquals("false", db.text("SELECT is_active::text FROM llm_models WHERE model_id = 'gpt-4'"));
        assertTrue(runOk().out().contains("0 inserted, 0 updated, 7 unchanged\n"), "deactivated once, not on every run");

        TestDatabase.write(models, original);
        var back = runOk();

        assertTrue(back.out().contains("~ gpt-4  is_active: false → true"), back::toString);
        assertEquals("true", db.text("SELECT is_active::text FROM llm_models WHERE model_id = 'gpt-4'"));
    }

    @Test
    void renaming_a_file_and_taking_a_row_out_of_it_at_once_still_retires_the_row() throws Exception {
        runOk();
        Path models = workspace.resolve("seeds/llm_models.yaml");
        String text = TestDatabase.read(models);
        String gpt4 = text.substring(text.indexOf("  - model_id: gpt-4\n"), text.indexOf("  - model_id: gpt-4-turbo\n"));
        TestDatabase.write(workspace.resolve("seeds/models.yaml"), text.replace(gpt4, ""));
        Files.delete(models);

        var run = runOk();

        assertTrue(run.out().contains("models.yaml → llm_models: 0 inserted, 0 updated, 7 unchanged, 1 deactivated"), run::toString);
        assertEquals("false", db.text("SELECT is_active::text FROM llm_models WHERE model_id = 'gpt-4'"));
    }

    @Test
    void rows_the_application_added_are_never_removed_by_a_file_that_does_not_own_them() {
        runOk();
        db.execute("INSERT INTO scanners (code, name, universe, timeframe, criteria) "
                + "VALUES ('my-own-scanner', 'Added by a user', 'us-equities', '1d', '{}')");
        var run = runOk();
        assertTrue(run.out().contains("(1 row of scanners that no seed file lists, left as it is: my-own-scanner)"), run::toString);
        assertEquals("true", db.text("SELECT is_active::text FROM scanners WHERE code = 'my-own-scanner'"));

        TestDatabase.edit(workspace.resolve("seeds/scanners.yaml"), "removal: deactivate\n", "removal: deactivate\nowns: table\n");
        var owned = runOk();
        assertTrue(owned.out().contains("    - my-own-scanner  is_active: true → false"), owned::toString);
        assertEquals("false", db.text("SELECT is_active::text FROM scanners WHERE code = 'my-own-scanner'"));
    }

    /**
     * Every row a removing file lists is its own after each run, even when nothing in the file
     * changed (a rerun records nothing when the file still lists what it listed and owns as many
     * rows as it did; a first load keeps its keys pending, written row by row when a run lists
     * others): a row the application added, once the file lists it, is the file's to remove, and
     * an ownership row deleted by hand is recorded again.
     */
    @Test
    void a_listed_row_is_owned_after_every_run_whatever_happened_to_the_ownership_table() {
        runOk();
        db.execute("INSERT INTO scanners (code, name, universe, timeframe, criteria) "
                + "VALUES ('my-own-scanner', 'Added by a user', 'us-equities', '1d', '{}')");
        Path scanners = workspace.resolve("seeds/scanners.yaml");
        String text = TestDatabase.read(scanners);
        TestDatabase.write(scanners, text + "\n  - {code: my-own-scanner, name: Added by a user, universe: us-equities, "
                + "timeframe: 1d, criteria: {}}\n");
        assertTrue(runOk().out().contains("scanners.yaml → scanners: 0 inserted, 0 updated, 5 unchanged"));
        assertEquals(5, db.count("SELECT count(*) FROM seed_history_rows WHERE file = 'scanners.yaml'"));

        db.execute("DELETE FROM seed_history_rows WHERE row_key = 'momentum'");
        assertTrue(runOk().out().contains("scanners.yaml → scanners: 0 inserted, 0 updated, 5 unchanged"));
        assertEquals(1, db.count("SELECT count(*) FROM seed_history_rows WHERE row_key = 'momentum' AND file = 'scanners.yaml'"));

        TestDatabase.write(scanners, text);
        var retired = runOk();
        assertTrue(retired.out().contains("    - my-own-scanner  is_active: true → false"), retired::toString);
    }

    @Test
    void a_delete_that_would_cascade_is_refused_with_the_rows_that_still_refer() {
        runOk();
        Path templates = workspace.resolve("seeds/pipeline_templates.yaml");
        String text = TestDatabase.read(templates).replace("removal: deactivate", "removal: delete");
        String marketScan = text.substring(text.indexOf("  - name: market-scan\n"), text.indexOf("  - name: chart-review\n"));
        TestDatabase.write(templates, text.replace(marketScan, ""));
        String before = db.snapshot();

        var refused = run(1, Map.of());

        assertTrue(refused.err().startsWith("error: seeds/pipeline_templates.yaml:9:10: removal: delete would delete rows of "
                + "pipeline_templates that rows of strategies still refer to (through strategies_pipeline_template_id_fkey): "
                + "momentum-swing"), refused::toString);
        assertTrue(refused.err().contains("use removal: deactivate, or stop referring to them first"), refused::toString);
        assertEquals(before, db.snapshot());

        var plan = run(1, Map.of(), "plan");
        assertTrue(plan.err().contains("momentum-swing"), "the plan says so too:\n" + plan);
    }

    @Test
    void tutorial_steps_taken_out_of_their_file_are_deleted() {
        runOk();
        Path tutorial = workspace.resolve("seeds/tutorial_data.yaml");
        String text = TestDatabase.read(tutorial);
        TestDatabase.write(tutorial, text.substring(0, text.indexOf("  - slug: paper-trade\n")));

        var plan = runOk("plan");
        assertTrue(plan.out().contains("tutorial_data.yaml → tutorial_steps: 0 to insert, 0 to update, 3 unchanged, 1 to delete"), plan::toString);
        assertTrue(plan.out().contains("    - paper-trade  (deleted)"), plan::toString);
        assertEquals(4, db.count("SELECT count(*) FROM tutorial_steps"), "the plan deleted nothing");

        var run = runOk();
        assertTrue(run.out().contains("0 inserted, 0 updated, 3 unchanged, 1 deleted"), run::toString);
        assertEquals(0, db.count("SELECT count(*) FROM tutorial_steps WHERE slug = 'paper-trade'"));
        assertEquals(0, db.count("SELECT count(*) FROM seed_history_rows WHERE row_key = 'paper-trade'"), "no longer owned");
    }
}
