import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Seed files whose rows are in a CSV file beside them: the same run as for YAML rows, read as a stream. */
class CsvSeedTest extends FreshProject {

    static final String SCHEMA = """
            CREATE TABLE exchanges (id serial PRIMARY KEY, mic text NOT NULL UNIQUE, name text NOT NULL);
            CREATE TYPE asset_class AS ENUM ('equity', 'etf', 'future');
            CREATE TABLE instruments (
                id          serial  PRIMARY KEY,
                symbol      text    NOT NULL UNIQUE,
                name        text    NOT NULL,
                exchange_id integer NOT NULL REFERENCES exchanges (id),
                currency    char(3) NOT NULL,
                tick_size   numeric(12, 6) NOT NULL,
                lot_size    integer NOT NULL DEFAULT 1 CHECK (lot_size > 0),
                is_active   boolean NOT NULL DEFAULT true,
                class       asset_class,
                listed_on   date,
                tags        text[],
                meta        jsonb,
                note        text
            );
            """;

    static final String HEADER = "symbol,name,exchange_id.mic,currency,tick_size,lot_size,is_active,class,listed_on,tags,meta,note\n";

    CsvSeedTest() {
        super(Map.of(
                "migrations/V1__market.sql", SCHEMA,
                "seeds/exchanges.yaml", """
                        table: exchanges
                        key: mic
                        rows:
                          - {mic: XNYS, name: New York Stock Exchange}
                          - {mic: XNAS, name: Nasdaq}
                        """,
                "seeds/instruments.yaml", "table: instruments\nkey: symbol\nrows: instruments.csv\n"));
    }

    void csv(String text) {
        TestDatabase.write(workspace.resolve("seeds/instruments.csv"), text);
    }

    @Test
    void every_type_quoting_and_empty_fields_as_copy_reads_them() {
        csv(HEADER
                + "AAPL,Apple Inc.,XNAS,USD,0.01,100,true,equity,1980-12-12,\"{tech,\"\"large cap\"\"}\",\"{\"\"sector\"\": \"\"tech\"\"}\",\n"
                + "IBM,\"International Business Machines, Corp.\",XNYS,USD,0.010,100,t,equity,,{},{},\"\"\n"
                + "ES,\"E-mini \"\"S&P\"\" 500\",XNYS,USD,0.25,1,false,future,2026-03-20,,,\"two\nlines\"\n");

        var run = run(0);

        assertTrue(run.out().contains("instruments.yaml → instruments: 3 inserted, 0 updated, 0 unchanged"), run::toString);
        assertEquals(List.of(
                Map.of("symbol", "AAPL", "name", "Apple Inc.", "mic", "XNAS", "tick", "0.010000", "active", true,
                        "tags", "{tech,\"large cap\"}", "meta", "{\"sector\": \"tech\"}", "listed", "1980-12-12", "note", "NULL"),
                Map.of("symbol", "ES", "name", "E-mini \"S&P\" 500", "mic", "XNYS", "tick", "0.250000", "active", false,
                        "tags", "NULL", "meta", "NULL", "listed", "2026-03-20", "note", "two\nlines"),
                Map.of("symbol", "IBM", "name", "International Business Machines, Corp.", "mic", "XNYS", "tick", "0.010000",
                        "active", true, "tags", "{}", "meta", "{}", "listed", "NULL", "note", "")),
                db.query("SELECT symbol, i.name, e.mic, tick_size::text AS tick, is_active AS active, coalesce(tags::text, 'NULL') AS tags, "
                        + "coalesce(meta::text, 'NULL') AS meta, coalesce(listed_on::text, 'NULL') AS listed, "
                        + "coalesce(note, 'NULL') AS note FROM instruments i JOIN exchanges e ON e.id = i.exchange_id ORDER BY symbol"));

        var rerun = run(0);
        assertTrue(rerun.out().contains("instruments: 0 inserted, 0 updated, 3 unchanged"), "0.010 is 0.01, t is true:\n" + rerun);
    }

