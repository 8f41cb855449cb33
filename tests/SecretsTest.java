import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * A value that came from the environment through ${VAR} is shown nowhere: not in a plan, a run,
 * --json, an error, a stack trace, the history tables or export, and not after the file stops
 * using the variable (the database remembers which cells held one).
 */
class SecretsTest extends FreshProject {

    static final String TOKEN = "tok_live_9f8e7d6c5b4a";
    /** A value JSON writes escaped: masked as JSON writes it too. */
    static final String QUOTED_TOKEN = "tok_\"live\"\\9f8e7d";

    SecretsTest() {
        super(Map.of(
                "migrations/V1__notes.sql", """
                        CREATE TABLE notes (
                            id   serial  PRIMARY KEY,
                            code text    NOT NULL UNIQUE,
                            note text,
                            qty  integer,
                            active boolean NOT NULL DEFAULT true
                        );
                        CREATE TABLE stock (
                            code text    PRIMARY KEY,
                            qty  integer NOT NULL,
                            site text
                        );
                        CREATE TABLE feeds (code numeric PRIMARY KEY, token text);
                        """,
                "seeds/notes.yaml", """
                        table: notes
                        key: code
                        rows:
                          - {code: n1, note: "${API_TOKEN}"}
                          - {code: n2, note: plain}
                        """));
    }

    @Test
    void a_value_from_the_environment_stays_masked_once_the_file_stops_using_it() {
        runWithToken(0, TOKEN);
        assertEquals(TOKEN, db.text("SELECT note FROM notes WHERE code = 'n1'"));
        assertEquals(1, db.count("SELECT count(*) FROM seed_history_secrets WHERE row_key = 'n1' AND column_name = 'note'"));

        // The exact reproduction: the file no longer uses the variable, which may not even be set any more.
        seeds("notes.yaml", """
                table: notes
                key: code
                rows:
                  - {code: n1, note: rotated}
                  - {code: n2, note: plain}
                """);
        var plan = runWithToken(0, null, "plan");
        assertTrue(plan.out().contains("note: *** → rotated"), plan::toString);
        var json = runWithToken(0, null, "plan", "--json");
        assertTrue(json.out().contains("\"old\": \"***\""), json::toString);
        var applied = runWithToken(0, null);
        assertTrue(applied.out().contains("note: *** → rotated"), applied::toString);
        var history = runWithToken(0, null, "history");
        var timeline = runWithToken(0, null, "history", "--key", "n1");
        assertTrue(timeline.out().contains("*** → rotated"), timeline::toString);
        var timelineJson = runWithToken(0, null, "history", "--key", "n1", "--json");
        var historyJson = runWithToken(0, null, "history", "--json");
        for (var shown : List.of(plan, json, applied, history, timeline, timelineJson, historyJson)) {
            assertFalse(shown.output().contains(TOKEN), shown::toString);
        }
        assertFalse(db.text("SELECT string_agg(changes::text, ' ') FROM seed_history").contains(TOKEN));
        assertTrue(db.text("SELECT string_agg(changes::text, ' ') FROM seed_history").contains("\"new\": \"rotated\", \"old\": \"***\""));

        // Overwritten by a value that is not from the environment: the mark is gone, the next change shows both values.
        assertEquals(0, db.count("SELECT count(*) FROM seed_history_secrets"));
        seeds("notes.yaml", "table: notes\nkey: code\nrows:\n  - {code: n1, note: again}\n  - {code: n2, note: plain}\n");
        assertTrue(runWithToken(0, null, "plan").out().contains("note: rotated → again"));
    }

    @Test
    void a_cell_is_marked_by_its_row_as_the_table_holds_it_not_as_the_file_spells_the_key() {
        deleteSeed("notes.yaml");
        // 1.0 and 1.00 are one numeric key; the table holds it as 1.0.
        seeds("feeds.yaml", "table: feeds\nkey: code\nrows:\n  - {code: 1.0, token: \"${API_TOKEN}\"}\n");
        runWithToken(0, TOKEN);
        seeds("feeds.yaml", "table: feeds\nkey: code\nrows:\n  - {code: 1.00, token: rotated}\n");
        var plan = runWithToken(0, null, "plan");
        var applied = runWithToken(0, null, "--json");
        for (var shown : List.of(plan, applied, runWithToken(0, null, "history", "--json"))) {
            assertFalse(shown.output().contains(TOKEN), shown::toString);
        }
        assertTrue(plan.out().contains("token: *** → rotated"), plan::toString);
        assertFalse(db.text("SELECT string_agg(changes::text, ' ') FROM seed_history").contains(TOKEN));

        // Marked while the file spells the key otherwise than the table: export writes the cell as its variable.
        seeds("feeds.yaml", "table: feeds\nkey: code\nrows:\n  - {code: 1.00, token: \"${API_TOKEN}\"}\n");
        runWithToken(0, TOKEN);
        var export = runWithToken(0, null, "export", "feeds");
        assertFalse(export.output().contains(TOKEN), export::toString);
        assertTrue(export.out().contains("token: \"${API_TOKEN}\""), export::toString);
    }

    @Test
    void a_deactivated_row_shows_a_removal_column_from_the_environment_masked() {
        seeds("notes.yaml", "table: notes\nkey: code\nremoval: {deactivate: active}\nrows:\n"
                + "  - {code: n1, active: \"${API_TOKEN}\"}\n  - {code: n2}\n");
        runWithToken(0, "true");
        seeds("notes.yaml", "table: notes\nkey: code\nremoval: {deactivate: active}\nrows:\n  - {code: n2}\n");
        var plan = runWithToken(0, null, "plan");
        assertTrue(plan.out().contains("- n1  active: *** → false"), plan::toString);
    }

