import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The rows PostgreSQL's COPY loads are the rows the tool counted, for every staging path, or the
 * run stops: a row left out of the stage would be taken for a row the file no longer has, and be
 * deactivated or deleted. Here a line \. (COPY's end of data), the line ends and quotes the
 * record counter must read as COPY does, and rows that a trigger keeps out of the stage.
 */
class CsvRowCountTest extends FreshProject {

    CsvRowCountTest() {
        super(Map.of(
                "migrations/V1__inst.sql", "CREATE TABLE inst (id serial PRIMARY KEY, code text NOT NULL UNIQUE, qty integer, is_active boolean NOT NULL DEFAULT true);\n",
                "seeds/inst.yaml", "table: inst\nkey: code\nrows: inst.csv\nremoval: deactivate\n"));
    }

    void seedFile(String removal) {
        TestDatabase.write(workspace.resolve("seeds/inst.yaml"), "table: inst\nkey: code\nrows: inst.csv\nremoval: " + removal + "\n");
    }

    void csv(String text) {
        TestDatabase.write(workspace.resolve("seeds/inst.csv"), text);
    }

    String rows() {
        return db.text("SELECT string_agg(code || '=' || coalesce(qty::text, 'NULL') || (CASE WHEN is_active THEN '' ELSE ' (inactive)' END), "
                + "' | ' ORDER BY id) FROM inst");
    }

    /** A failed run: one paragraph beginning with the expected text, and the database exactly as before. */
    void assertRefused(String expected, String... args) {
        String before = db.snapshot();
        var run = run(1, args);
        assertTrue(run.err().startsWith("error: " + expected), () -> "expected: error: " + expected + "\n" + run);
        assertTrue(run.err().contains("Nothing was written."), run::toString);
        assertEquals(1, run.err().lines().count(), () -> "one paragraph, no stack trace:\n" + run);
        assertEquals(before, db.snapshot(), "nothing was written");
    }

    static final String BACKSLASH_DOT = "seeds/inst.csv:3:1: this line is \\. and nothing else, which PostgreSQL's COPY reads as "
            + "the end of the data: the rows after it would be left out. If it is a value, quote it: \"\\.\"";

    @Test
    void a_line_backslash_dot_stops_the_run_at_its_line_instead_of_deactivating_the_rows_after_it() {
        csv("code,qty\nA,1\nB,2\nC,3\nD,4\n");
        run(0);

        csv("code,qty\nA,1\n\\.\nB,2\nC,3\nD,4\n");
        assertRefused(BACKSLASH_DOT);
        assertEquals("A=1 | B=2 | C=3 | D=4", rows());
    }

    @Test
    void a_line_backslash_dot_stops_the_run_at_its_line_instead_of_deleting_the_rows_after_it() {
        seedFile("delete");
        csv("code,qty\nA,1\nB,2\nC,3\nD,4\n");
        run(0);

        csv("code,qty\nA,1\n\\.\nB,2\nC,3\nD,4\n");
        assertRefused(BACKSLASH_DOT);
        csv("code,qty\r\nA,1\r\n\\.\r\nB,2\r\nC,3\r\nD,4\r\n");
        assertRefused(BACKSLASH_DOT);
        csv("code,qty\rA,1\r\\.\rB,2\rC,3\rD,4\r");
        assertRefused(BACKSLASH_DOT);
        csv("code\nA\n\\.");   // the last line, without a line break: COPY would store it as data; refused all the same
        assertRefused(BACKSLASH_DOT);
        assertEquals("A=1 | B=2 | C=3 | D=4", rows());
    }

    @Test
    void a_quoted_backslash_dot_and_one_inside_a_quoted_value_are_data() {
        csv("code,qty\nA,1\n\"\\.\",2\n\\.x,3\n\"x\n\\.\ny\",4\nD,5\n");

        run(0);

        assertEquals("A=1 | \\.=2 | \\.x=3 | x\n\\.\ny=4 | D=5", rows());
    }

    @Test
    void lone_carriage_returns_as_line_ends_load_every_row_and_errors_name_the_right_line() {
        csv("code,qty\rA,1\rB,2\rC,3\rD,4\r");
        run(0);
        assertEquals("A=1 | B=2 | C=3 | D=4", rows());

        csv("code,qty\rA,1\r\"B\rb\",2\rC,x\rD,4\r");
        assertRefused("seeds/inst.csv:5:3: qty (integer): invalid input syntax for type integer: \"x\"");
    }

    @Test
    void a_byte_order_mark_odd_quotes_and_a_last_line_without_line_break_load_every_row() {
        csv("\uFEFFcode,qty\nA,1\n\"B\"\"\",2\nC\"x\"y,3\n,\nD,4");
        assertRefused("seeds/inst.csv:5:1: this row has no value for the key column code");   // the empty line: a row without a code

        csv("\uFEFFcode,qty\nA,1\n\"B\"\"\",2\nC\"x\"y,3\nD,4");
        run(0);
        assertEquals("A=1 | B\"=2 | Cxy=3 | D=4", rows());
    }

    /**
     * The invariant itself, whatever makes COPY and the counter disagree: an event trigger gives
     * every stage a trigger that keeps the row C out of it. Both paths, CSV and YAML rows, stop.
     */
    @Test
    void rows_that_do_not_reach_the_stage_stop_the_run_for_csv_and_yaml_rows() {
        csv("code,qty\nA,1\nB,2\nC,3\nD,4\n");
        run(0);
        db.execute("""
                CREATE FUNCTION keep_c_out() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RETURN CASE WHEN NEW.code = 'C' THEN NULL ELSE NEW END; END $$;
                CREATE FUNCTION trap_the_stage() RETURNS event_trigger LANGUAGE plpgsql AS $$
                DECLARE created record;
                BEGIN
                    FOR created IN SELECT * FROM pg_event_trigger_ddl_commands()
                            WHERE object_type = 'table' AND object_identity LIKE '%seed\\_stage\\_%' LOOP
                        EXECUTE format('CREATE TRIGGER keep_c_out BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION keep_c_out()',
                                created.object_identity);
                    END LOOP;
                END $$;
                CREATE EVENT TRIGGER trap_the_stage ON ddl_command_end WHEN TAG IN ('CREATE TABLE') EXECUTE FUNCTION trap_the_stage();
                """);

        // --full: the file and its table are as the first run left them, which its proof would let the run skip.
        assertRefused("seeds/inst.csv:4:1: PostgreSQL's COPY loaded 3 rows of this file, where the tool counted 4: the row at this "
                + "line did not reach the table's stage", "--full");
        TestDatabase.write(workspace.resolve("seeds/inst.yaml"), """
                table: inst
                key: code
                removal: delete
                rows:
                  - {code: A, qty: 1}
                  - {code: B, qty: 2}
                  - {code: C, qty: 3}
                  - {code: D, qty: 4}
                """);
        assertRefused("seeds/inst.yaml:7:5: PostgreSQL's COPY loaded 3 rows of this file, where the tool counted 4: the row at "
                + "this line did not reach the table's stage");
        assertEquals("A=1 | B=2 | C=3 | D=4", rows());
    }
}
