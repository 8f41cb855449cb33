import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Attacks on SkipProof: each test changes what a file's rows mean, or what its table holds, without
 * leaving a row version newer than the proof, then asks whether a plain run (which may skip the
 * file) finds what --full finds. Each one that fails is a false skip.
 */
class SkipProofAttackTest extends FreshProject {

    SkipProofAttackTest() {
        super(Map.of("migrations/V1__base.sql", "CREATE TABLE unused (x integer);\n"));
    }

    /** The project's one table and file; two runs: the first compares and proves, the second skips where it may. */
    private void proved(String migration, String yaml, String csvName, String csv) {
        TestDatabase.write(workspace.resolve("migrations/V2__attack.sql"), migration);
        seeds("attack.yaml", yaml);
        if (csvName != null) {
            seeds(csvName, csv);
        }
        assertTrue(file(runJson()).get("compared").asBoolean());
        runJson();
    }

    /** The plain run (which may skip) must report what a full comparison (a plan, which writes nothing) finds. */
    private void plainAgreesWithFull() {
        var full = file(runJson("plan", "--full"));
        var plain = file(runJson());
        for (String field : new String[]{"inserted", "updated", "unchanged"}) {
            assertEquals(full.get(field), plain.get(field), field + ": plain " + plain + "\nfull " + full);
        }
    }

    @Test
    void a_partition_swapped_for_another_with_as_many_old_rows() {
        proved("""
                        CREATE TABLE instruments (symbol text NOT NULL PRIMARY KEY, name text NOT NULL) PARTITION BY LIST (symbol);
                        CREATE TABLE instruments_ab PARTITION OF instruments FOR VALUES IN ('A', 'B');
                        CREATE TABLE instruments_c PARTITION OF instruments FOR VALUES IN ('C');
                        CREATE TABLE spare_c (symbol text NOT NULL, name text NOT NULL);
                        INSERT INTO spare_c VALUES ('C', 'Evil');
                        """, "table: instruments\nkey: symbol\nrows: instruments.csv\n",
                "instruments.csv", "symbol,name\nA,Alpha\nB,Beta\nC,Gamma\n");
        // No row is written: a partition with one old row leaves, another with one old row comes.
        db.execute("ALTER TABLE instruments DETACH PARTITION instruments_c");
        db.execute("ALTER TABLE instruments ATTACH PARTITION spare_c FOR VALUES IN ('C')");
        assertEquals("Evil", db.text("SELECT name FROM instruments WHERE symbol = 'C'"));
        plainAgreesWithFull();
        assertEquals("Gamma", db.text("SELECT name FROM instruments WHERE symbol = 'C'"));
    }

    @Test
    void an_inheritance_child_swapped_for_another() {
        proved("""
                        CREATE TABLE instruments (symbol text NOT NULL PRIMARY KEY, name text NOT NULL);
                        CREATE TABLE instruments_old () INHERITS (instruments);
                        CREATE TABLE spare (symbol text NOT NULL, name text NOT NULL);
                        INSERT INTO spare VALUES ('B', 'Evil');
                        """, "table: instruments\nkey: symbol\nrows: instruments.csv\n",
                "instruments.csv", "symbol,name\nA,Alpha\nB,Beta\n");
        // One row deleted (no new version), one old row brought in by a child: as many rows, none newer.
        db.execute("DELETE FROM instruments WHERE symbol = 'B'");
        db.execute("ALTER TABLE spare INHERIT instruments");
        plainAgreesWithFull();
    }

    @Test
    void the_database_interval_style_changes_what_the_file_means() {
        proved("CREATE TABLE spans (code text PRIMARY KEY, span interval NOT NULL);\n",
                "table: spans\nkey: code\nrows: spans.csv\n", "spans.csv", "code,span\nx,-1 2:03:04\n");
        db.execute("ALTER DATABASE " + Catalog.quote(db.text("SELECT current_database()")) + " SET intervalstyle = 'sql_standard'");
        plainAgreesWithFull();
    }

