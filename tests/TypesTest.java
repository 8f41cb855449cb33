import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every column type a seed file must round-trip, and the same values written another way changing nothing. */
class TypesTest extends FreshProject {

    static final String MIGRATION = """
            CREATE TABLE samples (
                code      text PRIMARY KEY,
                label     text,
                count     integer,
                big       bigint,
                price     numeric(12, 4),
                ratio     double precision,
                enabled   boolean,
                settings  jsonb,
                raw_json  json,
                ref       uuid,
                day       date,
                at        timestamptz,
                tags      text[],
                levels    integer[],
                blob      bytea,
                note      text    NOT NULL DEFAULT 'none',
                version   integer NOT NULL DEFAULT 1
            );
            """;

    static final String SEEDS = """
            table: samples
            key: code
            rows:
              - code: full
                label: NO                     # text as written: not the boolean false
                count: 42
                big: 9007199254740993          # more digits than a double holds
                price: 0.010
                ratio: 0.1
                enabled: true
                settings: {b: 2, a: [1, 2.50, "x"], nested: {ok: true, none: null}}
                raw_json: {z: 1, y: 2}
                ref: 6f1c2b9e-3a4d-4c5e-8f70-123456789abc
                day: 2026-01-21
                at: 2026-01-21T10:00:00+01:00
                tags: [alpha, "beta, gamma", 'with "quotes" and \\ backslash', NO, null]
                levels: [1, 2, 3]
                blob: !!binary aGVsbG8=
                note: given
              - code: nulls
                label: null
                count: ~
                settings: null
                tags: []
              - &base
                code: defaults                # leaves out note and version: they get their defaults
                label: 1.10
                at: 2026-01-21 10:00:00       # no offset: UTC, whatever the server's time zone
              - <<: *base
                code: merged
            """;

    TypesTest() {
        super(Map.of(
                "migrations/V1__samples.sql", MIGRATION,
                "seeds/samples.yaml", SEEDS));
    }

    @BeforeEach
    void freshDatabase() throws Exception {
        // The database's own zone is not UTC, to show that offset-less timestamps still mean UTC.
        TestDatabase.admin("ALTER DATABASE " + db.name + " SET timezone = 'America/New_York'");
    }

    String value(String code, String expression) {
        return db.text("SELECT (" + expression + ")::text FROM samples WHERE code = ?", code);
    }

    @Test
    void every_type_is_stored_as_the_file_says() {
        var run = runOk();

        assertTrue(run.out().contains("samples.yaml → samples: 4 inserted, 0 updated, 0 unchanged"), run::toString);
        assertEquals("NO", value("full", "label"));
        assertEquals("42", value("full", "count"));
        assertEquals("9007199254740993", value("full", "big"));
        assertEquals("0.0100", value("full", "price"));
        assertEquals("0.1", value("full", "ratio"));
        assertEquals("true", value("full", "enabled"));
        assertEquals("true", value("full", "settings = '{\"a\": [1, 2.50, \"x\"], \"b\": 2, \"nested\": {\"ok\": true, \"none\": null}}'::jsonb"));
        assertEquals("{\"z\":1,\"y\":2}", value("full", "raw_json"));
        assertEquals("6f1c2b9e-3a4d-4c5e-8f70-123456789abc", value("full", "ref"));
        assertEquals("2026-01-21", value("full", "day"));
        assertEquals("2026-01-21 09:00:00", value("full", "at AT TIME ZONE 'UTC'"));
        assertEquals("true", value("full", "tags = ARRAY['alpha', 'beta, gamma', 'with \"quotes\" and \\ backslash', 'NO', NULL]"));
        assertEquals("{1,2,3}", value("full", "levels"));
        assertEquals("hello", value("full", "convert_from(blob, 'UTF8')"));
        assertEquals("given", value("full", "note"));

        assertEquals("true", value("nulls", "label IS NULL AND count IS NULL AND settings IS NULL"));
        assertEquals("{}", value("nulls", "tags"));

        assertEquals("1.10", value("defaults", "label"), "text as written, not the number 1.1");
        assertEquals("none|1", value("defaults", "note || '|' || version"), "left-out columns get their defaults");
        assertEquals("2026-01-21 10:00:00", value("defaults", "at AT TIME ZONE 'UTC'"));
        assertEquals("1.10|2026-01-21 10:00:00", value("merged", "label || '|' || (at AT TIME ZONE 'UTC')"), "<<: *base merges");
    }

