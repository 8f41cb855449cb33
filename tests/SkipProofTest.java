import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A file whose last run's proof holds is skipped (SkipProof): it and its table are as that run
 * left them. Each trap changes the table in a way a weaker proof would miss; the next run must
 * compare the file and put the table right. Where a trap leaves the rows as they were, skipping
 * is right, and the table must still be as the file says.
 */
class SkipProofTest extends FreshProject {

    private static final String CSV = "symbol,name,tick\nA,Alpha,0.01\nB,Beta,0.5\nC,Gamma,1\n";

    SkipProofTest() {
        super(Map.of(
                "migrations/V1__instruments.sql", """
                        CREATE TABLE instruments (id bigserial PRIMARY KEY, symbol text NOT NULL UNIQUE, name text NOT NULL,
                                                  tick numeric(12,6) NOT NULL);
                        CREATE TABLE other (x integer);
                        CREATE TABLE instruments_b (id bigserial PRIMARY KEY, symbol text NOT NULL UNIQUE, name text NOT NULL,
                                                    tick numeric(12,6) NOT NULL);
                        CREATE TABLE flags (code text PRIMARY KEY, is_active boolean NOT NULL DEFAULT true);
                        CREATE TABLE venues (id bigserial PRIMARY KEY, code text NOT NULL UNIQUE, name text NOT NULL,
                                             legacy_id bigint UNIQUE);
                        CREATE TABLE notes (code text PRIMARY KEY, body text);
                        CREATE TABLE listings (id bigserial PRIMARY KEY, symbol text NOT NULL UNIQUE,
                                               venue_id bigint NOT NULL REFERENCES venues (id));
                        CREATE TABLE labels (code text PRIMARY KEY, name varchar(5), meta jsonb);
                        """,
                "seeds/instruments.yaml", "table: instruments\nkey: symbol\nrows: instruments.csv\n",
                "seeds/instruments.csv", CSV));
    }

    /** A state with a proof: the first run migrates (then every file is compared) and takes a proof for the next. */
    @BeforeEach
    void proved() {
        assertTrue(compared(runJson()));
        assertFalse(compared(runJson()), "the second run skips the file");
    }

    private static boolean compared(TestDatabase.Run run) {
        return file(run).get("compared").asBoolean();
    }

    /** Whether the run compared the seed file of that name (false: its proof held). */
    private static boolean compared(TestDatabase.Run run, String name) {
        return file(run, name).get("compared").asBoolean();
    }

    private String tick(String symbol) {
        return db.text("SELECT tick::text FROM instruments WHERE symbol = ?", symbol);
    }

    /** After a change behind the tool's back: the next run compares the file, and puts the table right. */
    private void comparedAndRepaired(String change) {
        if (change != null) {
            db.execute(change);
        }
        var run = runJson();
        assertTrue(compared(run), run::toString);
        assertEquals("0.010000", tick("A"));
        assertEquals(3, db.count("SELECT count(*) FROM instruments"));
        assertFalse(compared(runJson()), "put right, the table has a proof again");
    }

    @Test
    void a_skipped_file_reports_what_a_comparison_reports_and_writes_nothing() {
        var versions = db.rowVersions("instruments", "symbol");
        var text = run(0);
        assertTrue(text.out().contains("3 unchanged (not compared: file and table as the last run left them)"), text::toString);
        var skipped = file(runJson());
        var full = file(runJson("--full"));
        assertFalse(skipped.get("compared").asBoolean());
        assertTrue(full.get("compared").asBoolean());
        for (String field : new String[]{"inserted", "updated", "unchanged", "deactivated", "deleted", "not_in_file",
                "not_in_file_keys", "changes", "checksum"}) {
            assertEquals(full.get(field), skipped.get(field), field);
        }
        assertEquals(versions, db.rowVersions("instruments", "symbol"));
    }

    @Test
    void files_of_one_name_in_two_seed_directories_keep_a_proof_each() {
        var other = TestDatabase.scratch("other-seeds");
        TestDatabase.write(other.resolve("instruments.yaml"), "table: instruments_b\nkey: symbol\nrows: instruments.csv\n");
        TestDatabase.write(other.resolve("instruments.csv"), CSV);
        assertTrue(compared(runJson("--seeds", other.toString())));
        assertFalse(compared(runJson()), "the first directory's proof still holds");
        assertFalse(compared(runJson("--seeds", other.toString())));
    }

