import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * A YAML seed file too large to hold (over YamlRows.STREAMED_BYTES) is read as a stream: the same
 * rows, values, positions and errors as a small one. (Its memory is measured by bench/run.)
 */
class LargeSeedTest extends FreshProject {

    static final int ROWS = 95_000;

    LargeSeedTest() {
        super(Map.of(
                "migrations/V1__instruments.sql", """
                        CREATE TABLE instruments (
                            id        serial  PRIMARY KEY,
                            symbol    text    NOT NULL UNIQUE,
                            name      text    NOT NULL,
                            currency  char(3) NOT NULL,
                            tick_size numeric(12, 6) NOT NULL,
                            tags      text[],
                            meta      jsonb
                        );
                        """));
    }

    @Override
    Map<String, String> environment() {
        return Map.of("FEED", "from-the-environment");
    }

    /** ROWS rows of about 92 bytes: a file of about 8.7 MB. Row i is on line i + 5. */
    static String yaml(java.util.function.IntFunction<String> extra) {
        var text = new StringBuilder("table: instruments\nkey: symbol\ndefaults: {currency: USD}\n# the rows\nrows:\n");
        for (int i = 1; i <= ROWS; i++) {
            text.append("  - {symbol: S").append(i).append(", name: \"Instrument ").append(i).append(", Class A\", tick_size: 0.0")
                    .append(i % 9 + 1).append(", tags: [a, \"b, c\"]").append(extra.apply(i)).append("}\n");
        }
        return text.toString();
    }

    void seeds(String text) {
        TestDatabase.write(workspace.resolve("seeds/instruments.yaml"), text);
        assertTrue(text.length() > YamlRows.STREAMED_BYTES, "large enough to be read as a stream: " + text.length());
    }

    @Test
    void a_large_yaml_file_is_read_as_a_stream_with_the_same_rows_as_a_csv_file_of_them() {
        seeds(yaml(i -> i == 1 ? ", meta: &shared {feed: \"${FEED}\", n: [1, 2.50]}" : i == 80_000 ? ", meta: *shared" : ""));

        var run = run(0);

        assertTrue(run.out().contains("instruments.yaml → instruments: " + ROWS + " inserted"), run::toString);
        assertEquals("Instrument 80000, Class A|{a,\"b, c\"}|{\"n\": [1, 2.50], \"feed\": \"from-the-environment\"}|0.090000",
                db.text("SELECT concat_ws('|', name, tags, meta, tick_size) FROM instruments WHERE symbol = 'S80000'"),
                "an alias to an anchor of an earlier row, a value from the environment, a default");
        assertEquals("USD", db.text("SELECT currency FROM instruments WHERE symbol = 'S90000'"));

        // The same rows as CSV: nothing to change, so the two readings agree value for value.
        var csv = new StringBuilder("symbol,name,currency,tick_size,tags,meta\n");
        for (int i = 1; i <= ROWS; i++) {
            csv.append("S").append(i).append(",\"Instrument ").append(i).append(", Class A\",USD,0.0").append(i % 9 + 1)
                    .append(",\"{a,\"\"b, c\"\"}\",").append(i == 1 || i == 80_000 ? "\"{\"\"feed\"\": \"\"from-the-environment\"\", \"\"n\"\": [1, 2.5]}\"" : "")
                    .append('\n');
        }
        TestDatabase.write(workspace.resolve("seeds/instruments.csv"), csv.toString());
        TestDatabase.write(workspace.resolve("seeds/instruments.yaml"), "table: instruments\nkey: symbol\nrows: instruments.csv\n");
        var same = run(0);
        assertTrue(same.out().contains("instruments: 0 inserted, 0 updated, " + ROWS + " unchanged"), same::toString);
    }

    @Test
    void an_error_deep_in_a_large_yaml_file_names_its_line_and_nothing_is_written() {
        String text = yaml(i -> "");
        seeds(text.replace("{symbol: S85000, name: \"Instrument 85000, Class A\", tick_size: 0.05",
                "{symbol: S85000, name: \"Instrument 85000, Class A\", tick_size: abc"));
        var bad = run(1);
        assertTrue(bad.err().startsWith("error: seeds/instruments.yaml:85005:"), bad::toString);
        assertTrue(bad.err().contains("tick_size (numeric(12,6)): invalid input syntax for type numeric: \"abc\""), bad::toString);

        seeds(text.replace("  - {symbol: S85000,", "  - {symbol: S84999,"));
        var twice = run(1);
        assertTrue(twice.err().startsWith("error: seeds/instruments.yaml:85005:5: the key S84999 is given twice (rows at lines "
                + "85004 and 85005)"), twice::toString);

        seeds(text.replace("  - {symbol: S70000, name", "  - {symbol: S70000, nmae"));
        var unknown = run(1);
        assertTrue(unknown.err().startsWith("error: seeds/instruments.yaml:70005:22: table instruments has no column \"nmae\"; "
                + "did you mean \"name\"?"), unknown::toString);

        seeds(text.replace("tags: [a, \"b, c\"]}\n  - {symbol: S60000", "tags: [a, \"b, c\"]\n  - {symbol: S60000"));
        var syntax = run(1);
        assertTrue(syntax.err().startsWith("error: seeds/instruments.yaml:60005:"), syntax::toString);
        assertTrue(syntax.err().contains("invalid YAML"), syntax::toString);

        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'instruments'"), "nothing was written");
    }