    @Test
    void binary_is_base64_folded_or_not_and_nothing_else() {
        runOk();
        String before = db.snapshot();
        for (String bad : List.of("\"!!!!\"", "\"aGVs@@@@bG8=\"", "\"aGVsbG8=!\"")) {
            seeds("samples.yaml", "table: samples\nkey: code\nrows:\n  - {code: full, note: given, blob: !!binary " + bad + "}\n");
            var run = run(1);
            assertTrue(run.err().contains("samples.yaml:4:37: !!binary value is not base64"), run::toString);
            assertEquals(before, db.snapshot(), "nothing was written");
        }
        seeds("samples.yaml", "table: samples\nkey: code\nrows:\n  - code: full\n    note: given\n    blob: !!binary |\n      aGVs\n      bG8=\n");
        runOk();
        assertEquals("hello", value("full", "convert_from(blob, 'UTF8')"), "a folded value, its line breaks left out");
    }

    @Test
    void values_arrive_as_written_and_the_special_ones_only_on_purpose() {
        TestDatabase.write(workspace.resolve("seeds/samples.yaml"), """
                table: samples
                key: code
                rows:
                  - code: special
                    label: "\\ud83d\\ude00 0x10 1:30 .nan $${HOME}"   # a surrogate pair is one character; text stays text
                    count: 0777                                   # a leading zero is decimal
                    price: "NaN"                                  # PostgreSQL's NaN, quoted: on purpose
                    ratio: "-Infinity"
                    levels: [1_000, 2]
                """);
        runOk();
        assertEquals("\uD83D\uDE00 0x10 1:30 .nan ${HOME}", value("special", "label"));
        assertEquals("777", value("special", "count"));
        assertEquals("NaN", value("special", "price"));
        assertEquals("-Infinity", value("special", "ratio"));
        assertEquals("{1000,2}", value("special", "levels"));
        // Unquoted, YAML's spellings would be converted on the way in: each is an error, in arrays and JSON too.
        for (String value : List.of("levels: [0x10]", "settings: {n: .inf}", "count: -0b1", "price: 1:30.5", "ratio: -.INF")) {
            TestDatabase.write(workspace.resolve("seeds/samples.yaml"), "table: samples\nkey: code\nrows:\n  - {code: x, " + value + "}\n");
            var run = run();
            assertEquals(1, run.exitCode(), run::toString);
            assertTrue(run.err().startsWith("error: seeds/samples.yaml:4:"), run::toString);
        }
    }

    @Test
    void a_rerun_and_the_same_values_written_differently_change_nothing() {
        runOk();
        var before = db.rowVersions("samples", "code");

        var rerun = runOk();
        assertTrue(rerun.out().contains("0 inserted, 0 updated, 4 unchanged"), rerun::toString);

        TestDatabase.write(workspace.resolve("seeds/samples.yaml"), SEEDS
                .replace("big: 9007199254740993", "big: 9_007_199_254_740_993")
                .replace("price: 0.010", "price: 0.01")
                .replace("ratio: 0.1", "ratio: 1.0e-1")
                .replace("enabled: true", "enabled: TRUE")
                .replace("settings: {b: 2, a: [1, 2.50, \"x\"], nested: {ok: true, none: null}}",
                        "settings: {nested: {none: null, ok: true}, a: [1, 2.5, x], b: 2}")
                .replace("raw_json: {z: 1, y: 2}", "raw_json: {y: 2, z: 1}")
                .replace("ref: 6f1c2b9e-3a4d-4c5e-8f70-123456789abc", "ref: 6F1C2B9E-3A4D-4C5E-8F70-123456789ABC")
                .replace("at: 2026-01-21T10:00:00+01:00", "at: 2026-01-21 09:00:00Z")
                .replace("levels: [1, 2, 3]", "levels:\n      - 1\n      - 2\n      - 3"));
        var rewritten = runOk();

        assertTrue(rewritten.out().contains("0 inserted, 0 updated, 4 unchanged"), rewritten::toString);
        assertEquals(before, db.rowVersions("samples", "code"));
    }