    @Test
    void an_edited_file_is_compared() {
        seeds("instruments.csv", CSV.replace("0.5", "0.25"));
        var run = runJson();
        assertTrue(compared(run));
        assertEquals(1, file(run).get("updated").asInt());
    }

    @Test
    void a_row_changed_in_the_table_is_found() {
        comparedAndRepaired("UPDATE instruments SET tick = 2 WHERE symbol = 'A'");
    }

    @Test
    void rows_kept_beside_the_file_are_reported_as_a_comparison_reports_them() {
        db.execute("INSERT INTO instruments (symbol, name, tick) VALUES ('Z', 'Zeta', 3)");
        var run = runJson();
        assertTrue(compared(run));
        assertFalse(compared(runJson()));
        assertEquals(1, file(runJson()).get("not_in_file").asInt());
        assertEquals("[\"Z\"]", file(runJson()).get("not_in_file_keys").toString());
    }

    @Test
    void trap_a_transaction_that_took_its_id_before_the_run_and_writes_after_it() throws Exception {
        try (Connection early = db.holder(null); var statement = early.createStatement()) {
            statement.execute("INSERT INTO other VALUES (1)");   // its id, before the run
            // A run while it is open: it cannot prove that the open transaction will not write.
            assertTrue(compared(runJson("--full")));
            statement.execute("UPDATE instruments SET tick = 2 WHERE symbol = 'A'");
            early.commit();
        }
        comparedAndRepaired(null);
    }

    @Test
    void trap_a_subtransaction_that_took_its_id_before_the_run_and_writes_after_it() throws Exception {
        try (Connection early = db.holder(null); var statement = early.createStatement()) {
            statement.execute("SAVEPOINT a");
            statement.execute("INSERT INTO other VALUES (1)");   // the subtransaction's id, before the run
            assertTrue(compared(runJson("--full")));
            statement.execute("UPDATE instruments SET tick = 2 WHERE symbol = 'A'");
            statement.execute("RELEASE SAVEPOINT a");
            early.commit();
        }
        comparedAndRepaired(null);
    }

    @Test
    void trap_truncate() {
        comparedAndRepaired("TRUNCATE instruments");
    }

    @Test
    void trap_truncate_and_the_same_rows_again() {
        db.execute("CREATE TABLE saved AS SELECT * FROM instruments");
        db.execute("TRUNCATE instruments");
        db.execute("INSERT INTO instruments SELECT * FROM saved");
        var run = runJson();
        assertTrue(compared(run), "rows written since are compared, even when they are the same");
        assertEquals(0, file(run).get("updated").asInt());
    }

    @Test
    void trap_delete_and_insert_of_the_same_key() {
        comparedAndRepaired("DELETE FROM instruments WHERE symbol = 'A'; INSERT INTO instruments (symbol, name, tick) VALUES ('A', 'Alpha', 7)");
    }

    @Test
    void trap_a_write_with_triggers_disabled() {
        comparedAndRepaired("ALTER TABLE instruments DISABLE TRIGGER ALL; UPDATE instruments SET tick = 2 WHERE symbol = 'A'; "
                + "ALTER TABLE instruments ENABLE TRIGGER ALL");
    }

    @Test
    void trap_a_write_as_a_replica() {
        comparedAndRepaired("SET session_replication_role = replica; UPDATE instruments SET tick = 2 WHERE symbol = 'A'");
    }

    @Test
    void trap_vacuum_freeze_after_a_write() {
        db.execute("UPDATE instruments SET tick = 2 WHERE symbol = 'A'");
        db.execute("VACUUM (FREEZE) instruments");
        comparedAndRepaired(null);
    }

    @Test
    void vacuum_freeze_alone_changes_no_row_and_the_file_may_still_be_skipped() {
        db.execute("VACUUM (FREEZE) instruments");
        assertFalse(compared(runJson()));
        assertEquals("0.010000", tick("A"));
    }

    @Test
    void trap_a_statistics_reset_after_a_write() {
        db.execute("UPDATE instruments SET tick = 2 WHERE symbol = 'A'");
        db.execute("SELECT pg_stat_reset()");
        comparedAndRepaired(null);
    }

