import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A lost connection is retried with --retries in whichever phase of the run it happens, and a
 * data error never is. Each test holds a real run in one phase by real means — the run lock or
 * Flyway's history table held by another session, or a pause that the database setting
 * seed_test.pause switches on in a migration, in the equality operator of a column type (the
 * diff), in a domain's check (COPY into the stage), in a trigger (the writes, the history) —
 * terminates its backend there, and checks: without --retries, exit 3 and nothing written; with
 * --retries 1, exit 0 and the database exactly as one uninterrupted run leaves it.
 */
class RetryTest extends FreshProject {

    /** Notes whose text compares through a slow SQL function, and a pause for each phase. */
    static final String PAUSES = """
            CREATE FUNCTION seed_test_pause(phase text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
                IF current_setting('seed_test.pause', true) = phase THEN
                    PERFORM pg_sleep(0.05);
                END IF;
                RETURN true;
            END
            $$;
            -- A text type of its own, whose = (and so IS DISTINCT FROM, the diff) pauses.
            CREATE TYPE slow_text;
            CREATE FUNCTION slow_text_in(cstring) RETURNS slow_text LANGUAGE internal IMMUTABLE STRICT AS 'textin';
            CREATE FUNCTION slow_text_out(slow_text) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'textout';
            CREATE TYPE slow_text (INPUT = slow_text_in, OUTPUT = slow_text_out, LIKE = text);
            CREATE CAST (slow_text AS text) WITHOUT FUNCTION AS IMPLICIT;
            CREATE FUNCTION slow_text_eq(slow_text, slow_text) RETURNS boolean LANGUAGE sql VOLATILE AS
                $$ SELECT seed_test_pause('diff') AND $1::text = $2::text $$;
            CREATE OPERATOR = (LEFTARG = slow_text, RIGHTARG = slow_text, FUNCTION = slow_text_eq);
            -- Checked for every row COPY puts into the stage.
            CREATE DOMAIN paused_text AS text CHECK (seed_test_pause('copy'));
            CREATE TABLE notes (code text PRIMARY KEY, note slow_text NOT NULL, tag paused_text);
            CREATE FUNCTION notes_pause() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM seed_test_pause('write');
                RETURN NEW;
            END
            $$;
            CREATE TRIGGER notes_pause BEFORE UPDATE ON notes FOR EACH ROW EXECUTE FUNCTION notes_pause();
            """;

    static final int NOTES = 300;

    /** The same project, run once without interruption: what a retried run must leave. */
    final TestDatabase reference = TestDatabase.create(RetryTest.class);
    String oneGoodRun;

    @BeforeAll
    void oneUninterruptedRun() {
        var project = project(reference);
        var run = reference.run(project);
        assertEquals(0, run.exitCode(), run::toString);
        oneGoodRun = content(reference);
    }

    @Override
    Path newProject() {
        return project(db);
    }

    @BeforeEach
    void seededDatabaseWithWorkToDo() {
        // Each seed file records a history row: a pause there holds the run after its writes, before its commit.
        db.execute("""
                CREATE FUNCTION history_pause() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM seed_test_pause('history') FROM generate_series(1, 1200);
                    RETURN NEW;
                END
                $$;
                CREATE TRIGGER history_pause BEFORE INSERT ON seed_history FOR EACH ROW EXECUTE FUNCTION history_pause();
                """);
    }

    @AfterAll
    void dropReference() {
        reference.close();
    }