    @Test
    void an_enum_label_renamed_in_an_array_of_a_domain() {
        proved("""
                        CREATE TYPE mood AS ENUM ('ok', 'bad');
                        CREATE DOMAIN mood1 AS mood;
                        CREATE TABLE feelings (code text PRIMARY KEY, m mood1[] NOT NULL);
                        """, "table: feelings\nkey: code\nrows: feelings.csv\n", "feelings.csv", "code,m\nx,{ok}\n");
        db.execute("ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'");
        db.execute("ALTER TYPE mood ADD VALUE 'ok'");
        plainAgreesWithFull();
    }

    @Test
    void an_enum_label_renamed_in_a_composite() {
        proved("""
                        CREATE TYPE mood AS ENUM ('ok', 'bad');
                        CREATE TYPE feeling AS (m mood);
                        CREATE TABLE feelings (code text PRIMARY KEY, f feeling NOT NULL);
                        """, "table: feelings\nkey: code\nrows: feelings.csv\n", "feelings.csv", "code,f\nx,(ok)\n");
        db.execute("ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'");
        db.execute("ALTER TYPE mood ADD VALUE 'ok'");
        plainAgreesWithFull();
    }

    @Test
    void an_enum_label_renamed_in_a_range() {
        proved("""
                        CREATE TYPE mood AS ENUM ('bad', 'ok', 'zz');
                        CREATE TYPE moods AS RANGE (subtype = mood);
                        CREATE TABLE feelings (code text PRIMARY KEY, r moods NOT NULL);
                        """, "table: feelings\nkey: code\nrows: feelings.csv\n", "feelings.csv", "code,r\nx,\"[bad,ok)\"\n");
        db.execute("ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'");
        db.execute("ALTER TYPE mood ADD VALUE 'ok' AFTER 'zz'");
        plainAgreesWithFull();
    }

    @Test
    void a_trigger_that_changes_the_rows_it_writes() {
        proved("""
                        CREATE TABLE names (code text PRIMARY KEY, name text NOT NULL);
                        CREATE FUNCTION upper_name() RETURNS trigger LANGUAGE plpgsql AS $$
                            BEGIN NEW.name := upper(NEW.name); RETURN NEW; END $$;
                        CREATE TRIGGER upper_name BEFORE INSERT OR UPDATE ON names FOR EACH ROW EXECUTE FUNCTION upper_name();
                        """, "table: names\nkey: code\nrows: names.csv\n", "names.csv", "code,name\nx,alpha\n");
        // The table never holds what the file says: every full run updates the row; a plain one calls it in sync.
        plainAgreesWithFull();
    }

    /**
     * A deferred constraint trigger fires when the run ends, in its top-level transaction, whose id
     * is older than every proof the run took: a row it writes there would look as old as the proof.
     * Here a removal of one file (which runs after every file's proof) fires one that spoils the row
     * of a file proved in the same run.
     */
    @Test
    void a_deferred_trigger_that_writes_a_proved_table_when_the_run_ends() {
        TestDatabase.write(workspace.resolve("migrations/V2__attack.sql"), """
                CREATE TABLE names (code text PRIMARY KEY, name text NOT NULL);
                CREATE TABLE flags (code text PRIMARY KEY, is_active boolean NOT NULL DEFAULT true);
                CREATE FUNCTION spoil() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN UPDATE names SET name = 'Evil' WHERE code = 'x'; RETURN NULL; END $$;
                CREATE CONSTRAINT TRIGGER spoil AFTER UPDATE ON flags DEFERRABLE INITIALLY DEFERRED
                    FOR EACH ROW EXECUTE FUNCTION spoil();
                """);
        seeds("names.yaml", "table: names\nkey: code\nrows:\n  - {code: x, name: alpha}\n");
        seeds("flags.yaml", "table: flags\nkey: code\nremoval: deactivate\nrows:\n  - {code: f}\n  - {code: g}\n");
        runJson();
        // One run: names.yaml compared and proved anew, then a flag deactivated, which fires the trigger.
        seeds("names.yaml", "table: names\nkey: code\nrows:\n  - {code: x, name: beta}\n");
        seeds("flags.yaml", "table: flags\nkey: code\nremoval: deactivate\nrows:\n  - {code: f}\n");
        assertEquals(1, file(runJson(), "flags.yaml").get("deactivated").asInt());
        assertEquals("Evil", db.text("SELECT name FROM names WHERE code = 'x'"));
        var full = file(runJson("plan", "--full"), "names.yaml");
        var plain = file(runJson(), "names.yaml");
        assertEquals(1, full.get("updated").asInt(), full::toString);
        assertEquals(full.get("updated"), plain.get("updated"), () -> "plain " + plain + "\nfull " + full);
        assertEquals("beta", db.text("SELECT name FROM names WHERE code = 'x'"));
    }