    @Test
    void trap_a_column_dropped_and_added_again_with_a_default() {
        comparedAndRepaired("ALTER TABLE instruments DROP COLUMN name; ALTER TABLE instruments ADD COLUMN name text NOT NULL DEFAULT 'x'");
        assertEquals("Beta", db.text("SELECT name FROM instruments WHERE symbol = 'B'"));
    }

    @Test
    void trap_a_dump_restored_over_the_table() throws Exception {
        db.execute("CREATE TABLE saved AS SELECT * FROM instruments");
        db.execute("UPDATE saved SET tick = 2 WHERE symbol = 'A'");
        // What pg_restore --clean --table does: the table again, from the dump.
        db.execute("DROP TABLE instruments; CREATE TABLE instruments (id bigserial PRIMARY KEY, symbol text NOT NULL UNIQUE, "
                + "name text NOT NULL, tick numeric(12,6) NOT NULL); INSERT INTO instruments SELECT * FROM saved");
        comparedAndRepaired(null);
    }

    @Test
    void trap_a_database_restored_on_another_server() {
        // A copy of the database elsewhere holds the same proof; its rows' ids mean nothing there.
        db.execute("UPDATE instruments SET tick = 2 WHERE symbol = 'A'");
        db.execute("UPDATE seed_history_proofs SET table_shape = regexp_replace(table_shape, '[0-9]+$', '1'), "
                + "up_to = (SELECT max(xmin::text::bigint) FROM instruments) + 1");
        comparedAndRepaired(null);
    }

    /**
     * A table with a trigger (here the common one that sets updated_at) is proved only by a run
     * that wrote none of its rows: the run after a write compares, the runs after that skip.
     */
    @Test
    void a_table_with_a_trigger_is_proved_by_a_run_that_wrote_none_of_its_rows() {
        db.execute("""
                ALTER TABLE instruments ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
                CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $$;
                CREATE TRIGGER touch BEFORE UPDATE ON instruments FOR EACH ROW EXECUTE FUNCTION touch();
                """);
        assertTrue(compared(runJson()), "the table's columns changed: compared");
        assertFalse(compared(runJson()), "that comparison wrote nothing: its proof holds");

        seeds("instruments.csv", CSV.replace("0.5", "0.25"));
        var edited = runJson();
        assertEquals(1, file(edited).get("updated").asInt());
        var after = runJson();
        assertTrue(compared(after), "a run that wrote rows of a table with triggers takes no proof");
        assertEquals(0, file(after).get("updated").asInt());
        assertFalse(compared(runJson()));

        db.execute("UPDATE instruments SET tick = 2 WHERE symbol = 'A'");
        var repaired = runJson();
        assertTrue(compared(repaired));
        assertEquals(1, file(repaired).get("updated").asInt());
        assertEquals("0.010000", tick("A"));
        assertTrue(compared(runJson()));
        assertFalse(compared(runJson()));
        assertEquals(3, file(runJson("plan", "--full")).get("unchanged").asInt(), "skipped, and in sync");
    }

    @Test
    void check_skips_a_proved_file_and_finds_a_changed_one() {
        var check = run(0, "check", "--json");
        assertFalse(compared(check));
        db.execute("UPDATE instruments SET tick = 2 WHERE symbol = 'A'");
        var drifted = run("check", "--json");
        assertTrue(drifted.exitCode() != 0, drifted::toString);
        assertTrue(compared(drifted));
        assertEquals(1, file(drifted).get("updated").asInt());
    }

    @Test
    void full_and_verify_compare_every_file() {
        assertTrue(compared(runJson("--full")));
        var verify = run(0, "verify", "--json");
        assertTrue(verify.out().contains("\"compared\": true") && !verify.out().contains("\"compared\": false"), verify::toString);
    }

    @Test
    void a_run_that_applies_a_migration_compares_every_file() {
        TestDatabase.write(workspace.resolve("migrations/V2__more.sql"), "UPDATE instruments SET tick = 2 WHERE symbol = 'A';");
        assertTrue(compared(runJson()));
        assertEquals("0.010000", tick("A"));
        assertFalse(compared(runJson()), "and takes a proof for the next run");
    }

    // ── files whose values come from the environment (${VAR}): each such cell is checked against its table ──

    private static final String NAMED = "table: instruments\nkey: symbol\nrows:\n  - {symbol: A, name: '${NAME:-Alpha}', tick: 0.01}\n";

    /** A run with NAME set to name (null: unset). */
    private TestDatabase.Run withName(String name) {
        return name == null ? runJson() : run(0, Map.of("NAME", name), "--json");
    }