    @Test
    void a_column_left_out_keeps_the_value_it_has() {
        runOk();
        db.execute("UPDATE samples SET version = 5, note = 'by hand' WHERE code = 'defaults'");
        var before = db.rowVersions("samples", "code");

        var run = runOk();

        assertTrue(run.out().contains("0 inserted, 0 updated, 4 unchanged"), run::toString);
        assertEquals("by hand|5", value("defaults", "note || '|' || version"));
        assertEquals(before, db.rowVersions("samples", "code"));
    }

    @Test
    void json_scalars_booleans_written_as_words_and_a_schema_qualified_table_in_a_yml_file() {
        TestDatabase.write(workspace.resolve("migrations/V2__reference_schema.sql"), """
                CREATE SCHEMA reference;
                CREATE TABLE reference.currencies (code text PRIMARY KEY, name text NOT NULL, meta jsonb, active boolean);
                """);
        TestDatabase.write(workspace.resolve("seeds/currencies.yml"), """
                table: reference.currencies
                key: code
                rows:
                  - {code: NOK, name: Norwegian krone, meta: hello, active: yes}
                  - {code: USD, name: US dollar, meta: 42, active: off}
                  - {code: EUR, name: Euro, meta: [yes, true, "42"], active: t}
                """);

        var run = runOk();

        assertTrue(run.out().contains("currencies.yml → currencies: 3 inserted"), run::toString);
        assertEquals("\"hello\"|true", db.text("SELECT meta::text || '|' || active FROM reference.currencies WHERE code = 'NOK'"));
        assertEquals("42|false", db.text("SELECT meta::text || '|' || active FROM reference.currencies WHERE code = 'USD'"));
        assertEquals("[\"yes\", true, \"42\"]|true", db.text("SELECT meta::text || '|' || active FROM reference.currencies WHERE code = 'EUR'"));
    }