    /**
     * With the database's default isolation REPEATABLE READ, a run's snapshot is older than its lock
     * on the table: an update committed while the run waits for the lock is invisible to the run's
     * comparison ("what it compared is what it writes" no longer holds). Not the proof's fault: the
     * proof sees the same old snapshot, finds the updater open in it and takes no proof, so the next
     * run compares and repairs (the last lines hold). The run that waited reports the row unchanged.
     */
    @Test
    void an_update_committed_while_a_repeatable_read_run_waits_for_the_lock() throws Exception {
        proved("CREATE TABLE names (code text PRIMARY KEY, name text NOT NULL);\n",
                "table: names\nkey: code\nrows: names.csv\n", "names.csv", "code,name\nx,alpha\n");
        db.execute("ALTER DATABASE " + Catalog.quote(db.text("SELECT current_database()"))
                + " SET default_transaction_isolation = 'repeatable read'");
        try (var holder = db.holder(null); var statement = holder.createStatement()) {
            statement.execute("UPDATE names SET name = 'Evil' WHERE code = 'x'");
            var waiting = java.util.concurrent.CompletableFuture.supplyAsync(() -> run("--full", "--json"));
            db.await(30, "the run never queued behind the table's lock", "SELECT pid FROM pg_stat_activity WHERE datname = "
                    + "current_database() AND application_name = 'seed_database' AND wait_event_type = 'Lock' "
                    + "AND wait_event = 'relation'");
            holder.commit();
            var full = waiting.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(0, full.exitCode(), full::toString);
            assertEquals(1, file(full).get("updated").asInt(), "the run that waited for the lock missed the update: " + full);
        }
        plainAgreesWithFull();
        assertEquals("alpha", db.text("SELECT name FROM names"));
    }

    /** 'now' is a valid timestamptz, and means another time at each run: a comparison always finds it changed. */
    @Test
    void a_value_whose_meaning_is_the_time_of_the_run() {
        proved("CREATE TABLE stamps (code text PRIMARY KEY, at timestamptz NOT NULL);\n",
                "table: stamps\nkey: code\nrows: stamps.csv\n", "stamps.csv", "code,at\nx,now\n");
        plainAgreesWithFull();
    }

    /** A regclass value names a table by name: the same name, after the table is made again, is another value. */
    @Test
    void a_regclass_value_whose_table_was_made_again() {
        proved("CREATE TABLE targets (code text PRIMARY KEY, target regclass NOT NULL);\nCREATE TABLE other (x integer);\n",
                "table: targets\nkey: code\nrows: targets.csv\n", "targets.csv", "code,target\nx,other\n");
        db.execute("DROP TABLE other");
        db.execute("CREATE TABLE other (x integer)");
        plainAgreesWithFull();
    }

    /** DateStyle from the database's settings (the driver asks for ISO; the order of fields is the database's). */
    @Test
    void the_database_date_order_changes_what_the_file_means() {
        proved("CREATE TABLE days (code text PRIMARY KEY, day date NOT NULL);\n",
                "table: days\nkey: code\nrows: days.csv\n", "days.csv", "code,day\nx,01/02/2024\n");
        db.execute("ALTER DATABASE " + Catalog.quote(db.text("SELECT current_database()")) + " SET datestyle = 'ISO, DMY'");
        plainAgreesWithFull();
    }

    /** array_nulls = off: the unquoted NULL of an array is the text NULL, no longer a null element. */
    @Test
    void the_database_array_nulls_setting_changes_what_the_file_means() {
        proved("CREATE TABLE tags (code text PRIMARY KEY, tags text[] NOT NULL);\n",
                "table: tags\nkey: code\nrows: tags.csv\n", "tags.csv", "code,tags\nx,\"{a,NULL}\"\n");
        db.execute("ALTER DATABASE " + Catalog.quote(db.text("SELECT current_database()")) + " SET array_nulls = off");
        plainAgreesWithFull();
    }