    private String name(String symbol) {
        return db.text("SELECT name FROM instruments WHERE symbol = ?", symbol);
    }

    @Test
    void a_file_whose_values_come_from_the_environment_is_skipped_while_each_value_is_what_its_cell_holds() {
        seeds("instruments.yaml", NAMED);
        assertTrue(compared(runJson()), "the file was edited");
        assertFalse(compared(runJson()), "the default, which the cell holds");
        assertTrue(compared(withName("Renamed")));
        assertEquals("Renamed", name("A"));
        var again = withName("Renamed");
        assertFalse(compared(again), "the same value again");
        assertFalse(again.out().contains("Renamed"), again::toString);
        assertTrue(compared(withName("Other")), "another value");
        assertEquals("Other", name("A"));
        assertTrue(compared(runJson()), "unset: the file's default, which the cell does not hold");
        assertEquals("Alpha", name("A"));
        assertFalse(compared(runJson()));
        withName("Renamed");
        assertFalse(compared(withName("Renamed")));
        // The proof holds no value from the environment, nor anything made of one.
        String proofs = db.text("SELECT string_agg(p::text, ' ') FROM seed_history_proofs p");
        assertFalse(proofs.contains("Renamed"), proofs);
        assertFalse(proofs.contains(sha256("Renamed")), proofs);
    }

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void trap_a_variable_set_to_the_value_its_default_gave() {
        seeds("instruments.yaml", NAMED);
        runJson();
        assertFalse(compared(runJson()));
        // The same value, but now from the environment: its cell is marked, so that no output shows it.
        assertTrue(compared(withName("Alpha")));
        assertEquals(1, db.count("SELECT count(*) FROM seed_history_secrets WHERE column_name = 'name'"));
        assertFalse(compared(withName("Alpha")));
        assertTrue(compared(runJson()), "unset again: the mark goes");
        assertEquals(0, db.count("SELECT count(*) FROM seed_history_secrets WHERE column_name = 'name'"));
    }

    @Test
    void trap_the_mark_of_a_cell_from_the_environment_removed() {
        seeds("instruments.yaml", NAMED);
        withName("Secret");
        assertFalse(compared(withName("Secret")));
        db.execute("DELETE FROM seed_history_secrets");
        assertTrue(compared(withName("Secret")));
        assertEquals(1, db.count("SELECT count(*) FROM seed_history_secrets WHERE column_name = 'name'"));
        assertFalse(compared(withName("Secret")));
    }

    @Test
    void trap_a_value_too_long_for_its_column_that_a_cast_would_cut_to_what_its_cell_holds() {
        seeds("labels.yaml", "table: labels\nkey: code\nrows:\n  - {code: a, name: '${LABEL:-Alpha}'}\n");
        runJson();
        assertFalse(compared(runJson(), "labels.yaml"));
        // 'AlphaX'::varchar(5) is 'Alpha', the cell; COPY refuses it.
        String before = db.snapshot("seed_history", "seed_history_proofs");
        var refused = run(1, Map.of("LABEL", "AlphaX"));
        assertTrue(refused.err().contains("labels.yaml"), refused::toString);
        assertFalse(refused.out().contains("AlphaX") || refused.err().contains("AlphaX"), refused::toString);
        assertEquals(before, db.snapshot("seed_history", "seed_history_proofs"), "nothing was written");
    }

    @Test
    void trap_a_value_too_long_for_its_column_that_its_cell_equals_under_a_case_insensitive_collation() {
        db.execute("""
                CREATE COLLATION case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
                CREATE TABLE items (id serial PRIMARY KEY, code text NOT NULL UNIQUE, val varchar(4) COLLATE case_insensitive);""");
        seeds("items.yaml", "table: items\nkey: code\nrows:\n  - {code: a, val: '${X}'}\n");
        run(0, Map.of("X", "abcd"));
        assertFalse(compared(run(0, Map.of("X", "abcd"), "--json"), "items.yaml"));
        // Equal to the cell under the collation (a soft hyphen is ignored), five characters: COPY refuses it, a cast cuts it.
        String before = db.snapshot("seed_history", "seed_history_proofs");
        var refused = run(1, Map.of("X", "ABCD\u00ad"));
        assertTrue(refused.err().contains("items.yaml") && refused.err().contains("too long"), refused::toString);
        assertEquals(before, db.snapshot("seed_history", "seed_history_proofs"), "nothing was written");
    }

