import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Some of the seed files (seed FILE…, --only TABLE), a quiet run, and shell completion. */
class SubsetTest extends FreshProject {

    long rows(String table) {
        return db.count("SELECT count(*) FROM " + table);
    }

    @Test
    void seed_with_file_names_applies_those_files_and_nothing_else() {
        runOk("migrate");

        var run = runOk("seed", "llm_models.yaml", "seeds/scanners.yaml");

        assertTrue(run.out().contains("  only         llm_models.yaml, scanners.yaml"), run::toString);
        assertEquals(8, rows("llm_models"));
        assertEquals(4, rows("scanners"));
        assertEquals(0, rows("pipeline_templates") + rows("strategies") + rows("tutorial_steps"), run::toString);
        assertEquals(List.of("llm_models.yaml", "scanners.yaml"),
                db.query("SELECT DISTINCT file FROM seed_history ORDER BY 1").stream().map(r -> r.get("file")).toList());
    }

    @Test
    void only_takes_tables_on_every_seeding_command() {
        var plan = runOk("plan", "--only", "llm_models");
        assertTrue(plan.out().contains("llm_models.yaml → llm_models: 8 to insert"), plan::toString);
        assertTrue(!plan.out().contains("scanners.yaml"), plan::toString);

        runOk("--only", "llm_models,scanners");
        assertEquals(8, rows("llm_models"));
        assertEquals(4, rows("scanners"));
        assertEquals(0, rows("pipeline_templates"));

        var check = run("check", "--only", "llm_models,scanners");
        assertEquals(0, check.exitCode(), "the files it checks are in sync: " + check);
    }

    @Test
    void a_file_whose_references_are_not_in_the_table_stops_with_what_to_do() {
        runOk("migrate");
        String before = db.snapshot();

        var run = run("seed", "pipeline_templates.yaml");

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("refers to the llm_models row with model_id gpt-4o-mini, and there is none"), run::toString);
        assertTrue(run.err().contains("This run applies only some of the seed files (seed FILE…, --only), so a referenced row "
                + "must be in the table already: apply the file of llm_models too, or first"), run::toString);
        assertEquals(before, db.snapshot(), "nothing was written");

        runOk("seed", "llm_models.yaml");
        runOk("seed", "pipeline_templates.yaml");
        assertEquals(4, rows("pipeline_templates"));
    }

    @Test
    void a_name_that_matches_no_seed_file_is_a_usage_error_with_the_closest() {
        var file = run("seed", "llm_model.yaml");
        assertEquals(2, file.exitCode(), file::toString);
        assertTrue(file.err().contains("there is no seed file llm_model.yaml in the seeds directory; did you mean \"llm_models.yaml\"?"),
                file::toString);

        var table = run("--only", "scaners");
        assertEquals(2, table.exitCode(), table::toString);
        assertTrue(table.err().contains("--only scaners: no seed file seeds a table scaners; did you mean \"scanners\"?"), table::toString);

        var migrate = run("migrate", "--only", "scanners");
        assertEquals(2, migrate.exitCode(), migrate::toString);
    }

    @Test
    void quiet_prints_nothing_but_the_last_line_and_errors() {
        var first = runOk("--quiet");
        assertEquals(1, first.out().lines().count(), first::toString);
        assertTrue(first.out().startsWith("Done in "), first::toString);
        assertEquals("", first.err());

        db.execute("UPDATE llm_models SET cost_per_1k_output_tokens = 0.012 WHERE model_id = 'o1-mini'");
        var check = run("check", "-q");
        assertEquals(1, check.exitCode(), check::toString);
        assertEquals(1, check.out().lines().count(), check::toString);
        assertTrue(check.out().startsWith("Out of sync: 1 row to write"), check::toString);

        var verify = runOk("verify", "--quiet");
        assertEquals(1, verify.out().lines().count(), verify::toString);
        assertTrue(verify.out().startsWith("Verified: "), verify::toString);
        assertEquals("", verify.err(), "no notes either");

        String models = TestDatabase.read(workspace.resolve("seeds/llm_models.yaml"));
        int gpt4 = models.indexOf("  - model_id: gpt-4\n");
        TestDatabase.write(workspace.resolve("seeds/llm_models.yaml"), models.substring(0, gpt4)
                + models.substring(models.indexOf("  - model_id:", gpt4 + 5)));
        var guarded = runOk("plan", "--quiet", "--max-deletes", "0");
        assertEquals(2, guarded.out().lines().count(), "what would stop a run is said, then the last line: " + guarded);
        assertTrue(guarded.out().startsWith("warning: llm_models.yaml: a run would stop here: this run would remove 1 row"),
                guarded::toString);
        TestDatabase.write(workspace.resolve("seeds/llm_models.yaml"), models);

        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: lots");
        var failed = run("--quiet");
        assertEquals(1, failed.exitCode(), failed::toString);
        assertEquals("", failed.out());
        assertTrue(failed.err().startsWith("error: seeds/llm_models.yaml:"), failed::toString);
    }

    @Test
    void completion_prints_a_script_that_bash_reads_and_that_completes_the_commands() throws Exception {
        var bash = runOk("completion", "bash");
        var script = TestDatabase.scratch("completion").resolve("seed-database.bash");
        Files.writeString(script, bash.out());
        var process = new ProcessBuilder("bash", "-c", "source '" + script + "' && COMP_WORDS=(seed-database ch) && COMP_CWORD=1 "
                + "&& _complete_seed-database 2>/dev/null; echo \"${COMPREPLY[@]}\"").redirectErrorStream(true).start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals("check", new String(process.getInputStream().readAllBytes()).trim());

        var zsh = runOk("completion", "zsh", "--name", "seeds");
        assertTrue(zsh.out().contains("bashcompinit") && zsh.out().contains("_complete_seeds"), zsh::toString);

        var fish = run("completion", "fish");
        assertEquals(2, fish.exitCode(), fish::toString);
    }
}
