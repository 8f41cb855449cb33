import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The seed history: a record per file per run, and one row's timeline. */
class HistoryTest extends FreshProject {

    @Test
    void every_run_leaves_a_record_per_file_even_when_it_changes_nothing() {
        runOk();
        runOk();
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");
        TestDatabase.write(workspace.resolve("seeds/environments.yaml"), "environments: {development: {}, staging: {}}\n");
        runOk("--env", "staging");

        var records = db.query("SELECT file, table_name, inserted, updated, unchanged, database_user, tool_version, environment, "
                + "git_commit, checksum, jsonb_array_length(changes) AS changed, changes_complete, duration_ms >= 0 AS timed, "
                + "deactivated "
                + "FROM seed_history WHERE file = 'llm_models.yaml' ORDER BY id");
        assertEquals(3, records.size());
        assertEquals(List.of(8L, 0L, 0L), records.stream().map(r -> r.get("inserted")).toList());
        assertEquals(List.of(0L, 0L, 1L), records.stream().map(r -> r.get("updated")).toList());
        assertEquals(List.of(0L, 8L, 6L), records.stream().map(r -> r.get("unchanged")).toList(),
                "a staging run leaves out lmstudio-local, which is for development only");
        assertEquals(List.of(0L, 0L, 1L), records.stream().map(r -> r.get("deactivated")).toList(),
                "and, owning it, deactivates it there");
        assertEquals(List.of(8, 0, 2), records.stream().map(r -> r.get("changed")).toList());
        assertEquals(List.of("development", "development", "staging"), records.stream().map(r -> r.get("environment")).toList());
        for (var record : records) {
            assertEquals("llm_models.yaml", record.get("file"));
            assertEquals("llm_models", record.get("table_name"));
            assertEquals("postgres", record.get("database_user"));
            assertEquals(seed_database.VERSION, record.get("tool_version"));
            assertNull(record.get("git_commit"), "the workspace is not a git checkout");
            assertEquals(true, record.get("changes_complete"));
            assertEquals(true, record.get("timed"));
        }
        assertEquals(records.get(0).get("checksum"), records.get(1).get("checksum"));
        assertNotEquals(records.get(1).get("checksum"), records.get(2).get("checksum"), "the edit changed the file");
        assertEquals("[{\"new\": \"0.0450\", \"old\": \"0.0500\", \"column\": \"typical_agent_cost\"}]",
                db.text("SELECT c->>'columns' FROM seed_history, jsonb_array_elements(changes) c WHERE c->>'action' = 'update'"));
    }

    @Test
    void the_history_keeps_exactly_the_changes_that_json_shows_whatever_the_text_holds() throws Exception {
        runOk();
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"),
                "description: Fast and inexpensive; good enough for routine risk checks and reports.",
                "description: \"Quotes \\\" and a backslash \\\\, a tab \\t, a line\\nbreak, a bell \\a, Børs, 株, 🙂\"");

        var run = runOk("--json");