    /** timezone_abbreviations: IST is Israel's time in the Default set, India's in the India set. */
    @Test
    void the_database_time_zone_abbreviations_change_what_the_file_means() {
        proved("CREATE TABLE stamps (code text PRIMARY KEY, at timestamptz NOT NULL);\n",
                "table: stamps\nkey: code\nrows: stamps.csv\n", "stamps.csv", "code,at\nx,2024-01-01 12:00 IST\n");
        db.execute("ALTER DATABASE " + Catalog.quote(db.text("SELECT current_database()")) + " SET timezone_abbreviations = 'India'");
        plainAgreesWithFull();
    }

    /**
     * A child that is a foreign table: its rows live elsewhere (here, through postgres_fdw, in
     * another database) and change without a row version in the seeded table.
     */
    @Test
    void a_foreign_child_whose_rows_change_elsewhere() throws Exception {
        String database = db.text("SELECT current_database()") + "_far";
        TestDatabase.admin("DROP DATABASE IF EXISTS " + Catalog.quote(database));
        TestDatabase.admin("CREATE DATABASE " + Catalog.quote(database));
        try (var far = TestDatabase.connect(TestDatabase.urlFor(database)); var statement = far.createStatement()) {
            statement.execute("CREATE TABLE remote_c (symbol text NOT NULL, name text NOT NULL); INSERT INTO remote_c VALUES ('C', 'Gamma')");
            aForeignChild(database, statement);
        } finally {
            TestDatabase.admin("DROP DATABASE IF EXISTS " + Catalog.quote(database) + " WITH (FORCE)");
        }
    }

    private void aForeignChild(String database, java.sql.Statement far) throws Exception {
        proved("""
                        CREATE EXTENSION postgres_fdw;
                        CREATE SERVER loopback FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '5432', dbname '%s');
                        CREATE USER MAPPING FOR CURRENT_USER SERVER loopback OPTIONS (user 'postgres');
                        CREATE TABLE instruments (symbol text NOT NULL PRIMARY KEY, name text NOT NULL);
                        CREATE FOREIGN TABLE instruments_far () INHERITS (instruments) SERVER loopback OPTIONS (table_name 'remote_c');
                        """.formatted(database), "table: instruments\nkey: symbol\nrows: instruments.csv\n",
                "instruments.csv", "symbol,name\nA,Alpha\nB,Beta\nC,Gamma\n");
        far.execute("UPDATE remote_c SET name = 'Evil'");
        assertEquals("Evil", db.text("SELECT name FROM instruments WHERE symbol = 'C'"));
        plainAgreesWithFull();
    }

    /** A table of the proofs' name that the tool did not make: the run must say so (as for the history table), not fail in SQL. */
    @Test
    void a_table_of_the_proofs_name_that_is_not_one() {
        TestDatabase.write(workspace.resolve("migrations/V2__attack.sql"),
                "CREATE TABLE names (code text PRIMARY KEY, name text NOT NULL);\nCREATE TABLE seed_history_proofs (x integer);\n");
        seeds("attack.yaml", "table: names\nkey: code\nrows: names.csv\n");
        seeds("names.csv", "code,name\nx,alpha\n");
        var first = run();
        assertTrue(first.exitCode() == 0 || first.err().contains("seed_history_proofs") && !first.err().contains("PostgreSQL:"),
                first::toString);
    }

    /**
     * The checksum is SHA-256 over the YAML file's bytes then the CSV file's, with nothing between:
     * a line moved from the CSV file into a comment at the YAML file's end leaves it the same.
     */
    @Test
    void a_row_moved_between_the_yaml_and_the_csv_file_keeps_the_checksum() {
        String yaml = "table: names\nkey: code\nrows: names.csv\n";
        proved("CREATE TABLE names (code text PRIMARY KEY, name text NOT NULL);\n",
                yaml + "#code,name\n", "names.csv", "code,name\na,b\n");
        seeds("attack.yaml", yaml + "#");
        seeds("names.csv", "code,name\ncode,name\na,b\n");   // one row more: (code, name)
        plainAgreesWithFull();
        assertEquals(2, db.count("SELECT count(*) FROM names"));
    }
}
