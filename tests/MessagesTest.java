import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The command line's mistakes in one wording, help that lists what applies, and hints that say what to write. */
class MessagesTest extends FreshProject {

    TestDatabase.Run usage(String... args) {
        var run = run(args);
        assertEquals(2, run.exitCode(), run::toString);
        assertEquals(1, run.err().lines().count(), () -> "one paragraph: " + run);
        return run;
    }

    @Test
    void unknown_commands_options_and_arguments_are_said_the_same_way() {
        assertEquals("error: there is no command \"chek\"; did you mean \"check\"? The commands are migrate, seed, plan, check, info, "
                + "history, verify, export, completion, help. See --help.\n", usage("chek").err());
        assertEquals("error: seed_database has no option --dryrun; did you mean \"--dry-run\"? See --help.\n", usage("--dryrun").err());
        assertEquals("error: plan takes no argument \"now\". See help plan.\n", usage("plan", "now").err());
        assertEquals("error: history has no option --limt; did you mean \"--limit\"? See help history.\n",
                usage("history", "--limt", "3").err());
        assertEquals("error: check has no option --keep; it is an option of verify. See help check.\n",
                usage("check", "--keep").err());
    }

    @Test
    void an_option_that_does_not_apply_to_the_command_is_refused_wherever_it_is_given() {
        String before = db.snapshot();
        assertTrue(usage("history", "--dry-run").err().startsWith("error: history takes no option --dry-run. --dry-run is an "
                + "option of a run (no command), migrate, seed"));
        assertTrue(usage("--dry-run", "history").err().startsWith("error: history takes no option --dry-run."));
        assertTrue(usage("info", "--allow-delete").err().startsWith("error: info takes no option --allow-delete."));
        assertTrue(usage("export", "llm_models", "--baseline").err().startsWith("error: export takes no option --baseline."));
        assertTrue(usage("plan", "--dry-run").err().startsWith("error: plan takes no option --dry-run."),
                "a plan is a dry run already");
        assertTrue(usage("history", "--table", "llm_models").err().contains("--table goes with --key"));
        assertEquals(before, db.snapshot());
    }

    @Test
    void the_help_of_a_command_lists_only_its_options() {
        var export = runOk("help", "export");
        for (String absent : new String[]{"--allow-delete", "--baseline", "--dry-run", "--max-deletes", "--env", "--only"}) {
            assertFalse(export.out().lines().anyMatch(l -> l.matches("\\s+(-\\w, )?" + absent + "\\b.*")),
                    absent + " is not for export:\n" + export.out());
        }
        assertTrue(export.out().contains("--where=SQL") && export.out().contains("--url=URL"), export::toString);
        var history = runOk("history", "--help");
        assertFalse(history.out().lines().anyMatch(l -> l.matches("\\s+--migrations.*")), history::toString);
        var run = runOk("--help");
        assertTrue(run.out().contains("--allow-delete") && run.out().contains("--baseline"), "a run takes them all: " + run);
    }

    @Test
    void history_of_a_file_never_seeded_says_so_and_suggests_the_closest() {
        runOk();

        var run = usage("history", "--file", "llm_model.yaml");

        assertTrue(run.err().contains("no seed file llm_model.yaml was ever recorded in seed_history; did you mean "
                + "\"llm_models.yaml\"?"), run::toString);
        assertTrue(run.err().contains("The files it has recorded are llm_models.yaml, pipeline_templates.yaml"), run::toString);
        assertTrue(runOk("history", "--file", "seeds/llm_models.yaml").out().contains("llm_models.yaml → llm_models"));
        var table = usage("history", "--key", "momentum", "--table", "scanner");
        assertTrue(table.err().contains("--table scanner: no run recorded in seed_history seeded a table scanner; did you mean "
                + "\"scanners\"?"), table::toString);
    }

    @Test
    void a_foreign_key_given_as_a_plain_value_hints_at_the_natural_key() {
        runOk();
        TestDatabase.edit(workspace.resolve("seeds/pipeline_templates.yaml"), "llm_model_id: {model_id: gpt-4o}",
                "llm_model_id: gpt-4o");

        var run = run();

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("llm_model_id (uuid): invalid input syntax for type uuid: \"gpt-4o\". Llm_model_id refers to "
                + "llm_models (id); to name the llm_models row by its model_id, write llm_model_id: {model_id: gpt-4o}"), run::toString);
    }

    @Test
    void a_csv_header_that_gives_a_foreign_key_plainly_hints_at_column_dot_key() {
        TestDatabase.write(workspace.resolve("migrations/V20270101__markets.sql"), """
                CREATE TABLE exchanges (id serial PRIMARY KEY, mic text NOT NULL UNIQUE);
                CREATE TABLE listings (symbol text PRIMARY KEY, exchange_id integer NOT NULL REFERENCES exchanges (id));
                """);
        TestDatabase.write(workspace.resolve("seeds/exchanges.yaml"), "table: exchanges\nkey: mic\nrows:\n  - mic: XNYS\n");
        TestDatabase.write(workspace.resolve("seeds/listings.yaml"), "table: listings\nkey: symbol\nrows: listings.csv\n");
        TestDatabase.write(workspace.resolve("seeds/listings.csv"), "symbol,exchange_id\nIBM,XNYS\n");

        var run = run();

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().contains("seeds/listings.csv:2:5: exchange_id (integer): invalid input syntax for type integer: "
                + "\"XNYS\""), run::toString);
        assertTrue(run.err().contains("to name the exchanges row by its mic, call the header field exchange_id.mic"), run::toString);
    }

    @Test
    void a_retired_row_is_no_longer_called_a_row_that_no_seed_file_lists() {
        runOk();
        String models = TestDatabase.read(workspace.resolve("seeds/llm_models.yaml"));
        int gpt4 = models.indexOf("  - model_id: gpt-4\n");
        TestDatabase.write(workspace.resolve("seeds/llm_models.yaml"), models.substring(0, gpt4)
                + models.substring(models.indexOf("  - model_id:", gpt4 + 5)));
        db.execute("INSERT INTO llm_models (id, model_id, display_name, provider, max_tokens, cost_per_1k_input_tokens, "
                + "cost_per_1k_output_tokens, typical_agent_cost) SELECT gen_random_uuid(), 'house-model', 'House', provider, max_tokens, "
                + "cost_per_1k_input_tokens, cost_per_1k_output_tokens, typical_agent_cost FROM llm_models WHERE model_id = 'gpt-4o'");

        var retiring = runOk();
        assertTrue(retiring.out().contains("- gpt-4  is_active: true → false"), retiring::toString);
        var rerun = runOk();

        assertTrue(rerun.out().contains("llm_models.yaml → llm_models: 0 inserted, 0 updated, 7 unchanged"), rerun::toString);
        assertTrue(rerun.out().contains("(1 row of llm_models that no seed file lists, left as it is: house-model)"),
                "the row someone added is still reported, the retired one no longer: " + rerun);
    }
}
