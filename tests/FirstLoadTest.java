import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.Test;

/**
 * A first load COPYed straight into its empty table (FirstLoad) against the staged path, which a
 * table that is not empty, or has a trigger, takes: the same table, report, history and ownership
 * records, and every refusal worded as the staged path words it, with nothing written.
 */
class FirstLoadTest extends FreshProject {

    static final String SCHEMA = """
            CREATE TABLE markets (id serial PRIMARY KEY, mic text NOT NULL UNIQUE);
            INSERT INTO markets (mic) VALUES ('XNYS'), ('XNAS');
            CREATE TABLE instruments (
                id        bigserial PRIMARY KEY,
                symbol    text           NOT NULL UNIQUE,
                name      text           NOT NULL,
                market_id integer        REFERENCES markets (id),
                currency  char(3)        NOT NULL,
                tick_size numeric(12, 6) NOT NULL,
                lot_size  integer        NOT NULL DEFAULT 1 CHECK (lot_size > 0),
                listed_on date,
                note      text
            );
            """;

    static final String HEADER = "symbol,name,market_id,currency,tick_size,lot_size,listed_on,note\n";

    /** A statement trigger that does nothing: the table's rows stay the same, but the file takes the staged path. */
    static final String NO_OP_TRIGGER = """
            CREATE FUNCTION nothing() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
            CREATE TRIGGER nothing AFTER INSERT ON instruments FOR EACH STATEMENT EXECUTE FUNCTION nothing();
            """;

    FirstLoadTest() {
        super(Map.of(
                "migrations/V1__market.sql", SCHEMA,
                "seeds/instruments.yaml", "table: instruments\nkey: symbol\nrows: instruments.csv\nremoval: delete\n"));
    }

    void csv(String text) {
        TestDatabase.write(workspace.resolve("seeds/instruments.csv"), text);
    }

    /** More rows than a report lists, with quoting, a line break in a value, NaN, exponents and NULLs. */
    static String manyRows(int n) {
        var text = new StringBuilder(HEADER);
        for (int i = 1; i <= n; i++) {
            String tick = switch (i % 5) {
                case 0 -> "0.01";
                case 1 -> "1.5e-3";
                case 2 -> "0.010000000";
                case 3 -> i == 3 ? "NaN" : "+.5";
                default -> " 2 ";
            };
            text.append(String.format("S%05d,\"Instrument %d, Class %c\",%s,USD,%s,%s,%s,%s%n", i, i, 'A' + i % 26,
                    i % 7 == 0 ? "" : String.valueOf(1 + i % 2), tick, i % 3 == 0 ? "100" : "1",
                    i % 4 == 0 ? "2026-01-0" + (1 + i % 9) : "", i == 5 ? "\"two\nlines\"" : i % 6 == 0 ? "\"\"" : ""));
        }
        return text.toString();
    }

    /** What a seed leaves, but for the times: the table, the history, the ownership records. */
    String state() {
        return db.query("SELECT t::text AS row FROM instruments t ORDER BY id") + "\n"
                + db.query("SELECT file, checksum, table_name, inserted, updated, unchanged, deactivated, deleted, not_in_file, "
                + "changes::text AS changes, changes_complete FROM seed_history ORDER BY id") + "\n"
                + db.query("SELECT table_name, file, listing, owned, pending::text AS pending FROM seed_history_listings") + "\n"
                + db.query("SELECT count(*) AS owned FROM seed_history_rows");
    }

    /** The report as JSON, without its durations. */
    static JsonNode withoutDurations(JsonNode json) {
        if (json instanceof ObjectNode object) {
            object.remove("duration_ms");
        }
        json.forEach(FirstLoadTest::withoutDurations);
        return json;
    }

    /** A seed of the file: the report, and whether it went straight into the table. */
    record Seeded(JsonNode report, boolean direct) {}

    Seeded seed() {
        int before = FirstLoad.LOADED.get();
        var run = run(0, "seed", "--json");
        return new Seeded(withoutDurations(run.json()), FirstLoad.LOADED.get() > before);
    }