    @Test
    void a_variable_in_the_defaults_of_a_csv_file_stays_out_of_its_errors() {
        deleteSeed("notes.yaml");
        TestDatabase.write(workspace.resolve("seeds/stock.csv"), "code,site\nA,north\nB,south\n");
        seeds("stock.yaml", "table: stock\nkey: code\ndefaults:\n  qty: \"${API_TOKEN}\"\nrows: stock.csv\n");
        runWithToken(0, null, "migrate");

        for (var arguments : List.of(new String[]{}, new String[]{"--json"}, new String[]{"--verbose"}, new String[]{"plan"})) {
            var failed = runWithToken(1, TOKEN, arguments);
            assertTrue(failed.err().contains("invalid input syntax for type integer: \"***\""), failed::toString);
            assertFalse(failed.output().contains(TOKEN), failed::toString);
        }
        assertEquals(0, db.count("SELECT count(*) FROM stock"));

        // A good value from the environment is remembered for every row it gave, and masked once the defaults change.
        runWithToken(0, "42");
        seeds("stock.yaml", "table: stock\nkey: code\ndefaults:\n  qty: 7\nrows: stock.csv\n");
        var plan = runWithToken(0, null, "plan");
        assertTrue(plan.out().contains("qty: *** → 7"), plan::toString);
    }

    @Test
    void export_writes_a_cell_from_the_environment_as_its_variable() {
        runWithToken(0, TOKEN);
        var export = runWithToken(0, null, "export", "notes");
        assertTrue(export.out().contains("note: \"${API_TOKEN}\""), export::toString);
        assertFalse(export.output().contains(TOKEN), export::toString);

        // Seeded back, with the variable set, it reproduces the table: a run changes nothing.
        seeds("notes.yaml", export.out());
        var again = runWithToken(0, TOKEN, "check");
        assertFalse(again.output().contains(TOKEN), again::toString);
    }

    @Test
    void no_command_shows_a_value_from_the_environment_in_any_output_or_history_table() {
        for (String token : List.of(TOKEN, QUOTED_TOKEN)) {
            db.recreate();
            String quotedYaml = token.replace("\\", "\\\\").replace("\"", "\\\"");
            seeds("notes.yaml", """
                    table: notes
                    key: code
                    rows:
                      - {code: n1, note: "${API_TOKEN}"}
                      - {code: n2, note: "prefix ${API_TOKEN} suffix"}
                    """);
            var outputs = new ArrayList<TestDatabase.Run>();
            outputs.add(runWithToken(0, token));
            outputs.add(runWithToken(0, token, "plan"));
            outputs.add(runWithToken(0, token, "check"));
            outputs.add(runWithToken(0, token, "info"));
            outputs.add(runWithToken(0, token, "--json"));
            outputs.add(runWithToken(0, token, "history"));
            outputs.add(runWithToken(0, token, "history", "--key", "n1"));
            outputs.add(runWithToken(0, token, "history", "--json"));
            outputs.add(runWithToken(0, token, "export", "notes"));
            outputs.add(runWithToken(0, token, "verify"));
            Path exported = workspace.resolve("exported.yaml");
            outputs.add(runWithToken(0, token, "export", "notes", "--output", exported.toString()));
            assertFalse(TestDatabase.read(exported).contains(token));
            // A failing run, which PostgreSQL explains by quoting the value; with and without --verbose and --json.
            seeds("bad.yaml", "table: notes\nkey: code\nrows:\n  - {code: n3, qty: \"${API_TOKEN}\"}\n");
            outputs.add(runWithToken(1, token));
            var verbose = runWithToken(1, token, "--verbose");
            assertTrue(verbose.err().contains("invalid input syntax for type integer: \"***\"")
                    && verbose.err().contains("\tat "), verbose::toString);
            outputs.add(verbose);
            outputs.add(runWithToken(1, token, "--json", "plan"));
            outputs.add(runWithToken(1, token, "--verbose", "--json", "check"));
            deleteSeed("bad.yaml");
            // The file stops using the variable, which is no longer set: the old values are still masked.
            seeds("notes.yaml", "table: notes\nkey: code\nrows:\n  - {code: n1, note: one}\n  - {code: n2, note: two}\n");
            outputs.add(runWithToken(0, null, "plan", "--json"));
            outputs.add(runWithToken(0, null, "--verbose"));
            outputs.add(runWithToken(0, null, "history", "--key", "n2", "--json"));
            for (var output : outputs) {
                assertFalse(output.output().contains(token), output::toString);
                assertFalse(output.output().contains(quotedYaml) && !quotedYaml.equals(token), output::toString);
                assertFalse(output.output().contains(jsonEscaped(token)), output::toString);
            }
            for (String table : List.of("seed_history", "seed_history_rows", "seed_history_secrets", "flyway_schema_history")) {
                if (db.count("SELECT count(*) FROM pg_tables WHERE tablename = ?", table) == 1) {
                    String everything = db.text("SELECT coalesce(string_agg(t::text, ' '), '') FROM " + table + " t");
                    assertFalse(everything.contains(token) || everything.contains(jsonEscaped(token)), table + ": " + everything);
                }
            }
        }
    }

    private static String jsonEscaped(String text) {
        var out = new StringBuilder();
        Json.quote(out, text);
        return out.substring(1, out.length() - 1);
    }

    private void deleteSeed(String name) {
        try {
            java.nio.file.Files.delete(workspace.resolve("seeds/" + name));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The tool with API_TOKEN set to the token (unset when null). */
    private TestDatabase.Run runWithToken(int exit, String token, String... args) {
        return run(exit, token == null ? Map.of() : Map.of("API_TOKEN", token), args);
    }
}