    @Test
    void a_value_from_the_environment_inside_json_is_compared_as_json() {
        seeds("labels.yaml", "table: labels\nkey: code\nrows:\n  - {code: a, meta: {url: '${URL:-http://a}', n: 1}}\n");
        runJson();
        assertFalse(compared(runJson(), "labels.yaml"));
        assertTrue(compared(run(0, Map.of("URL", "http://b"), "--json"), "labels.yaml"));
        assertEquals("http://b", db.text("SELECT meta->>'url' FROM labels WHERE code = 'a'"));
        assertFalse(compared(run(0, Map.of("URL", "http://b"), "--json"), "labels.yaml"));
        assertTrue(compared(runJson(), "labels.yaml"));
        assertEquals("http://a", db.text("SELECT meta->>'url' FROM labels WHERE code = 'a'"));
    }

    @Test
    void trap_a_value_that_its_cell_holds_but_its_column_now_refuses() {
        // A check that reads a table: a row of it changes what the domain refuses, and the shape of labels with it not.
        db.execute("""
                CREATE TABLE banned (url text);
                CREATE FUNCTION allowed(j jsonb) RETURNS boolean LANGUAGE sql STABLE
                    AS $$ SELECT NOT EXISTS (SELECT FROM banned WHERE url = j->>'url') $$;
                CREATE DOMAIN checked_json AS jsonb CHECK (allowed(VALUE));
                ALTER TABLE labels ALTER COLUMN meta TYPE checked_json;""");
        seeds("labels.yaml", "table: labels\nkey: code\nrows:\n  - {code: a, meta: {url: '${URL:-http://a}'}}\n");
        run(0, Map.of("URL", "http://b"));
        assertFalse(compared(run(0, Map.of("URL", "http://b"), "--json"), "labels.yaml"));
        db.execute("INSERT INTO banned VALUES ('http://b')");
        // Reading the value as the column's type fails: the file is compared, and its comparison says why (not an SQL error).
        var refused = run(1, Map.of("URL", "http://b"));
        assertTrue(refused.err().contains("labels.yaml") && refused.err().contains("checked_json"), refused::toString);
        assertFalse(refused.err().contains("aborted"), refused::toString);
    }

    @Test
    void a_file_with_more_values_from_the_environment_than_are_checked_one_by_one_is_always_compared() {
        var rows = new StringBuilder("table: instruments\nkey: symbol\ndefaults: {name: '${NAME:-Alpha}', tick: 1}\nrows:\n");
        for (int i = 0; i <= 10_000; i++) {
            rows.append("  - {symbol: S").append(i).append("}\n");
        }
        seeds("instruments.yaml", rows.toString());
        runJson();
        assertTrue(compared(runJson()));
        assertEquals(10_001, db.count("SELECT count(*) FROM instruments WHERE name = 'Alpha' AND symbol LIKE 'S%'"));
    }

    @Test
    void a_file_with_a_variable_in_a_key_or_in_a_csv_files_defaults_is_always_compared() {
        seeds("instruments.yaml", "table: instruments\nkey: symbol\nrows:\n  - {symbol: '${SYMBOL:-A}', name: Alpha, tick: 0.01}\n");
        runJson();
        assertTrue(compared(runJson()));
        seeds("labels.yaml", "table: labels\nkey: code\ndefaults: {name: '${LABEL:-Alpha}'}\nrows: labels.csv\n");
        seeds("labels.csv", "code\na\nb\n");
        runJson();
        assertTrue(compared(runJson(), "labels.yaml"));
        assertEquals(2, db.count("SELECT count(*) FROM labels WHERE name = 'Alpha'"));
    }

    @Test
    void a_file_whose_table_another_file_seeds_is_always_compared() {
        seeds("more.yaml", "table: instruments\nkey: symbol\nrows:\n  - {symbol: D, name: Delta, tick: 4}\n");
        runJson();
        var run = runJson();
        assertEquals(2, run.json().get("seeds").size());
        run.json().get("seeds").forEach(f -> assertTrue(f.get("compared").asBoolean(), f::toString));
    }

    @Test
    void another_environment_is_compared() {
        seeds("environments.yaml", "environments:\n  development: {}\n  staging: {}\n");
        runJson();
        runJson();
        assertTrue(compared(runJson("--env", "staging")));
    }

