import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Attacks on FirstLoad: files for which the direct path writes, or refuses, otherwise than the
 * staged path (which a no-op trigger on the table forces) would.
 */
class FirstLoadAttackTest extends FreshProject {

    FirstLoadAttackTest() {
        super(Map.of("migrations/V1__base.sql", "CREATE TABLE unused (x integer);\n"));
    }

    private static final String NO_OP_TRIGGER = """
            CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
            CREATE TRIGGER noop BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION noop();
            """;

    private static String manyRowsThenOneTooPrecise() {
        var csv = new StringBuilder("code,p\n");
        for (int i = 0; i < 20_000; i++) {
            csv.append('k').append(i).append(",1.5\n");
        }
        return csv.append("bad,0.125\n").toString();
    }

    /**
     * A refused first load writes nothing; the corrected run then loads every row. The staged path,
     * which refuses before it inserts, leaves the table's sequence where it was; the direct path,
     * refused part way, leaves it advanced, as any refused INSERT does (sequences are not
     * transactional): the rows then get other ids (README, "How it works").
     */
    private void refusedFirstLoadLeavesTheSequence(boolean staged) {
        TestDatabase.write(workspace.resolve("migrations/V2__t.sql"),
                "CREATE TABLE t (id bigserial PRIMARY KEY, code text NOT NULL UNIQUE, p numeric(12,2));\n"
                        + (staged ? NO_OP_TRIGGER : ""));
        seeds("t.yaml", "table: t\nkey: code\nrows: t.csv\n");
        seeds("t.csv", manyRowsThenOneTooPrecise());
        run(0, "migrate");
        var refused = run(1);
        assertTrue(refused.err().contains("0.125 would be stored as 0.13") && refused.err().contains("Nothing was written."),
                refused::toString);
        assertEquals(0, db.count("SELECT count(*) FROM t"), "nothing was written");
        if (staged) {
            assertEquals("1 false", db.text("SELECT last_value || ' ' || is_called FROM t_id_seq"),
                    "the refused run took sequence values");
        }
        seeds("t.csv", manyRowsThenOneTooPrecise().replace("bad,0.125", "bad,0.12"));
        run(0);
        assertEquals(20_001, db.count("SELECT count(*) FROM t"));
        assertEquals("0.12", db.text("SELECT p::text FROM t WHERE code = 'bad'"));
        if (staged) {
            assertEquals("1", db.text("SELECT min(id)::text FROM t"), "the first row's id after the refused run");
        }
    }

    @Test
    void staged_a_refused_first_load_writes_nothing_and_takes_no_sequence_value() {
        refusedFirstLoadLeavesTheSequence(true);
    }

    @Test
    void direct_a_refused_first_load_writes_nothing() {
        refusedFirstLoadLeavesTheSequence(false);
    }

    private static final String DOMAIN_OVER_DOMAIN = """
            CREATE TYPE mood AS ENUM ('ok', 'bad');
            CREATE DOMAIN mood1 AS mood;
            CREATE DOMAIN mood2 AS mood1;
            CREATE TABLE t (code text PRIMARY KEY, m mood2 NOT NULL);
            """;

    /** Whatever the staged path does with this file, the direct path must do the same: here the staged path fails. */
    @Test
    void a_domain_over_a_domain_over_an_enum_loads_direct_and_fails_staged() {
        TestDatabase.write(workspace.resolve("migrations/V2__t.sql"), DOMAIN_OVER_DOMAIN + NO_OP_TRIGGER);
        seeds("t.yaml", "table: t\nkey: code\nrows: t.csv\n");
        seeds("t.csv", "code,m\nx,ok\n");
        var staged = run();
        db.recreate();
        TestDatabase.write(workspace.resolve("migrations/V2__t.sql"), DOMAIN_OVER_DOMAIN);
        var direct = run();
        assertEquals(staged.exitCode(), direct.exitCode(), "staged:\n" + staged + "\ndirect:\n" + direct);
    }

    /** The same file, loaded direct, then compared: a run that compares it must not fail where the first load did not. */
    @Test
    void a_domain_over_a_domain_over_an_enum_cannot_be_compared_after_a_direct_load() {
        TestDatabase.write(workspace.resolve("migrations/V2__t.sql"), DOMAIN_OVER_DOMAIN);
        seeds("t.yaml", "table: t\nkey: code\nrows: t.csv\n");
        seeds("t.csv", "code,m\nx,ok\n");
        run(0);
        run(0);          // skipped: its proof holds
        run(0, "--full");
    }
}