    @Test
    void a_direct_first_load_gives_the_table_report_and_history_of_the_staged_path() {
        csv(manyRows(10_050));
        run(0, "migrate");
        var direct = seed();
        String directState = state();
        assertTrue(direct.direct(), "an empty table, a plain CSV file: COPY straight into the table");
        assertEquals(10_050, db.count("SELECT count(*) FROM instruments"));
        assertEquals(Results.FileOutcome.DETAIL_LIMIT, direct.report().at("/seeds/0/changes").size(), direct.report()::toString);
        assertEquals("two\nlines", db.text("SELECT note FROM instruments WHERE symbol = 'S00005'"));
        assertEquals("NaN", db.text("SELECT tick_size::text FROM instruments WHERE symbol = 'S00003'"));

        db.recreate();
        run(0, "migrate");
        db.execute(NO_OP_TRIGGER);
        var staged = seed();
        assertTrue(!staged.direct(), "a table with a trigger takes the staged path");
        assertEquals(staged.report().toString(), direct.report().toString());
        assertEquals(state(), directState);

        // Into a table with one row the file does not list: the staged path, and the same rows written.
        db.recreate();
        run(0, "migrate");
        db.execute("INSERT INTO instruments (id, symbol, name, currency, tick_size) VALUES (99999, 'ZZZ', 'Other', 'EUR', 1)");
        assertTrue(!seed().direct(), "a table with rows takes the staged path");
        db.execute("DELETE FROM instruments WHERE symbol = 'ZZZ'");
        assertEquals(directState.substring(0, directState.indexOf('\n')), state().substring(0, state().indexOf('\n')));
    }

    @Test
    void a_rerun_and_a_plan_take_the_staged_path() {
        csv(manyRows(20));
        run(0, "migrate");
        assertTrue(seed().direct());
        var rerun = seed();
        assertTrue(!rerun.direct());
        assertEquals(0, rerun.report().at("/seeds/0/inserted").asLong(), rerun.report()::toString);
        db.execute("DELETE FROM instruments");
        int before = FirstLoad.LOADED.get();
        var plan = run(0, "plan");
        assertEquals(before, FirstLoad.LOADED.get(), "a plan stages");
        assertTrue(plan.out().contains("20 inserted") || plan.out().contains("20 to insert"), plan::toString);
        assertEquals(0, db.count("SELECT count(*) FROM instruments"));
    }

    /**
     * Every refusal of the direct path: rolled back, the staged path words it exactly as it would
     * have (the same exit code, message, file and line), and nothing is written.
     */
    @Test
    void every_refusal_is_the_staged_paths_error_and_nothing_is_written() {
        run(0, "migrate");
        var good = "A1,Alpha,1,USD,0.01,1,,\n";
        var cases = List.of(
                good + "A2,,1,USD,0.01,1,,\n",                              // NOT NULL
                good + "A1,Again,1,USD,0.01,1,,\n",                         // the key twice
                good + "A2,Beta,1,USD,0.01,many,,\n",                       // a value that does not parse
                good + "A2,Beta,1,USD,0.01,0,,\n",                          // CHECK
                good + "A2,Beta,99,USD,0.01,1,,\n",                         // foreign key
                good + "A2,Beta,1,USDX,0.01,1,,\n",                         // too long for char(3)
                good + "A2,Beta,1,USD,0.01,1\n",                            // too few fields
                good + "A2,Beta,1,USD,0.0000005,1,,\n",                     // more decimals than numeric(12,6) keeps
                good + "A2,Beta,1,USD,Infinity,1,,\n",                      // a value numeric(12,6) cannot hold
                good + ",Beta,1,USD,0.01,1,,\n");                           // no key
        for (var body : cases) {
            csv(HEADER + body);
            int before = FirstLoad.LOADED.get();
            var direct = run("seed");
            assertEquals(before, FirstLoad.LOADED.get(), "refused: " + body);
            assertEquals(0, db.count("SELECT count(*) FROM instruments"), body);
            assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'seed_history%'"), body);
            db.execute(NO_OP_TRIGGER);
            var staged = run("seed");
            db.execute("DROP TRIGGER nothing ON instruments; DROP FUNCTION nothing()");
            assertTrue(direct.exitCode() != 0, direct::toString);
            assertEquals(staged.exitCode(), direct.exitCode(), body);
            assertEquals(staged.err(), direct.err(), body);
            assertTrue(direct.err().contains("Nothing was written"), direct::toString);
        }
    }

    /** What the staged path adds to the rows, or checks beyond the table's constraints, keeps a first load staged. */
    @Test
    void a_file_whose_rows_the_staged_path_completes_is_staged() {
        run(0, "migrate");
        csv(HEADER.replace(",note\n", "\n") + "A1,Alpha,1,USD,0.01,1,\n");
        var seeds = workspace.resolve("seeds/instruments.yaml");
        for (var yaml : List.of(
                "table: instruments\nkey: symbol\nrows: instruments.csv\ndefaults: {note: from defaults}\n",
                "table: instruments\nkey: symbol\nrows: instruments.csv\ndefaults: {note: \"${NOTE}\"}\n",
                "table: instruments\nkey: symbol\nrows: instruments.csv\ngenerate: {note: uuid}\n")) {
            TestDatabase.write(seeds, yaml);
            int before = FirstLoad.LOADED.get();
            var seeded = run(Map.of("NOTE", "secret"), "seed");
            assertEquals(0, seeded.exitCode(), seeded::toString);
            assertEquals(before, FirstLoad.LOADED.get(), yaml);
            assertTrue(db.text("SELECT note FROM instruments").length() > 0, yaml);
            db.execute("DELETE FROM instruments; DROP TABLE IF EXISTS seed_history, seed_history_secrets, seed_history_listings, seed_history_rows");
        }
        // Another seed file of the same table (its keys are checked against this file's stage).
        TestDatabase.write(seeds, "table: instruments\nkey: symbol\nrows: instruments.csv\n");
        seeds("more_instruments.yaml", "table: instruments\nkey: symbol\nrows:\n  - {symbol: A1, name: Again, currency: EUR, tick_size: 1}\n");
        int before = FirstLoad.LOADED.get();
        var clash = run("seed");
        assertEquals(before, FirstLoad.LOADED.get());
        assertTrue(clash.err().contains("the key A1 is also given by"), clash::toString);
    }