    @Test
    void a_csv_seed_gives_the_same_table_as_the_same_rows_in_yaml() {
        csv(HEADER + "AAPL,Apple Inc.,XNAS,USD,0.01,100,true,equity,1980-12-12,\"{tech,\"\"large cap\"\"}\",\"{\"\"sector\"\": \"\"tech\"\", \"\"n\"\": [1, 2.50]}\",\n"
                + "IBM,IBM,XNYS,USD,0.0100,1,false,,,,,\"\"\n");
        run(0);
        String fromCsv = db.snapshot("seed_history", "seed_history_rows", "seed_history_proofs", "flyway_schema_history");

        db.recreate();
        TestDatabase.deleteTree(workspace.resolve("seeds/instruments.csv"));
        TestDatabase.write(workspace.resolve("seeds/instruments.yaml"), """
                table: instruments
                key: symbol
                rows:
                  - {symbol: AAPL, name: Apple Inc., exchange_id: {mic: XNAS}, currency: USD, tick_size: 0.01, lot_size: 100,
                     is_active: true, class: equity, listed_on: 1980-12-12, tags: [tech, large cap],
                     meta: {sector: tech, n: [1, 2.50]}, note: null}
                  - {symbol: IBM, name: IBM, exchange_id: {mic: XNYS}, currency: USD, tick_size: 0.0100, lot_size: 1,
                     is_active: false, class: null, listed_on: null, tags: null, meta: null, note: ""}
                """);
        run(0);

        assertEquals(fromCsv.replaceAll("(?m)^ +\\d+ ", ""),
                db.snapshot("seed_history", "seed_history_rows", "seed_history_proofs", "flyway_schema_history").replaceAll("(?m)^ +\\d+ ", ""));
    }

    @Test
    void a_price_edit_in_the_csv_file_updates_that_row_only_and_the_history_sees_the_new_checksum() {
        csv(HEADER + "AAPL,Apple Inc.,XNAS,USD,0.01,100,true,,,,,\nIBM,IBM,XNYS,USD,0.01,100,true,,,,,\n");
        run(0);
        String checksum = db.text("SELECT checksum FROM seed_history WHERE file = 'instruments.yaml' ORDER BY id DESC LIMIT 1");
        csv(HEADER + "AAPL,Apple Inc.,XNAS,USD,0.01,100,true,,,,,\nIBM,IBM,XNYS,USD,0.05,100,true,,,,,\n");

        var plan = run(0, "plan");
        assertTrue(plan.out().contains("instruments: 0 to insert, 1 to update, 1 unchanged\n    ~ IBM  tick_size: 0.010000 → 0.050000"),
                plan::toString);
        var edit = run(0);

        assertTrue(edit.out().contains("instruments: 0 inserted, 1 updated, 1 unchanged"), edit::toString);
        assertEquals(3, db.count("SELECT (changes->0->>'line')::int FROM seed_history WHERE file = 'instruments.yaml' ORDER BY id DESC LIMIT 1"),
                "the history points at the line of the CSV file");
        assertTrue(!checksum.equals(db.text("SELECT checksum FROM seed_history WHERE file = 'instruments.yaml' ORDER BY id DESC LIMIT 1")));
    }

    @Test
    void a_bad_value_names_the_csv_file_line_and_column_and_nothing_is_written() {
        String good = HEADER + "AAPL,Apple Inc.,XNAS,USD,0.01,100,true,,,,,\n";
        String before = db.snapshot();

        csv(good + "MSFT,Microsoft,XNAS,USD,abc,100,true,,,,,\n");
        assertError("seeds/instruments.csv:3:25: tick_size (numeric(12,6)): invalid input syntax for type numeric: \"abc\"");
        csv(good + "MSFT,Microsoft,XNAS,USD,0.01,100,true,bond,,,,\n");
        assertError("seeds/instruments.csv:3:39: class (asset_class): invalid input value for enum asset_class: \"bond\"");
        csv(good + "MSFT,Microsoft,XNSA,USD,0.01,100,true,,,,,\n");
        assertError("seeds/instruments.csv:3:16: row MSFT: exchange_id refers to the exchanges row with mic XNSA, and there is "
                + "none; did you mean \"XNAS\"?");
        csv(good + "MSFT,,XNAS,USD,0.01,100,true,,,,,\n");
        assertError("seeds/instruments.csv:3:6: column name is NOT NULL, but this row gives it no value (an empty field; \"\" is empty text)");
        csv(good + ",Microsoft,XNAS,USD,0.01,100,true,,,,,\n");
        assertError("seeds/instruments.csv:3:1: this row has no value for the key column symbol");
        csv(good + "AAPL,Apple again,XNAS,USD,0.01,100,true,,,,,\n");
        assertError("seeds/instruments.csv:3:1: the key AAPL is given twice (rows at lines 2 and 3)");
        csv(good + "\"AAP\"L,Apple quoted,XNAS,USD,0.01,100,true,,,,,\n");
        assertError("seeds/instruments.csv:3:1: the key AAPL is given twice (rows at lines 2 and 3)");
        csv(good + "MSFT,Microsoft,XNAS,USD,0.0100001,100,true,,,,,\n");
        assertError("seeds/instruments.csv:3:25: tick_size is numeric(12,6), which keeps 6 decimals: 0.0100001 would be stored as 0.010000");
        csv(good + "MSFT,Microsoft,XNAS,USD,0.01,0,true,,,,,\n");
        assertError("seeds/instruments.csv:3:30: row MSFT: new row for relation \"instruments\" violates check constraint \"instruments_lot_size_check\"");

        assertEquals(before, db.snapshot());
    }