    /**
     * Removal joins the table, the stage and the ownership table, none of which has statistics
     * after a large write (autovacuum off or late): planned for one row, those joins were nested
     * loops, and 20,000 rows took 27 s to deactivate one (quadratic). They are planned without
     * nested loops now. The bound is hang detection, far above a linear run (bench/run measures
     * speed): quadratic, 40,000 rows would take minutes per run.
     */
    @Test
    void removal_of_one_row_of_40000_without_statistics_is_as_quick_as_a_rerun() {
        int rows = 40_000;
        TestDatabase.write(workspace.resolve("migrations/V2__active.sql"),
                "ALTER TABLE instruments ADD COLUMN is_active boolean NOT NULL DEFAULT true;\n");
        java.util.function.IntFunction<String> csv = missing -> {
            var text = new StringBuilder("symbol,name,currency,tick_size\n");
            for (int i = 1; i <= rows; i++) {
                if (missing == 0 || i != missing && i != 20_000 - missing) {
                    text.append('S').append(i).append(",\"Instrument ").append(i).append(", Class A\",USD,0.01\n");
                }
            }
            return text.toString();
        };
        TestDatabase.write(workspace.resolve("seeds/instruments.yaml"),
                "table: instruments\nkey: symbol\nrows: instruments.csv\nremoval: deactivate\n");
        TestDatabase.write(workspace.resolve("seeds/instruments.csv"), csv.apply(0));
        var first = run(0);
        assertTrue(first.out().contains("instruments: " + rows + " inserted"), first::toString);
        // No statistics, whatever the server's autovacuum does: none now, and none later.
        for (String table : List.of("instruments", "seed_history_rows")) {
            db.execute("ALTER TABLE " + table + " SET (autovacuum_enabled = false)");
            db.execute("DELETE FROM pg_statistic WHERE starelid = '" + table + "'::regclass");
        }

        var rerun = timed(() -> run(0));
        assertTrue(rerun.out().contains("instruments: 0 inserted, 0 updated, " + rows + " unchanged"), rerun::toString);

        TestDatabase.write(workspace.resolve("seeds/instruments.csv"), csv.apply(12_345));
        var deactivated = timed(() -> run(0));
        assertTrue(deactivated.out().contains("instruments: 0 inserted, 0 updated, " + (rows - 2) + " unchanged, 2 deactivated"),
                deactivated::toString);
        assertEquals("S12345 false|S7655 false", db.text("SELECT string_agg(symbol || ' ' || is_active, '|' ORDER BY symbol) "
                + "FROM instruments WHERE NOT is_active"));

        TestDatabase.write(workspace.resolve("seeds/instruments.yaml"),
                "table: instruments\nkey: symbol\nrows: instruments.csv\nremoval: delete\n");
        TestDatabase.write(workspace.resolve("seeds/instruments.csv"), csv.apply(12_346));
        var deleted = timed(() -> run(0));
        // (Deleting, the file no longer sets is_active: the rows it deactivated stay as they are.)
        assertTrue(deleted.out().contains("instruments: 0 inserted, 0 updated, " + (rows - 2) + " unchanged, 2 deleted"),
                deleted::toString);
        assertEquals(rows - 2, db.count("SELECT count(*) FROM instruments"));
        assertEquals(rows - 2, db.count("SELECT count(*) FROM seed_history_rows"), "the deleted rows are no longer owned");
        assertEquals(0, db.count("SELECT count(*) FROM seed_history_rows WHERE row_key IN ('S12346', 'S7654')"));
    }

    private static TestDatabase.Run timed(java.util.function.Supplier<TestDatabase.Run> run) {
        long started = System.nanoTime();
        var result = run.get();
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        assertTrue(seconds < 60, "a run with removal took " + seconds + " s: " + result);
        return result;
    }

    @Test
    void rows_for_other_environments_are_left_out_and_counted() {
        seeds(yaml(i -> i % 3 == 0 ? ", _environments: [development]" : ""));

        var production = run(0, "--env", "production");

        assertTrue(production.out().contains("instruments: " + (ROWS - ROWS / 3) + " inserted, 0 updated, 0 unchanged ("
                + ROWS / 3 + " rows for other environments)"), production::toString);
        assertEquals(ROWS - ROWS / 3, db.count("SELECT count(*) FROM instruments"));
    }
}
