import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;

/** plan and check: the run itself, rolled back; what they show is what a run then does. */
class PlanTest extends FreshProject {

    JsonNode json(int expectedExit, String... args) throws Exception {
        return run(expectedExit, args).json();
    }

    @Test
    void plan_on_a_fresh_database_shows_everything_and_writes_nothing() {
        var plan = run(0, "plan");

        assertTrue(plan.out().contains("seed_database " + seed_database.VERSION + " · plan: nothing is written"), plan::toString);
        assertTrue(plan.out().contains("Migrations: 6 pending; the seeds are planned against the schema at version 20260208"), plan::toString);
        assertTrue(plan.out().contains("  V20251218.0421  create llm models table"), plan::toString);
        assertTrue(plan.out().contains("llm_models.yaml → llm_models: 8 to insert, 0 to update, 0 unchanged"), plan::toString);
        assertTrue(plan.out().contains("    + gpt-4o\n"), plan::toString);
        assertTrue(plan.out().contains("6 migrations and 22 rows would be written. Nothing was written."), plan::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "not even Flyway's table");
    }

    @Test
    void plan_after_a_price_edit_shows_exactly_that_row_and_column() {
        run(0);
        String before = db.snapshot();
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");

        var plan = run(0, "plan");

        assertTrue(plan.out().contains("Migrations: up to date at version 20260208"), plan::toString);
        assertTrue(plan.out().contains("""
                  llm_models.yaml → llm_models: 0 to insert, 1 to update, 7 unchanged
                    ~ gpt-4o  typical_agent_cost: 0.0500 → 0.0450
                  pipeline_templates.yaml → pipeline_templates: 0 to insert, 0 to update, 4 unchanged
                """), plan::toString);
        assertTrue(plan.out().contains("Planned in") && plan.out().contains(": 1 row would be written."), plan::toString);
        assertEquals(before, db.snapshot(), "a plan writes nothing, not even history");
    }

    @Test
    void what_plan_shows_is_what_the_run_then_does() throws Exception {
        run(0);
        Path seeds = workspace.resolve("seeds/llm_models.yaml");
        TestDatabase.edit(seeds, "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");
        TestDatabase.edit(seeds, "    typical_agent_cost: 0.080\n    is_default: true\n", "    typical_agent_cost: 0.080\n");
        TestDatabase.edit(seeds, "    typical_agent_cost: 0.005\n", "    typical_agent_cost: 0.005\n    is_default: true\n");
        TestDatabase.write(seeds, TestDatabase.read(seeds) + """
                  - model_id: gpt-4.1
                    display_name: GPT-4.1
                    max_tokens: 1047576
                    cost_per_1k_input_tokens: 0.002
                    cost_per_1k_output_tokens: 0.008
                    typical_agent_cost: 0.040
                """);
        TestDatabase.write(workspace.resolve("migrations/V20260301__model_tier.sql"),
                "ALTER TABLE llm_models ADD COLUMN tier text;\n");
        TestDatabase.edit(seeds, "  - model_id: o1-preview\n", "  - model_id: o1-preview\n    tier: premium\n");

        var plan = json(0, "plan", "--json");
        var done = json(0, "--json");

        assertEquals(true, plan.get("dry_run").asBoolean());
        assertEquals(false, done.get("dry_run").asBoolean());
        assertEquals(plan.get("migrations").get("applied"), done.get("migrations").get("applied"));
        assertEquals("20260301", plan.at("/migrations/applied/0/version").asText());
        var planned = withoutTimings(plan.get("seeds"));
        assertEquals(planned, withoutTimings(done.get("seeds")));
        assertEquals(1, planned.at("/0/inserted").asInt());
        assertEquals(4, planned.at("/0/updated").asInt(), "gpt-4o's price, the default moving, o1-preview's tier");
        assertEquals(planned.at("/0/changes"), withoutTimings(json(0, "history", "--json").at("/runs/0/files")).at("/0/changes"),
                "and the history records the same changes");
        assertTrue(json(0, "plan", "--json").get("in_sync").asBoolean(), "after the run, the plan is empty");
    }