    @Test
    void a_refused_row_is_named_even_when_it_clashes_with_a_row_of_another_shape() {
        TestDatabase.write(workspace.resolve("migrations/V2__tickers.sql"),
                "CREATE TABLE tickers (symbol text PRIMARY KEY, isin text UNIQUE, name text);\n");
        TestDatabase.write(workspace.resolve("seeds/tickers.yaml"), """
                table: tickers
                key: symbol
                rows:
                  - {symbol: AAPL, isin: US0378331005, name: Apple}
                  - {symbol: MSFT, isin: US5949181045}
                  - {symbol: APPL, isin: US0378331005}
                """);

        var run = run();

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("error: seeds/tickers.yaml:6:26: row APPL: duplicate key value violates unique constraint "
                + "\"tickers_isin_key\" (Key (isin)=(US0378331005) already exists)"), run::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "nothing was written");
    }

    /**
     * The rules of a value are one rule set over the stage, for YAML and CSV rows alike: a
     * numeric(p,s) column and each element of a numeric(p,s)[] one keep their decimals and digits;
     * the first row that breaks a rule, or that the tool or COPY refuses, in file order, is the error.
     */
    @Test
    void the_first_bad_row_in_file_order_is_the_error_in_yaml_and_csv_alike_numeric_arrays_checked_element_by_element() {
        TestDatabase.write(workspace.resolve("migrations/V2__weights.sql"),
                "CREATE TABLE weights (code text PRIMARY KEY, weight numeric(6,2) NOT NULL, history numeric(6,2)[]);\n");
        String yaml = "table: weights\nkey: code\nrows:\n";
        var cases = Map.of(
                yaml + "  - {code: a, weight: 1.5, history: [1.25, 2]}\n  - {code: b, weight: 2, history: [1.5, 2.125]}\n",
                "seeds/weights.yaml:5:35: history is numeric(6,2)[], which keeps 2 decimals: 2.125 would be stored as 2.13",
                yaml + "  - {code: a, weight: 1.5, history: [12345, 2]}\n",
                "seeds/weights.yaml:4:37: history (numeric(6,2)[]): numeric field overflow",
                // A NOT NULL column without a value, then a number the tool refuses, then one COPY refuses: the first.
                yaml + "  - {code: a, weight: null}\n  - {code: b, weight: 0x10}\n  - {code: c, weight: ten}\n",
                "seeds/weights.yaml:4:23: column weight is NOT NULL, but this row gives it no value (null)",
                yaml + "  - {code: a, weight: 1.001}\n  - {code: b, weight: ten}\n",
                "seeds/weights.yaml:4:23: weight is numeric(6,2), which keeps 2 decimals: 1.001 would be stored as 1.00",
                yaml + "  - {code: a, weight: 1}\n  - {code: b, weight: ten}\n  - {code: c, weight: 1.001}\n",
                "seeds/weights.yaml:5:23: weight (numeric(6,2)): invalid input syntax for type numeric: \"ten\"",
                yaml + "  - {code: a, weight: 10000}\n",
                "seeds/weights.yaml:4:23: weight (numeric(6,2)): numeric field overflow");
        cases.forEach((file, error) -> {
            TestDatabase.write(workspace.resolve("seeds/weights.yaml"), file);
            var run = run(1);
            assertTrue(run.err().startsWith("error: " + error), run::toString);
        });
        TestDatabase.write(workspace.resolve("seeds/weights.yaml"), "table: weights\nkey: code\nrows: weights.csv\n");
        TestDatabase.write(workspace.resolve("seeds/weights.csv"), "code,weight,history\na,1.5,\"{1.25,2}\"\nb,2,\"{1.5,2.125}\"\n");
        var run = run(1);
        assertTrue(run.err().startsWith("error: seeds/weights.csv:3:5: history is numeric(6,2)[], which keeps 2 decimals: 2.125 would "
                + "be stored as 2.13"), run::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "nothing was written");
    }

    @Test
    void keys_are_reported_as_the_database_stores_them() {
        TestDatabase.write(workspace.resolve("migrations/V2__http_statuses.sql"),
                "CREATE TABLE http_statuses (code integer PRIMARY KEY, reason text NOT NULL);\n");
        TestDatabase.write(workspace.resolve("seeds/http_statuses.yaml"), """
                table: http_statuses
                key: code
                rows:
                  - {code: 2_00, reason: OK}
                  - {code: 0404, reason: Not Found}
                """);

        var run = runOk();

        assertTrue(run.out().contains("    + 200\n    + 404\n"), run::toString);
        assertEquals("OK|Not Found", db.text("SELECT string_agg(reason, '|' ORDER BY code) FROM http_statuses"));
    }

    @Test
    void changed_values_of_every_type_are_reported_old_and_new() {
        runOk();
        TestDatabase.write(workspace.resolve("seeds/samples.yaml"), SEEDS
                .replace("settings: {b: 2, a: [1, 2.50, \"x\"], nested: {ok: true, none: null}}", "settings: {b: 3}")
                .replace("tags: [alpha, ", "tags: [omega, ")
                .replace("at: 2026-01-21T10:00:00+01:00", "at: 2026-01-22T10:00:00+01:00"));

        var run = runOk();

        assertTrue(run.out().contains("0 inserted, 1 updated, 3 unchanged"), run::toString);
        assertTrue(run.out().contains("~ full  settings: {\"a\": [1, 2.50, \"x\"], \"b\": 2, \"nested\": {\"ok\": true, \"none\"… → {\"b\": 3}"), run::toString);
        assertTrue(run.out().contains("at: 2026-01-21 09:00:00+00 → 2026-01-22 09:00:00+00"), run::toString);
        assertTrue(run.out().contains("tags: {alpha,\"beta, gamma\""), run::toString);
    }

    // ── keys in a case-insensitive (nondeterministic) collation: two spellings may be one key ──

    private static final String CASE_INSENSITIVE = "CREATE COLLATION case_insensitive (provider = icu, "
            + "locale = 'und-u-ks-level2', deterministic = false);";

    @Test
    void two_spellings_of_one_key_under_its_collation_are_a_key_given_twice_in_yaml_and_in_csv() {
        run(0);
        db.execute(CASE_INSENSITIVE + "CREATE TABLE codes (code text COLLATE case_insensitive PRIMARY KEY, val text);"
                + "INSERT INTO codes VALUES ('a', 'P');");
        String before = db.snapshot();
        seeds("codes.yaml", "table: codes\nkey: code\nrows:\n  - {code: a, val: P}\n  - {code: A, val: Q}\n");
        var yaml = run(1);
        assertTrue(yaml.err().contains("codes.yaml") && yaml.err().contains("twice"), yaml::toString);
        assertEquals(before, db.snapshot(), "nothing was written");
        seeds("codes.yaml", "table: codes\nkey: code\nrows: codes.csv\n");
        seeds("codes.csv", "code,val\na,P\nA,Q\n");
        var csv = run(1);
        assertTrue(csv.err().contains("codes.csv") && csv.err().contains("twice"), csv::toString);
        assertEquals(before, db.snapshot(), "nothing was written");
        // One spelling of it finds the row the other stored.
        seeds("codes.csv", "code,val\nA,Q\n");
        run(0);
        assertEquals("a|Q", db.text("SELECT code || '|' || val FROM codes"));
    }

    /**
     * A value that changes only its case is a change, in a case-insensitive collation and as citext
     * (whose = ignores it): the table holds what the file says, and the next run finds it in sync.
     */
    @Test
    void a_value_whose_case_alone_changes_is_written_in_a_case_insensitive_column_and_as_citext() {
        run(0);
        db.execute(CASE_INSENSITIVE + "CREATE EXTENSION IF NOT EXISTS citext; CREATE TABLE codes (code text PRIMARY KEY, "
                + "name text COLLATE case_insensitive, tags text[] COLLATE case_insensitive, title citext, aliases citext[]);"
                + "INSERT INTO codes VALUES ('a', 'Alice', '{x,Y}', 'Dr', '{p}');");
        seeds("codes.yaml", "table: codes\nkey: code\nrows:\n  - {code: a, name: ALICE, tags: [X, y], title: DR, aliases: [P]}\n");
        var run = runOk();
        assertTrue(run.out().contains("0 inserted, 1 updated, 0 unchanged"), run::toString);
        assertTrue(run.out().contains("name: Alice → ALICE") && run.out().contains("title: Dr → DR"), run::toString);
        assertEquals("ALICE|{X,y}|DR|{P}", db.text("SELECT name || '|' || tags::text || '|' || title || '|' || aliases::text FROM codes"));
        var again = runOk("--full");
        assertTrue(again.out().contains("0 inserted, 0 updated, 1 unchanged"), again::toString);
    }

    /**
     * A proof vouches for what the comparison of the run that took it found: one taken by a tool
     * that compared a column by its = (ALICE equal to Alice) must not let a tool that compares it
     * byte for byte skip the file. The proof's fingerprint holds how each column is compared; here
     * a proof is made as that older tool made it (its fingerprint without that part, over the file
     * as it is now, the table untouched since), and the run compares, and writes, all the same.
     */
    @Test
    void a_proof_taken_by_a_tool_that_compared_a_column_otherwise_does_not_let_the_file_be_skipped() {
        run(0);
        db.execute(CASE_INSENSITIVE + "CREATE TABLE codes (code text PRIMARY KEY, name text COLLATE case_insensitive);");
        seeds("codes.yaml", "table: codes\nkey: code\nrows:\n  - {code: a, name: Alice}\n");
        runOk();
        assertTrue(runOk().out().contains("(not compared: file and table as the last run left them)"), "the proof holds");
        String text = "table: codes\nkey: code\nrows:\n  - {code: a, name: ALICE}\n";
        seeds("codes.yaml", text);
        String table = db.text("SELECT table_name FROM seed_history_proofs WHERE file = 'codes.yaml'");
        String older = SeedFile.sha256(String.join("\n", Config.VERSION, "development",
                SeedFile.sha256(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)), table, "code", "", "")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        db.execute("UPDATE seed_history_proofs SET fingerprint = '" + older + "' WHERE file = 'codes.yaml'");
        var run = runOk();
        assertTrue(run.out().contains("0 inserted, 1 updated, 0 unchanged"), run::toString);
        assertEquals("ALICE", db.text("SELECT name FROM codes"));
    }

    @Test
    void an_index_unique_byte_for_byte_over_a_case_insensitive_column_is_no_key_for_it() {
        // Under the column's =, the key a would find both a and A.
        run(0);
        db.execute(CASE_INSENSITIVE + "CREATE TABLE codes (id serial PRIMARY KEY, code text COLLATE case_insensitive NOT NULL, "
                + "val text); CREATE UNIQUE INDEX codes_code ON codes (code COLLATE \"C\"); "
                + "INSERT INTO codes (code, val) VALUES ('A', 'same'), ('a', 'same');");
        String before = db.snapshot();
        seeds("codes.yaml", "table: codes\nkey: code\nrows:\n  - {code: a, val: other}\n");
        var run = run(1);
        assertTrue(run.err().contains("codes.yaml") && run.err().contains("not unique"), run::toString);
        assertEquals(before, db.snapshot(), "nothing was written");
    }

    @Test
    void an_index_unique_case_insensitively_over_a_column_that_is_not_is_a_key_for_it() {
        // Stricter than the column's =: no two rows are the same text, so a key finds at most one row.
        run(0);
        db.execute(CASE_INSENSITIVE + "CREATE TABLE codes (code text NOT NULL, val text); "
                + "CREATE UNIQUE INDEX codes_code ON codes (code COLLATE case_insensitive);");
        seeds("codes.yaml", "table: codes\nkey: code\nrows:\n  - {code: a, val: x}\n");
        run(0);
        seeds("codes.yaml", "table: codes\nkey: code\nrows:\n  - {code: a, val: y}\n");
        run(0);
        assertEquals("a|y", db.text("SELECT string_agg(code || '|' || val, ',') FROM codes"));
    }

    @Test
    void a_row_is_owned_by_its_key_as_the_table_holds_it_so_a_file_that_spells_the_key_otherwise_still_removes_it() {
        run(0);
        // 1.00 and 1.0 are one numeric key; the table holds it as 1.0.
        db.execute("CREATE TABLE rates (code numeric PRIMARY KEY, name text, is_active boolean NOT NULL DEFAULT true);"
                + "INSERT INTO rates VALUES (1.0, 'one', true);");
        seeds("rates.yaml", "table: rates\nkey: code\nremoval: {deactivate: is_active}\nrows:\n  - {code: 1.00, name: uno}\n"
                + "  - {code: 2, name: two}\n");
        run(0);
        assertEquals("1.0|uno", db.text("SELECT code || '|' || name FROM rates WHERE code = 1"));
        seeds("rates.yaml", "table: rates\nkey: code\nremoval: {deactivate: is_active}\nrows:\n  - {code: 2, name: two}\n");
        var removed = run(0);
        assertTrue(removed.out().contains("1 deactivated"), removed::toString);
        assertEquals("false", db.text("SELECT is_active::text FROM rates WHERE code = 1"));
    }

    /**
     * Which rows a file owns is kept by their keys' text, and a key's text depends on settings of
     * the database (an interval's on IntervalStyle, a bytea's on bytea_output): a database that
     * changes them must not make a file's own rows look like rows it no longer lists.
     */
    @Test
    void a_database_that_prints_its_keys_otherwise_leaves_the_rows_a_file_owns_its_own() {
        run(0);
        db.execute("CREATE TABLE windows (span interval PRIMARY KEY, name text, is_active boolean NOT NULL DEFAULT true);"
                + "CREATE TABLE blobs (tag bytea PRIMARY KEY, name text, is_active boolean NOT NULL DEFAULT true);");
        seeds("windows.yaml", "table: windows\nkey: span\nremoval: {deactivate: is_active}\nrows:\n"
                + "  - {span: 1 day 02:00:00, name: one}\n  - {span: 30 minutes, name: two}\n");
        seeds("blobs.yaml", "table: blobs\nkey: tag\nremoval: {deactivate: is_active}\nrows:\n"
                + "  - {tag: '\\x01ff', name: one}\n  - {tag: '\\x02', name: two}\n");
        run(0);
        String database = Catalog.quote(db.text("SELECT current_database()"));
        db.execute("ALTER DATABASE " + database + " SET IntervalStyle = 'iso_8601'");
        db.execute("ALTER DATABASE " + database + " SET bytea_output = 'escape'");
        var rerun = run(0);
        assertFalse(rerun.out().contains("deactivated"), rerun::toString);
        assertEquals("2", db.text("SELECT count(*) FROM windows WHERE is_active"), rerun::toString);
        assertEquals("2", db.text("SELECT count(*) FROM blobs WHERE is_active"), rerun::toString);
        seeds("windows.yaml", "table: windows\nkey: span\nremoval: {deactivate: is_active}\nrows:\n  - {span: 30 minutes, name: two}\n");
        var dropped = run(0);
        assertTrue(dropped.out().contains("1 deactivated"), dropped::toString);
        assertEquals("false", db.text("SELECT is_active::text FROM windows WHERE span = '1 day 2 hours'"));
    }
}