    // ── files that remove rows, and files that refer to others' rows: what else their proof holds ──

    private static final String FLAGS = "table: flags\nkey: code\nremoval: deactivate\nrows:\n  - {code: f}\n  - {code: g}\n";

    /**
     * A file that removes rows is proved with the rows of the tool's ownership tables for its table:
     * a run that compared it would remove a row someone made it own since, though neither the file
     * nor its table changed. (Here a row the application added, h, is claimed for the file by hand.)
     */
    @Test
    void trap_a_row_claimed_for_a_file_that_removes_rows() {
        db.execute("INSERT INTO flags (code) VALUES ('h')");
        seeds("flags.yaml", FLAGS);
        runJson();
        // (The first run writes its pending keys of ownership after its proof, when it finds h: the second takes it.)
        runJson();
        assertFalse(compared(runJson(), "flags.yaml"), "proved: nothing to remove, h is not its own");
        assertEquals(1, file(runJson(), "flags.yaml").get("not_in_file").asInt());

        db.execute("INSERT INTO seed_history_rows (table_name, row_key, file) VALUES ('\"public\".\"flags\"', 'h', 'flags.yaml')");
        var run = file(runJson(), "flags.yaml");
        assertTrue(run.get("compared").asBoolean(), run::toString);
        assertEquals(1, run.get("deactivated").asInt(), run::toString);
        assertEquals("false", db.text("SELECT is_active::text FROM flags WHERE code = 'h'"));
        runJson();
        assertFalse(compared(runJson(), "flags.yaml"), "in sync again, proved again");
    }

    /** The same for a claim given up by hand: the ownership's rows are fewer than the proof counted. */
    @Test
    void trap_a_row_released_by_a_file_that_removes_rows() {
        seeds("flags.yaml", FLAGS);
        runJson();
        seeds("flags.yaml", "table: flags\nkey: code\nremoval: deactivate\nrows:\n  - {code: f}\n  - {code: g}\n  - {code: k}\n");
        runJson();
        assertFalse(compared(runJson(), "flags.yaml"));
        db.execute("DELETE FROM seed_history_rows WHERE row_key = 'k'");
        assertTrue(compared(runJson(), "flags.yaml"));
    }

    /** A file that removes rows takes over what files now gone owned: another seed file made or gone voids its proof. */
    @Test
    void trap_the_seed_files_there_are_for_a_file_that_removes_rows() {
        seeds("flags.yaml", FLAGS);
        runJson();
        assertFalse(compared(runJson(), "flags.yaml"));
        seeds("more.yaml", "table: instruments_b\nkey: symbol\nrows:\n  - {symbol: Z, name: Zeta, tick: 1}\n");
        assertTrue(compared(runJson(), "flags.yaml"));
        assertFalse(compared(runJson(), "flags.yaml"));
        assertTrue(file(runJson(), "instruments.yaml").get("unchanged").asInt() == 3);
    }

    private static final String VENUES = "table: venues\nkey: code\nrows:\n  - {code: a, name: Alpha}\n  - {code: b, name: Beta}\n";
    private static final String LISTINGS = "table: listings\nkey: symbol\nrows:\n  - {symbol: L, venue_id: {code: a}}\n";

    /**
     * A file whose references are read in another file's table is proved with that table's rows:
     * here the keys of two venues are swapped by hand; the venues' file puts their names right, and
     * the listing, whose table did not change, must then refer to the other row.
     */
    @Test
    void trap_the_rows_a_reference_is_read_in_changed_under_a_file_whose_table_did_not() {
        seeds("venues.yaml", VENUES);
        seeds("listings.yaml", LISTINGS);
        runJson();
        var proved = runJson();
        assertFalse(compared(proved, "venues.yaml"), proved::toString);
        assertFalse(compared(proved, "listings.yaml"), proved::toString);

        db.execute("UPDATE venues SET code = CASE code WHEN 'a' THEN 'x' ELSE 'a' END");
        db.execute("UPDATE venues SET code = 'b' WHERE code = 'x'");
        var run = runJson();
        assertTrue(compared(run, "listings.yaml"), run::toString);
        assertEquals(1, file(run, "listings.yaml").get("updated").asInt(), run::toString);
        assertEquals("a", db.text("SELECT v.code FROM listings l JOIN venues v ON v.id = l.venue_id WHERE l.symbol = 'L'"));
    }