    /**
     * The project seeded once into the database, then changed so that the next run has work in
     * every phase: a pending migration, every note changed.
     */
    static Path project(TestDatabase database) {
        var project = TestDatabase.workspace();
        TestDatabase.write(project.resolve("migrations/V20260301__notes.sql"), PAUSES);
        TestDatabase.write(project.resolve("seeds/notes.yaml"), notes("first"));
        var first = database.run(project);
        assertEquals(0, first.exitCode(), first::toString);
        TestDatabase.write(project.resolve("migrations/V20260302__notes_checked.sql"), """
                SELECT seed_test_pause('migration') FROM generate_series(1, 1200);
                ALTER TABLE notes ADD COLUMN checked boolean NOT NULL DEFAULT false;
                """);
        TestDatabase.write(project.resolve("seeds/notes.yaml"), notes("second").replace("tag: t}", "tag: t, checked: true}"));
        TestDatabase.edit(project.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");
        return project;
    }

    static String notes(String text) {
        var yaml = new StringBuilder("table: notes\nkey: code\nrows:\n");
        for (int i = 0; i < NOTES; i++) {
            yaml.append("  - {code: N").append(i).append(", note: ").append(text).append(' ').append(i).append(", tag: t}\n");
        }
        return yaml.toString();
    }

    /** What the tables hold, without ids, times and row versions: equal for two databases that got the same runs. */
    static String content(TestDatabase database) {
        return String.join("\n", List.of(
                database.text("SELECT string_agg(code || '=' || note::text || '/' || checked, '|' ORDER BY code) FROM notes"),
                database.text("SELECT string_agg(version, ',' ORDER BY installed_rank) FROM flyway_schema_history WHERE success"),
                database.text("SELECT typical_agent_cost::text FROM llm_models WHERE model_id = 'gpt-4o'"),
                database.text("SELECT string_agg(file || ':' || inserted || '+' || updated, ',' ORDER BY started_at, file) FROM seed_history")));
    }

    void pause(String phase) {
        TestDatabase.admin("ALTER DATABASE " + db.name + (phase == null ? " RESET seed_test.pause" : " SET seed_test.pause = '" + phase + "'"));
    }

    /** The backend of the run, once it is held in the phase the condition on pg_stat_activity describes. */
    int runIn(String condition) throws InterruptedException {
        return (Integer) db.await(60, "no run got to where " + condition, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                + "AND application_name = 'seed_database' AND state = 'active' AND now() - query_start > interval '0.3 s' AND " + condition);
    }

    /**
     * A run that loses its connection in the phase described: held there, its backend terminated,
     * then the phase let go (the pause switched off, the lock released) for whatever runs next.
     */
    TestDatabase.Run lostIn(String condition, Runnable letGo, String... args) throws Exception {
        var run = CompletableFuture.supplyAsync(() -> run(args));
        TestDatabase.admin("SELECT pg_terminate_backend(" + runIn(condition) + ")");
        letGo.run();   // within the second the retry waits before it starts again
        return run.get(120, TimeUnit.SECONDS);
    }

    /** The same, for a run held by the pause in a phase. */
    void retriedOnlyWhenAsked(String condition, String phase) throws Exception {
        retriedOnlyWhenAsked(condition, () -> pause(phase), () -> pause(null));
    }

    /** Without --retries: exit 3, nothing written. With --retries 1: exit 0, and what one good run leaves. */
    void retriedOnlyWhenAsked(String condition, Runnable holdIt, Runnable letGo) throws Exception {
        String before = db.snapshot();
        holdIt.run();
        var lost = lostIn(condition, letGo, "--lock-timeout", "60");

        assertEquals(3, lost.exitCode(), lost::toString);
        assertTrue(lost.err().contains("The connection was lost during the run: PostgreSQL rolls back what it did; --retries N runs "
                + "it again"), lost::toString);
        assertTrue(!lost.err().contains("\tat ") && !lost.err().contains("--verbose"), "no stack trace, not a bug: " + lost);
        assertEquals(before, db.snapshot(), "nothing written");

        holdIt.run();
        var retried = lostIn(condition, letGo, "--retries", "1", "--lock-timeout", "60");

        assertEquals(0, retried.exitCode(), retried::toString);
        assertTrue(retried.err().contains("Retrying in 1 s (retry 1 of 1)."), retried::toString);
        assertEquals(oneGoodRun, content(db));
    }

    @Test
    void a_connection_lost_while_waiting_for_the_run_lock_is_retried() throws Exception {
        try (Connection holder = db.holder(null)) {
            int holderPid = pid(holder);
            retriedOnlyWhenAsked("pg_blocking_pids(pid) @> ARRAY[" + holderPid + "] AND query LIKE '%pg_advisory_xact_lock%'",
                    () -> execute(holder, "SELECT pg_advisory_xact_lock(" + Session.RUN_LOCK + ")"), () -> execute(holder, "ROLLBACK"));
        }
    }

    @Test
    void a_connection_lost_while_flyway_reads_its_history_is_retried() throws Exception {
        try (Connection holder = db.holder(null)) {
            int holderPid = pid(holder);
            retriedOnlyWhenAsked("pg_blocking_pids(pid) @> ARRAY[" + holderPid + "]",
                    () -> execute(holder, "LOCK TABLE flyway_schema_history IN ACCESS EXCLUSIVE MODE"), () -> execute(holder, "ROLLBACK"));
        }
    }

    @Test
    void a_connection_lost_in_a_migration_is_retried() throws Exception {
        retriedOnlyWhenAsked("query LIKE '%seed_test_pause(''migration'')%'", "migration");
    }

    @Test
    void a_connection_lost_while_copying_into_the_stage_is_retried() throws Exception {
        retriedOnlyWhenAsked("query LIKE 'COPY %'", "copy");
    }

    @Test
    void a_connection_lost_in_the_diff_is_retried() throws Exception {
        retriedOnlyWhenAsked("query LIKE 'WITH d AS (INSERT INTO %s.ctid, t.ctid FROM %notes%'", "diff");
    }

    @Test
    void a_connection_lost_in_the_writes_is_retried() throws Exception {
        retriedOnlyWhenAsked("query LIKE 'UPDATE %notes%'", "write");
    }

    @Test
    void a_connection_lost_while_recording_the_history_is_retried() throws Exception {
        retriedOnlyWhenAsked("query LIKE 'INSERT INTO %seed_history%'", "history");
    }

    @Test
    void info_is_retried_too_and_writes_nothing() throws Exception {
        String before = db.snapshot();
        pause("diff");
        var retried = lostIn("query LIKE 'WITH d AS (INSERT INTO %s.ctid, t.ctid FROM %notes%'", () -> pause(null), "info", "--retries", "1");

        assertEquals(0, retried.exitCode(), retried::toString);
        assertTrue(retried.err().contains("Retrying in 1 s (retry 1 of 1)."), retried::toString);
        assertTrue(retried.out().contains("20260302"), "the pending migration is listed:\n" + retried);
        assertEquals(before, db.snapshot());
    }

    @Test
    void a_data_error_is_not_retried_in_any_phase() {
        String before = db.snapshot();
        TestDatabase.write(workspace.resolve("seeds/notes.yaml"), notes("second").replace("tag: t}", "tag: t, checked: maybe}"));
        var badValue = run("--retries", "3");
        assertEquals(1, badValue.exitCode(), badValue::toString);
        assertTrue(badValue.err().contains("seeds/notes.yaml:"), badValue::toString);
        assertFalse(badValue.err().contains("Retrying"), badValue::toString);

        TestDatabase.write(workspace.resolve("migrations/V20260303__broken.sql"), "SELECT 1 / 0;\n");
        var badMigration = run("--retries", "3");
        assertEquals(1, badMigration.exitCode(), badMigration::toString);
        assertTrue(badMigration.err().contains("migrations/V20260303__broken.sql:1: migration failed: PostgreSQL: division by zero"),
                badMigration::toString);
        assertFalse(badMigration.err().contains("Retrying"), badMigration::toString);
        assertEquals(before, db.snapshot());
    }

    static int pid(Connection connection) throws Exception {
        try (var rows = connection.createStatement().executeQuery("SELECT pg_backend_pid()")) {
            rows.next();
            return rows.getInt(1);
        }
    }

    static void execute(Connection connection, String sql) {
        try (var statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