    /** Rows after values of several lines: their lines are known without a number kept for each row. */
    @Test
    void errors_name_the_lines_of_rows_after_values_of_several_lines() {
        run(0, "migrate");
        String rows = "A1,Alpha,1,USD,0.01,1,,\"one\ntwo\nthree\"\nA2,Beta,1,USD,0.01,1,,\nA3,Gamma,1,USD,0.01,1,,\"x\ny\"\n";
        csv(HEADER + rows + "A4,Delta,1,USD,0.01,zero,,\n");
        var refused = run("seed");
        assertTrue(refused.err().contains("instruments.csv:8:") && refused.err().contains("lot_size"), refused::toString);
        csv(HEADER + rows + "A4,Delta,1,USD,0.01,1,,\n");
        assertTrue(seed().direct());
        // A rerun: the staged path, whose keys are hashed on their way to COPY.
        csv(HEADER + rows + "A4,Delta,1,USD,0.01,1,,\nA2,Again,1,USD,0.01,1,,\n");
        var twice = run("seed");
        assertTrue(twice.err().contains("instruments.csv:9:1: the key A2 is given twice (rows at lines 5 and 9)"), twice::toString);
    }

    @Test
    void the_decimals_of_a_field_are_counted_as_values_counts_them() {
        for (var text : List.of("1", "-1.5", "+.5", "5.", "0.000", "1.500000", "1.5000001", "12.3456789", "1e-7", "1.5E2",
                " 1.2 ", "NaN", "nan", "Infinity", "-inf", "", "-", ".", "1.2.3", "0x10", "1_000")) {
            var bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            for (int scale : new int[]{0, 1, 6}) {
                assertEquals(Values.keepsDecimals(text, scale), FirstLoad.keepsDecimals(bytes, bytes.length, scale), text + " at " + scale);
            }
        }
        assertTrue(!Values.keepsDecimals("Infinity", 6) && Values.keepsDecimals("NaN", 6) && !Values.keepsDecimals("1.0000005", 6));
    }

    /** A refusal while the file is still streaming (at line 12: row 5 takes two lines): the staged path's error all the same. */
    @Test
    void a_refusal_early_in_a_large_file_is_the_staged_paths_error() {
        run(0, "migrate");
        csv(manyRows(200_000).replace("\nS00010,\"Instrument 10, Class K\",1,USD,0.01,1,", "\nS00010,\"Instrument 10, Class K\",1,USD,0.01,0,"));
        int before = FirstLoad.LOADED.get();
        var direct = run("seed");
        assertEquals(before, FirstLoad.LOADED.get());
        db.execute(NO_OP_TRIGGER);
        var staged = run("seed");
        assertTrue(direct.err().contains("instruments.csv:12:") && direct.err().contains("lot_size"), direct::toString);
        assertEquals(staged.err(), direct.err());
        assertEquals(0, db.count("SELECT count(*) FROM instruments"));
    }

    @Test
    void a_value_numeric_would_round_is_refused_not_rounded() {
        run(0, "migrate");
        csv(HEADER + "A1,Alpha,1,USD,0.01,1,,\nA2,Beta,1,USD,1.0000005,1,,\n");
        var refused = run("seed");
        assertTrue(refused.err().contains("instruments.csv:3") && refused.err().contains("tick_size is numeric(12,6), which keeps 6 decimals: "
                + "1.0000005 would be stored as 1.000001"), refused::toString);
        assertEquals(0, db.count("SELECT count(*) FROM instruments"));

        csv(HEADER + "A1,Alpha,1,USD,1.000000e-1,1,,\nA2,Beta,1,USD,-12345.1234560,1,,\nA3,Gamma,2,USD,nan,1,,\n");
        assertTrue(seed().direct(), "values with no more decimals than the column keeps go straight in");
        assertEquals(List.of(Map.of("t", "0.100000"), Map.of("t", "-12345.123456"), Map.of("t", "NaN")),
                db.query("SELECT tick_size::text AS t FROM instruments ORDER BY id"));
    }
}