        var shown = run.json().get("seeds").get(0).get("changes");
        var kept = TestDatabase.parse(db.text("SELECT changes::text FROM seed_history WHERE file = 'llm_models.yaml' "
                + "ORDER BY id DESC LIMIT 1"));
        assertEquals(shown, kept);
        assertEquals("Quotes \" and a backslash \\, a tab \t, a line\nbreak, a bell \u0007, Børs, 株, 🙂",
                kept.get(0).get("columns").get(0).get("new").asText());
    }

    @Test
    void a_dry_run_and_a_failed_run_record_nothing() {
        runOk();
        runOk("plan");
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "max_tokens: 16385", "max_tokens: lots");
        assertEquals(1, run().exitCode());

        assertEquals(1, db.count("SELECT count(DISTINCT run_id) FROM seed_history"));
        assertEquals(5, db.count("SELECT count(*) FROM seed_history"), "a record for each of the five seed files");
    }

    @Test
    void the_git_commit_of_the_seed_files_is_recorded_and_marked_dirty_when_they_differ_from_it() throws Exception {
        git("init", "-q");
        git("add", "-A");
        git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "seeds");
        String head = git("rev-parse", "HEAD").trim();

        runOk();
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");
        runOk();

        assertEquals(List.of(head, head + "-dirty"), db.query("SELECT DISTINCT git_commit, min(id) FROM seed_history "
                + "GROUP BY git_commit ORDER BY 2").stream().map(r -> r.get("git_commit")).toList());
        assertTrue(runOk("history").out().contains("git " + head.substring(0, 12) + "-dirty"));
    }

    @Test
    void history_lists_runs_newest_first_and_filters_by_file() {
        runOk();
        TestDatabase.write(workspace.resolve("migrations/V20260301__create_exchanges.sql"),
                "CREATE TABLE exchanges (mic text PRIMARY KEY, name text NOT NULL);\n");
        TestDatabase.write(workspace.resolve("seeds/exchanges.yaml"),
                "table: exchanges\nkey: mic\nrows:\n  - {mic: XNYS, name: New York Stock Exchange}\n");
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");
        runOk();

        var history = runOk("history");
        String text = history.out();
        int newest = text.indexOf("  exchanges.yaml → exchanges: 1 inserted, 0 updated, 0 unchanged");
        int oldest = text.indexOf("  llm_models.yaml → llm_models: 8 inserted, 0 updated, 0 unchanged");
        assertTrue(newest > 0 && oldest > newest, history::toString);
        assertTrue(text.contains("    ~ gpt-4o  typical_agent_cost: 0.0500 → 0.0450"), history::toString);
        assertTrue(text.matches("(?s)Seed runs recorded in seed_history of postgres@127.0.0.1:5432/\\w+, newest first:\n"
                + "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC  postgres  development  seed_database .*"), history::toString);

        var onlyExchanges = runOk("history", "--file", "exchanges.yaml");
        assertTrue(onlyExchanges.out().contains("exchanges.yaml"), onlyExchanges::toString);
        assertTrue(!onlyExchanges.out().contains("llm_models.yaml"), onlyExchanges::toString);

        var latest = runOk("history", "--limit", "1");
        assertTrue(!latest.out().contains("8 inserted"), latest::toString);
    }

    @Test
    void history_key_is_one_rows_price_timeline() throws Exception {
        runOk();
        Path seeds = workspace.resolve("seeds/llm_models.yaml");
        TestDatabase.edit(seeds, "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");
        runOk();
        TestDatabase.edit(seeds, "typical_agent_cost: 0.045", "typical_agent_cost: 0.042");
        TestDatabase.edit(seeds, "    cost_per_1k_input_tokens: 0.0025\n", "    cost_per_1k_input_tokens: 0.002\n");
        runOk();

        var timeline = runOk("history", "--key", "gpt-4o");

        String text = timeline.out();
        assertTrue(text.startsWith("gpt-4o in seed_history of postgres@127.0.0.1:5432/" + db.name + ", newest first:\n"), timeline::toString);
        int third = text.indexOf("updated      cost_per_1k_input_tokens: 0.002500 → 0.002000");
        int second = text.indexOf("updated      typical_agent_cost: 0.0500 → 0.0450");
        int first = text.indexOf("inserted     ");
        assertTrue(third > 0 && second > third && first > second, timeline::toString);
        assertTrue(text.contains("typical_agent_cost: 0.0450 → 0.0420"), timeline::toString);
        assertTrue(text.contains("typical_agent_cost: 0.0500\n"), "the insert shows the first price:\n" + timeline);

        var json = runOk("history", "--key", "gpt-4o", "--json").json();
        assertEquals(3, json.get("events").size());
        assertEquals("update", json.at("/events/0/action").asText());
        assertEquals("insert", json.at("/events/2/action").asText());
        assertTrue(runOk("history", "--key", "no-such-model").out().contains("No recorded change of no-such-model in seed_history of "));
    }

    @Test
    void the_history_table_name_can_be_chosen() {
        runOk("--history-table", "reference_data_runs");
        var viaEnv = run(Map.of("SEED_HISTORY_TABLE", "reference_data_runs"));
        assertEquals(0, viaEnv.exitCode(), viaEnv::toString);

        assertEquals(2, db.count("SELECT count(DISTINCT run_id) FROM reference_data_runs"));
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'seed_history'"));
        var bad = run("--history-table", "runs; DROP TABLE llm_models");
        assertEquals(2, bad.exitCode(), bad::toString);
        assertTrue(bad.err().contains("is not a plain identifier"), bad::toString);
    }

    String git(String... args) throws Exception {
        var command = new java.util.ArrayList<>(List.of("git", "-C", workspace.toString()));
        command.addAll(List.of(args));
        var process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), output);
        return output;
    }
}
