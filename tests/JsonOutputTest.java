import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import org.junit.jupiter.api.Test;

/** --json: one document on stdout, parsed back here; and colour only where it belongs. */
class JsonOutputTest extends FreshProject {

    JsonNode json(int expectedExit, String... args) throws Exception {
        var run = run(args);
        assertEquals(expectedExit, run.exitCode(), run::toString);
        assertTrue(run.out().startsWith("{"), "stdout is the JSON document alone:\n" + run);
        return run.json();
    }

    @Test
    void a_run_as_json() throws Exception {
        var first = json(0, "--json");

        assertEquals("run", first.get("command").asText());
        assertEquals(seed_database.VERSION, first.get("tool_version").asText());
        assertEquals("postgres@127.0.0.1:5432/" + db.name, first.get("database").asText());
        assertEquals("development", first.get("environment").asText());
        assertFalse(first.get("in_sync").asBoolean());
        assertEquals("20260208", first.at("/migrations/version_after").asText());
        assertEquals(6, first.at("/migrations/applied").size());
        var file = first.at("/seeds/0");
        assertEquals("llm_models.yaml", file.get("file").asText());
        assertEquals("seeds/llm_models.yaml", file.get("path").asText());
        assertEquals("llm_models", file.get("table").asText());
        assertEquals(8, file.get("inserted").asInt());
        assertEquals(64, file.get("checksum").asText().length());
        var inserted = file.at("/changes/0");
        assertEquals("gpt-3.5-turbo", inserted.get("key").asText());
        assertEquals("insert", inserted.get("action").asText());
        assertTrue(inserted.get("line").asInt() > 0);
        assertTrue(inserted.get("columns").findValuesAsText("column").contains("typical_agent_cost"));
        assertEquals("seed_history", first.get("history_table").asText());

        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");
        var update = json(0, "seed", "--json").at("/seeds/0");
        assertEquals(1, update.get("updated").asInt());
        assertEquals(7, update.get("unchanged").asInt());
        assertEquals(TestDatabase.parse("""
                [{"key": "gpt-4o", "line": 64, "action": "update",
                  "columns": [{"column": "typical_agent_cost", "old": "0.0500", "new": "0.0450"}]}]"""), update.get("changes"));
    }

    @Test
    void a_document_is_the_same_text_on_every_run() {
        db.recreate();
        var plan = run("plan", "--json").out();
        assertTrue(plan.contains("\"applied\": [\n      {\n        \"version\": "), "a pending migration's version comes first: " + plan);
        // Whatever map a document is built of, its keys come in one order: a map without an order of its own, by key.
        assertEquals("{\"a\":1,\"b\":2,\"c\":3}", Json.compact(Map.of("c", 3, "a", 1, "b", 2)));
    }

    @Test
    void plan_check_and_history_as_json() throws Exception {
        var plan = json(0, "plan", "--json");
        assertEquals("plan", plan.get("command").asText());
        assertTrue(plan.get("dry_run").asBoolean());
        assertTrue(plan.get("history_table").isNull());

        assertEquals(0, run().exitCode());
        assertTrue(json(0, "check", "--json").get("in_sync").asBoolean());
        db.execute("DELETE FROM llm_models WHERE model_id = 'o1-mini'");
        var check = json(1, "check", "--json");
        assertFalse(check.get("in_sync").asBoolean());
        assertEquals("o1-mini", check.at("/seeds/0/changes/0/key").asText());

        var history = json(0, "history", "--json");
        assertEquals(1, history.get("runs").size());
        assertEquals("postgres", history.at("/runs/0/database_user").asText());
        assertEquals(8, history.at("/runs/0/files/0/inserted").asInt());

        var info = json(0, "info", "--json");
        assertEquals("success", info.at("/migrations/0/state").asText());
        assertFalse(info.at("/seeds/0/in_sync").asBoolean());
    }

    @Test
    void an_error_as_json_on_stdout_and_as_a_paragraph_on_stderr() throws Exception {
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "max_tokens: 16385", "max_tokens: lots");

        var run = run("--json");

        assertEquals(1, run.exitCode());
        var error = run.json().get("error");
        assertEquals(1, error.get("exit_code").asInt());
        assertEquals("seeds/llm_models.yaml:29:17", error.get("where").asText());
        assertEquals("max_tokens (integer): invalid input syntax for type integer: \"lots\"", error.get("message").asText());
        assertTrue(run.err().startsWith("error: seeds/llm_models.yaml:29:17: "), run::toString);
    }

    @Test
    void usage_errors_and_warnings_reach_the_json_too() throws Exception {
        var usage = run("--json", "--bogus");
        assertEquals(2, usage.exitCode());
        assertEquals(2, usage.json().at("/error/exit_code").asInt(), usage::toString);

        var warned = TestDatabase.runWith(Map.of("DATABASE_URL", db.url() + "?foo=bar"), workspace, "plan", "--json");
        assertEquals("the connection string has a setting the PostgreSQL driver does not know and ignores (not named here, "
                + "as a name could be part of a password)",
                warned.json().at("/warnings/0").asText(), warned::toString);

        assertEquals(0, run().exitCode());
        var lastRun = json(0, "info", "--json").get("last_run");
        assertTrue(lastRun.get("started_at").asText().matches("\\d{4}-\\d\\d-\\d\\dT.*"), lastRun::toString);
        assertEquals("postgres", lastRun.get("database_user").asText());
        assertEquals("development", lastRun.get("environment").asText());
    }

    @Test
    void colour_only_on_a_terminal_or_when_asked_and_never_with_no_color() {
        String escape = "\033[";
        run();
        assertFalse(run("plan").out().contains(escape), "not a terminal: plain text");
        assertTrue(run("plan", "--color=always").out().contains(escape + "1mseed_database"));
        assertFalse(run("plan", "--color=always", "--no-color").out().contains(escape));

        var forced = run(Map.of("CLICOLOR_FORCE", "1"), "plan");
        assertTrue(forced.out().contains(escape), forced::toString);
        var noColor = run(Map.of("CLICOLOR_FORCE", "1", "NO_COLOR", "1"), "plan");
        assertFalse(noColor.out().contains(escape), noColor::toString);
        var json = run("plan", "--json", "--color=always");
        assertFalse(json.out().contains(escape), "JSON is never coloured");
    }
}