    /** The shape of a table referred to is in the proof: a column added to it, no row written, voids it. */
    @Test
    void trap_a_table_referred_to_changed_its_shape() {
        seeds("venues.yaml", VENUES);
        seeds("listings.yaml", LISTINGS);
        runJson();
        assertFalse(compared(runJson(), "listings.yaml"));
        db.execute("ALTER TABLE venues ADD COLUMN opens integer");
        assertTrue(compared(runJson(), "listings.yaml"));
        assertFalse(compared(runJson(), "listings.yaml"));
    }

    /** A table of proofs made by a version of the tool before other_rows: its proofs hold, and it gets the column. */
    @Test
    void a_table_of_proofs_an_older_version_made_is_read_and_given_the_new_column() {
        db.execute("ALTER TABLE seed_history_proofs DROP COLUMN other_rows");
        assertFalse(compared(runJson()), "a proof of a file that depends on nothing else holds as it was");
        assertTrue(compared(runJson("--full")));
        assertEquals(1, db.count("SELECT count(*) FROM pg_attribute WHERE attrelid = 'seed_history_proofs'::regclass "
                + "AND attname = 'other_rows' AND NOT attisdropped"));
        assertFalse(compared(runJson()));
    }

    /**
     * A foreign key moved to another unique column of the table referred to writes no row of either
     * table, but a reference by key now reads that column: the constraints are in the shape.
     */
    @Test
    void trap_a_foreign_key_moved_to_another_column_of_the_table_referred_to() {
        seeds("venues.yaml", "table: venues\nkey: code\nrows:\n  - {code: a, id: 1, legacy_id: 2, name: Alpha}\n"
                + "  - {code: b, id: 2, legacy_id: 1, name: Beta}\n");
        seeds("listings.yaml", LISTINGS);
        runJson();
        assertFalse(compared(runJson(), "listings.yaml"));
        db.execute("ALTER TABLE listings DROP CONSTRAINT listings_venue_id_fkey; "
                + "ALTER TABLE listings ADD CONSTRAINT listings_venue_id_fkey FOREIGN KEY (venue_id) REFERENCES venues (legacy_id)");
        var run = file(runJson(), "listings.yaml");
        assertTrue(run.get("compared").asBoolean(), run::toString);
        assertEquals(1, run.get("updated").asInt(), run::toString);
        assertEquals("a", db.text("SELECT v.code FROM listings l JOIN venues v ON v.legacy_id = l.venue_id WHERE l.symbol = 'L'"));
    }

    /** A key dropped changes no row, but a comparison would stop: the file is compared, and the run says why it cannot. */
    @Test
    void trap_the_key_of_a_proved_file_dropped() {
        db.execute("ALTER TABLE instruments DROP CONSTRAINT instruments_symbol_key");
        var run = run(1);
        assertTrue(run.err().contains("symbol"), run::toString);
    }

    /**
     * A comparison matches by =, and the search for an operator takes one of the database's own
     * over pg_catalog's generic one for ranges: such an = dropped writes no row, yet the comparison
     * it made (every range equal) no longer holds. The database's own = operators are in the shape.
     */
    @Test
    void trap_an_equality_operator_of_the_database_dropped() {
        db.execute("CREATE TABLE ranges (k text PRIMARY KEY, r int4range)");
        seeds("ranges.yaml", "table: ranges\nkey: k\nrows:\n  - {k: a, r: '[1,5)'}\n");
        runJson();
        db.execute("""
                CREATE FUNCTION always_equal(int4range, int4range) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT true';
                CREATE OPERATOR public.= (leftarg = int4range, rightarg = int4range, function = always_equal);
                UPDATE ranges SET r = '[7,9)';
                """);
        assertEquals(0, file(runJson(), "ranges.yaml").get("updated").asInt(), "every range is equal to every other now");
        assertFalse(compared(runJson(), "ranges.yaml"), "proved, with that =");
        db.execute("DROP OPERATOR public.= (int4range, int4range)");
        var run = file(runJson(), "ranges.yaml");
        assertTrue(run.get("compared").asBoolean(), run::toString);
        assertEquals(1, run.get("updated").asInt(), run::toString);
        assertEquals("[1,5)", db.text("SELECT r::text FROM ranges WHERE k = 'a'"));
    }