    @Test
    void seed_dry_run_plans_the_seeds_alone() {
        run(0);
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");
        String before = db.snapshot();

        var dryRun = run(0, "seed", "--dry-run");

        assertTrue(!dryRun.out().contains("Migrations"), dryRun::toString);
        assertTrue(dryRun.out().contains("~ gpt-4o  typical_agent_cost: 0.0500 → 0.0450"), dryRun::toString);
        assertTrue(dryRun.out().contains("1 row would be written. Nothing was written."), dryRun::toString);
        assertEquals(before, db.snapshot());
    }

    @Test
    void a_plan_whose_migration_fails_says_why_it_cannot_plan() {
        run(0);
        TestDatabase.write(workspace.resolve("migrations/V20260301__broken.sql"), "ALTER TABLE no_such_table ADD COLUMN x int;\n");
        String before = db.snapshot();

        var plan = run(1, "plan");

        assertTrue(plan.err().contains("migrations/V20260301__broken.sql:1: migration failed: PostgreSQL: relation "
                + "\"no_such_table\" does not exist"), plan::toString);
        assertEquals(before, db.snapshot());
    }

    @Test
    void check_exits_0_in_sync_and_1_after_a_hand_edit_showing_the_difference() throws Exception {
        run(0);

        var inSync = run(0, "check");
        assertTrue(inSync.out().contains("In sync: the database matches the migrations and the seeds"), inSync::toString);

        db.execute("UPDATE llm_models SET typical_agent_cost = 0.0999 WHERE model_id = 'gpt-4o'");
        String edited = db.snapshot();
        var drift = run(1, "check");
        assertTrue(drift.out().contains("~ gpt-4o  typical_agent_cost: 0.0999 → 0.0500"), drift::toString);
        assertTrue(drift.out().contains("Out of sync: 1 row to write"), drift::toString);
        assertEquals(edited, db.snapshot(), "check reports the drift and leaves it");
        assertEquals(false, json(1, "check", "--json").get("in_sync").asBoolean());

        TestDatabase.write(workspace.resolve("migrations/V20260301__model_tier.sql"), "ALTER TABLE llm_models ADD COLUMN tier text;\n");
        run(0, "seed");
        var pending = run(1, "check");
        assertTrue(pending.out().contains("Migrations: 1 pending"), pending::toString);
        assertTrue(pending.out().contains("Out of sync: 1 migration to write"), pending::toString);
    }

    @Test
    void info_shows_migrations_seed_files_and_the_last_run_on_one_screen() {
        run(0);
        TestDatabase.write(workspace.resolve("migrations/V20260301__model_tier.sql"), "ALTER TABLE llm_models ADD COLUMN tier text;\n");
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");

        var info = run(0, "info");

        assertTrue(info.out().matches("(?s).*  V20260121       reference data moves to seed files  success \\d{4}-\\d\\d-\\d\\d .*"), info::toString);
        assertTrue(info.out().contains("  V20260301       model tier                          pending"), info::toString);
        assertTrue(info.out().matches("(?s).*  llm_models.yaml → llm_models +out of sync: 0 to insert, 1 to update\n.*"), info::toString);
        assertTrue(info.out().matches("(?s).*  scanners.yaml → scanners +in sync \\(4 rows\\).*"), info::toString);
        assertTrue(info.out().matches("(?s).*Last seed run: \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC by postgres \\(development\\).*"), info::toString);
        assertEquals(0, db.count("SELECT count(*) FROM information_schema.columns WHERE column_name = 'tier'"), "info writes nothing");
    }

    /** Outcomes without their durations, the one thing a plan and a run may differ in. */
    static JsonNode withoutTimings(JsonNode seeds) {
        var copy = seeds.deepCopy();
        copy.forEach(file -> ((ObjectNode) file).remove("duration_ms"));
        return copy;
    }
}