    @Test
    void a_malformed_csv_file_is_an_error_at_its_line() {
        String good = HEADER + "AAPL,Apple Inc.,XNAS,USD,0.01,100,true,,,,,\n";
        csv(good + "MSFT,Microsoft,XNAS,USD,0.01,100\n");
        assertError("seeds/instruments.csv:3:1: missing data for column \"is_active\". Each row has a field for each column of "
                + "the header (a blank line is a row too); a field that holds a comma is quoted: \"Oslo, Norway\"");
        csv(good + "\nMSFT,Microsoft,XNAS,USD,0.01,100,true,,,,,\n");
        assertError("seeds/instruments.csv:3:1: missing data for column \"name\"");
        csv(good + "MSFT,Microsoft,XNAS,USD,0.01,100,true,,,,,note,extra\n");
        assertError("seeds/instruments.csv:3:1: extra data after last expected column");
        csv(good + "MSFT,\"Microsoft,XNAS,USD,0.01,100,true,,,,,\n");
        assertError("seeds/instruments.csv:3:1: unterminated CSV quoted field");
        TestDatabase.write(workspace.resolve("seeds/instruments.csv"), "");
        assertError("seeds/instruments.csv:1:1: the file is empty; a CSV seed file starts with a header row of column names");
        csv("symbol,nmae\nAAPL,Apple\n");
        assertError("seeds/instruments.csv:1:8: table instruments has no column \"nmae\"; did you mean \"name\"?");
        csv("symbol,name,symbol\n");
        assertError("seeds/instruments.csv:1:13: the header names symbol twice");
        csv("symbol,name,exchange_id.\n");
        assertError("seeds/instruments.csv:1:13: the header field \"exchange_id.\" is neither a column nor column.key");
        try {
            java.nio.file.Files.write(workspace.resolve("seeds/instruments.csv"), new byte[]{'s', 'y', 'm', '\n', (byte) 0xC3, '(', '\n'});
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertError("seeds/instruments.csv:2:1: the file is not valid UTF-8 (line 2 holds a byte sequence that is not UTF-8)");
    }

    @Test
    void a_byte_order_mark_windows_line_ends_and_quotes_are_read_as_copy_reads_them() {
        csv("\uFEFF" + HEADER.replace("\n", "\r\n") + "AAPL,Apple Inc.,XNAS,USD,0.01,100,true,,,,,\r\n"
                + "IBM,\"I\r\nB M\",XNYS,USD,0.01,100,true,,,,,\r\n"
                + "MSFT,\"Micro\"soft,XNAS,USD,0.01,100,true,,,,,\r\n");

        var run = run(0);

        assertTrue(run.out().contains("instruments: 3 inserted"), run::toString);
        assertEquals("I\r\nB M", db.text("SELECT name FROM instruments WHERE symbol = 'IBM'"));
        assertEquals("Apple Inc.", db.text("SELECT name FROM instruments WHERE symbol = 'AAPL'"));
        assertEquals("Microsoft", db.text("SELECT name FROM instruments WHERE symbol = 'MSFT'"), "a quoted stretch inside a field");
        csv(HEADER + "AAPL,Apple Inc.,XNAS,USD,0.01,100,true,,,,,\nIBM,\"I\nB M\",XNYS,USD,0.01,100,true,,,,,\nMSFT,Microsoft,XNAS,USD,0.01,0,true,,,,,\n");
        var refused = run(1);
        assertTrue(refused.err().startsWith("error: seeds/instruments.csv:5:30: row MSFT: new row for relation"), "the line after a "
                + "value with a line break:\n" + refused);
    }

    @Test
    void the_yaml_file_names_a_csv_file_that_is_there_beside_it() {
        TestDatabase.write(workspace.resolve("seeds/instruments.yaml"), "table: instruments\nkey: symbol\nrows: instrument.csv\n");
        csv(HEADER);
        var missing = run(1);
        assertTrue(missing.err().contains("seeds/instruments.yaml:3:7: rows names instrument.csv, which is not there; did you "
                + "mean \"instruments.csv\"?"), missing::toString);

        TestDatabase.write(workspace.resolve("seeds/instruments.yaml"), "table: instruments\nkey: symbol\nrows: ../migrations/x.csv\n");
        var outside = run(1);
        assertTrue(outside.err().contains("rows names ../migrations/x.csv, which is not in the directory of this seed file"),
                outside::toString);

        TestDatabase.write(workspace.resolve("seeds/instruments.yaml"), "table: instruments\nkey: symbol\nrows: instruments.txt\n");
        var notCsv = run(1);
        assertTrue(notCsv.err().contains("rows names \"instruments.txt\": rows is a list of rows, or the name of a CSV file "
                + "(ending in .csv) beside this one"), notCsv::toString);
    }

    @Test
    void defaults_environments_and_removal_work_as_for_yaml_rows() {
        TestDatabase.write(workspace.resolve("seeds/instruments.yaml"), """
                table: instruments
                key: symbol
                environments: [development]
                removal: {deactivate: is_active}
                defaults: {currency: USD, tick_size: 0.01}
                rows: instruments.csv
                """);
        csv("symbol,name,exchange_id.mic\nAAPL,Apple Inc.,XNAS\nIBM,IBM,XNYS\n");
        var first = run(0);
        assertTrue(first.out().contains("instruments: 2 inserted"), first::toString);
        assertEquals("USD 0.010000", db.text("SELECT currency || ' ' || tick_size FROM instruments WHERE symbol = 'IBM'"));

        csv("symbol,name,exchange_id.mic\nAAPL,Apple Inc.,XNAS\n");
        var removed = run(0);
        assertTrue(removed.out().contains("instruments: 0 inserted, 0 updated, 1 unchanged, 1 deactivated"), removed::toString);
        assertTrue(removed.out().contains("- IBM  is_active: true → false"), removed::toString);

        var production = run(0, "--env", "production");
        assertTrue(production.out().contains("instruments.yaml → skipped: it is for development, and this run is for production"),
                production::toString);
    }

    @Test
    void deep_in_a_large_file_an_error_still_names_its_line() throws Exception {
        var text = new StringBuilder(HEADER);
        for (int i = 1; i <= 20_000; i++) {
            text.append("S").append(i).append(",\"Instrument ").append(i).append(", Class A\",XNYS,USD,0.01,1,true,,,,,")
                    .append(i % 1000 == 0 ? "\"two\nlines\"" : "").append('\n');
        }
        csv(text.toString());
        assertTrue(run(0).out().contains("instruments: 20000 inserted"));

        csv(text.toString().replace("S15000,\"Instrument 15000, Class A\",XNYS,USD,0.01,1,", "S15000,\"Instrument 15000, Class A\",XNYS,USD,0.01,x,"));
        assertError("seeds/instruments.csv:15015:50: lot_size (integer): invalid input syntax for type integer: \"x\"");

        var bytes = text.toString().replace("Instrument 17000,", "Instrument 17000\u0000,").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                bytes[i] = (byte) 0xC3;
                bytes[i + 1] = '(';
            }
        }
        java.nio.file.Files.write(workspace.resolve("seeds/instruments.csv"), bytes);
        assertError("seeds/instruments.csv:17017:1: invalid byte sequence for encoding \"UTF8\": 0xc3 0x28");
    }

    void assertError(String expected) {
        var run = run(1);
        assertTrue(run.err().startsWith("error: " + expected), "expected: error: " + expected + "\n" + run);
        assertTrue(run.err().contains("Nothing was written."), run::toString);
    }
}