    /** A constraint added to a domain of a column (NOT VALID: no row is checked, none written) would stop a comparison. */
    @Test
    void trap_a_constraint_added_to_the_domain_of_a_column() {
        db.execute("CREATE DOMAIN small AS integer; CREATE TABLE sized (k text PRIMARY KEY, n small)");
        seeds("sized.yaml", "table: sized\nkey: k\nrows:\n  - {k: a, n: 50}\n");
        runJson();
        assertFalse(compared(runJson(), "sized.yaml"));
        db.execute("ALTER DOMAIN small ADD CONSTRAINT below_ten CHECK (VALUE < 10) NOT VALID");
        var run = run(1);
        assertTrue(run.err().contains("below_ten"), run::toString);
    }

    /** Row security makes the rows a run sees depend on its role and settings: such a table is compared every run. */
    @Test
    void a_table_with_row_security_is_always_compared() {
        db.execute("ALTER TABLE instruments ENABLE ROW LEVEL SECURITY");
        assertTrue(compared(runJson()));
        assertTrue(compared(runJson()));
    }

    /**
     * A skipped file that removes rows, whose table a later file's trigger writes in the same run:
     * its removal (after every file's writes) would find the row the trigger brought back. Here
     * notes.yaml's new row reactivates the flag g, which flags.yaml retired.
     */
    @Test
    void trap_a_later_file_of_the_same_run_writes_the_table_of_a_skipped_file_that_removes_rows() {
        db.execute("""
                CREATE FUNCTION activate_flag() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN UPDATE flags SET is_active = true WHERE code = NEW.code AND NOT is_active; RETURN NULL; END $$;
                CREATE TRIGGER activate_flag AFTER INSERT OR UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION activate_flag();
                """);
        seeds("flags.yaml", FLAGS);
        seeds("notes.yaml", "table: notes\nkey: code\nrows:\n  - {code: f, body: one}\n");
        runJson();
        seeds("flags.yaml", "table: flags\nkey: code\nremoval: deactivate\nrows:\n  - {code: f}\n");
        assertEquals(1, file(runJson(), "flags.yaml").get("deactivated").asInt());
        runJson();
        runJson();
        assertFalse(compared(runJson(), "flags.yaml"), "proved");

        seeds("notes.yaml", "table: notes\nkey: code\nrows:\n  - {code: f, body: one}\n  - {code: g, body: two}\n");
        var run = file(runJson(), "flags.yaml");
        assertTrue(run.get("compared").asBoolean(), run::toString);
        assertEquals(1, run.get("deactivated").asInt(), run::toString);
        assertEquals("false", db.text("SELECT is_active::text FROM flags WHERE code = 'g'"));
    }

    /**
     * What a run writes after its proofs (its removals, its history, a trigger of the application
     * on them) is newer than they are: the proof's rolled-back savepoint leaves the run writing in a
     * subtransaction of its own. Here a trigger on the table of proofs rewrites a row of the file.
     */
    @Test
    void trap_a_write_by_the_run_after_its_proof() {
        db.execute("""
                CREATE FUNCTION spoil() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN UPDATE instruments SET name = 'Evil' WHERE symbol = 'A'; RETURN NULL; END $$;
                CREATE TRIGGER spoil AFTER INSERT ON seed_history_proofs FOR EACH ROW EXECUTE FUNCTION spoil();
                """);
        assertTrue(compared(runJson("--full")));
        assertEquals("Evil", db.text("SELECT name FROM instruments WHERE symbol = 'A'"));
        var run = runJson();
        assertTrue(compared(run), run::toString);
        assertEquals(1, file(run).get("updated").asInt(), run::toString);
    }

    /** A table referred to that no file of the run seeds is not locked by it: the file is compared every run. */
    @Test
    void a_file_that_refers_to_a_table_no_file_of_the_run_seeds_is_always_compared() {
        db.execute("INSERT INTO venues (code, name) VALUES ('a', 'Alpha')");
        seeds("listings.yaml", LISTINGS);
        runJson();
        assertTrue(compared(runJson(), "listings.yaml"));
        seeds("venues.yaml", VENUES);
        runJson();
        assertFalse(compared(runJson(), "listings.yaml"), "seeded by the run, venues is locked by it");
        assertTrue(compared(runJson("seed", "listings.yaml"), "listings.yaml"), "a run of the one file");
    }
}
