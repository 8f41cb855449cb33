import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A run either applies completely or leaves the database as it was: killed, interrupted, cut off
 * from PostgreSQL, or kept waiting. A ticks table, whose trigger sleeps on every row while the
 * database setting seed_test.slow is on, holds a run in the middle of its writes for as long as a
 * test needs.
 */
class SafetyTest extends FreshProject {

    static final String SLOW_TABLE = """
            CREATE TABLE ticks (symbol text PRIMARY KEY, price numeric(12, 4) NOT NULL);
            CREATE FUNCTION ticks_slowly() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('seed_test.slow', true) = 'on' THEN
                    PERFORM pg_sleep(0.01);
                END IF;
                RETURN NEW;
            END
            $$;
            CREATE TRIGGER ticks_slowly BEFORE INSERT ON ticks FOR EACH ROW EXECUTE FUNCTION ticks_slowly();
            """;

    @BeforeEach
    void seededDatabaseWithASlowTable() {
        TestDatabase.write(workspace.resolve("migrations/V20260301__ticks.sql"), SLOW_TABLE);
        var rows = new StringBuilder("table: ticks\nkey: symbol\nrows:\n");
        for (int i = 0; i < 2000; i++) {
            rows.append("  - {symbol: T").append(i).append(", price: ").append(i).append(".5}\n");
        }
        TestDatabase.write(workspace.resolve("seeds/ticks.yaml"), rows.toString());
        runOk();
        // The next run has work to do in every file's transaction: a price, and 2,000 new ticks.
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");
        TestDatabase.write(workspace.resolve("seeds/ticks.yaml"), rows.toString().replace("T", "U"));
    }

    void slow(boolean on) {
        TestDatabase.admin("ALTER DATABASE " + db.name + (on ? " SET seed_test.slow = 'on'" : " RESET seed_test.slow"));
    }

    /** The backend of a run that is inserting ticks, once there is one. */
    int runInTheMiddle() throws InterruptedException {
        return (Integer) db.await(60, "no run got to its writes", "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                + "AND state = 'active' AND application_name = 'seed_database' AND query LIKE 'INSERT INTO %ticks%'");
    }

    Process jbang(Path log) throws Exception {
        // ./jbang tells the tool where seed_database.java is, whose directories would win over the working directory.
        return TestDatabase.startTool(workspace, Map.of("DATABASE_URL", db.url(), "SEED_DATABASE_HOME", workspace.toString()), log);
    }

    @Test
    void a_run_killed_in_the_middle_leaves_nothing_and_the_next_run_succeeds() throws Exception {
        String before = db.snapshot();
        slow(true);
        var process = jbang(TestDatabase.scratch("run"));
        runInTheMiddle();

        process.toHandle().destroyForcibly();   // SIGKILL: no shutdown hook, no goodbye
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));

        assertEquals(before, db.snapshot(), "nothing of the killed run is there");
        slow(false);
        var next = run("--lock-timeout", "30");
        assertEquals(0, next.exitCode(), next::toString);
        assertTrue(next.out().contains("ticks.yaml → ticks: 2000 inserted"), next::toString);
        assertEquals("0.0450", db.text("SELECT typical_agent_cost::text FROM llm_models WHERE model_id = 'gpt-4o'"));
    }

    @Test
    void sigterm_rolls_back_and_exits_promptly_with_a_message() throws Exception {
        String before = db.snapshot();
        slow(true);
        Path log = TestDatabase.scratch("sigterm");
        var process = jbang(log);
        runInTheMiddle();

        process.destroy();   // SIGTERM
        assertTrue(process.waitFor(20, TimeUnit.SECONDS), "it stops at once, not after the 20 s the ticks would take");

        assertEquals(143, process.exitValue());
        assertTrue(Files.readString(log.resolve("err")).contains("interrupted: the run was rolled back; nothing was written."),
                Files.readString(log.resolve("err")));
        slow(false);
        assertEquals(before, db.snapshot());
    }

    @Test
    void a_lost_connection_is_a_clear_error_that_leaves_nothing_and_retries_only_when_asked() throws Exception {
        String before = db.snapshot();
        slow(true);
        var run = CompletableFuture.supplyAsync(() -> run());
        TestDatabase.admin("SELECT pg_terminate_backend(" + runInTheMiddle() + ")");
        var lost = run.get(60, TimeUnit.SECONDS);

        assertEquals(3, lost.exitCode(), lost::toString);
        assertTrue(lost.err().contains("terminating connection due to administrator command"), lost::toString);
        assertTrue(lost.err().contains("The connection was lost during the run: PostgreSQL rolls back what it did; --retries N runs it again"),
                lost::toString);
        assertEquals(before, db.snapshot());

        var retried = CompletableFuture.supplyAsync(() -> run("--retries", "2"));
        TestDatabase.admin("SELECT pg_terminate_backend(" + runInTheMiddle() + ")");
        slow(false);
        var result = retried.get(120, TimeUnit.SECONDS);
        assertEquals(0, result.exitCode(), result::toString);
        assertTrue(result.err().contains("Retrying in 1 s (retry 1 of 2)."), result::toString);
        assertTrue(result.out().contains("ticks.yaml → ticks: 2000 inserted"), result::toString);
    }

    @Test
    void a_data_error_is_never_retried() {
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "max_tokens: 16385", "max_tokens: lots");

        var run = run("--retries", "3");

        assertEquals(1, run.exitCode(), run::toString);
        assertFalse(run.err().contains("Retrying"), run::toString);
    }

    @Test
    void a_run_that_cannot_get_the_run_lock_says_who_holds_it_and_gives_up_at_the_lock_timeout() throws Exception {
        try (Connection holder = db.holder("deploy-replica-2")) {
            holder.createStatement().execute("SELECT pg_advisory_xact_lock(" + Session.RUN_LOCK + ")");

            var run = run("--lock-timeout", "1");

            assertEquals(4, run.exitCode(), run::toString);
            assertTrue(run.err().startsWith("waiting for the run lock, held by deploy-replica-2 (pid "), run::toString);
            assertTrue(run.err().contains("error: postgres@127.0.0.1:5432/" + db.name + ": gave up after 1 s waiting for the run "
                    + "lock, held by deploy-replica-2 (pid "), run::toString);
            assertTrue(run.err().contains("Another seed_database run is still at work on this database"), run::toString);
        }
    }

    @Test
    void a_table_an_application_transaction_holds_is_waited_for_no_longer_than_the_lock_timeout() throws Exception {
        try (Connection holder = db.holder("backend-worker")) {
            holder.createStatement().execute("UPDATE llm_models SET description = description WHERE model_id = 'gpt-4'");
            String before = db.snapshot();

            var run = run("seed", "--lock-timeout", "1");

            assertEquals(4, run.exitCode(), run::toString);
            assertTrue(run.err().contains("seeds/llm_models.yaml: gave up after 1 s waiting to lock llm_models, which "
                    + "backend-worker (pid "), run::toString);
            holder.rollback();
            assertEquals(before, db.snapshot());
        }
    }

    /**
     * A row lock does not conflict with the run's table lock (FOR UPDATE takes ROW SHARE on the
     * table), so the wait is for the row: whatever statement waits (an UPDATE, removal's DELETE, the
     * ownership table's INSERT of a key another transaction inserted and has not committed), the
     * timeout names the holder as the run-lock and table-lock timeouts do.
     */
    @Test
    void a_row_another_transaction_holds_is_waited_for_no_longer_than_the_lock_timeout_and_its_holder_is_named() throws Exception {
        // An UPDATE: the run changes gpt-4o, which the application holds FOR UPDATE.
        assertRowWaitNamesTheHolder("llm_models", "SELECT model_id FROM llm_models WHERE model_id = 'gpt-4o' FOR UPDATE");

        // removal: delete: paper-trade is taken out of its file, and the application holds it FOR SHARE.
        Path tutorial = workspace.resolve("seeds/tutorial_data.yaml");
        String steps = TestDatabase.read(tutorial);
        TestDatabase.write(tutorial, steps.substring(0, steps.indexOf("  - slug: paper-trade\n")));
        assertRowWaitNamesTheHolder("tutorial_steps", "SELECT slug FROM tutorial_steps WHERE slug = 'paper-trade' FOR SHARE");

        // The ownership table: a new step, whose ownership another transaction has inserted, not committed. The run
        // locks the whole table before it reads who owns what (what it reads is what its skip proof records).
        TestDatabase.write(tutorial, steps + "  - {slug: new-step, position: 5, title: New, body: A new step.}\n");
        String before = db.snapshot();
        try (Connection holder = db.holder("order-router")) {
            holder.createStatement().execute("INSERT INTO seed_history_rows VALUES ('\"public\".\"tutorial_steps\"', 'new-step', "
                    + "'elsewhere.yaml')");
            var pid = holder.createStatement().executeQuery("SELECT pg_backend_pid()");
            pid.next();
            var run = run("seed", "--lock-timeout", "1");
            assertEquals(4, run.exitCode(), run::toString);
            assertTrue(run.err().contains("gave up after 1 s waiting to lock seed_history_rows, which order-router (pid "
                    + pid.getInt(1) + ", user "), run::toString);
            holder.rollback();
        }
        assertEquals(before, db.snapshot(), "nothing was written");
    }

    private void assertRowWaitNamesTheHolder(String table, String holding) throws Exception {
        String before = db.snapshot();
        try (Connection holder = db.holder("order-router")) {
            holder.createStatement().execute(holding);
            var pid = holder.createStatement().executeQuery("SELECT pg_backend_pid()");
            pid.next();

            var run = run("seed", "--lock-timeout", "1");

            assertEquals(4, run.exitCode(), run::toString);
            assertTrue(run.err().contains("gave up after 1 s waiting for a row of " + table + ", which order-router (pid "
                    + pid.getInt(1) + ", user "), run::toString);
            assertTrue(run.err().contains("holds locked. A transaction of the application has locked the row"), run::toString);
            holder.rollback();
        }
        assertEquals(before, db.snapshot(), "nothing was written");
    }

    @Test
    void statements_and_lock_waits_are_bounded_by_default_and_by_the_options() {
        TestDatabase.write(workspace.resolve("migrations/V20260302__observe.sql"), "CREATE TABLE observed AS SELECT "
                + "current_setting('lock_timeout') AS lock_timeout, current_setting('statement_timeout') AS statement_timeout;\n");
        assertEquals(0, run().exitCode());
        assertEquals("2min|10min", db.text("SELECT lock_timeout || '|' || statement_timeout FROM observed"));

        TestDatabase.write(workspace.resolve("migrations/V20260303__slow.sql"), "SELECT pg_sleep(5);\n");
        var stopped = run("--statement-timeout", "1");
        assertEquals(4, stopped.exitCode(), stopped::toString);
        assertTrue(stopped.err().contains("migrations/V20260303__slow.sql:1: migration stopped: a statement ran longer than "
                + "--statement-timeout allows"), stopped::toString);
    }

    @Test
    void eight_runs_at_once_give_exactly_what_one_run_gives() throws Exception {
        var fresh = TestDatabase.create(SafetyTest.class);
        try {
            var runs = new ArrayList<CompletableFuture<TestDatabase.Run>>();
            var start = new java.util.concurrent.CountDownLatch(1);
            for (int i = 0; i < 8; i++) {
                runs.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return fresh.run(workspace);
                }, java.util.concurrent.Executors.newCachedThreadPool()));
            }
            start.countDown();
            int wrote = 0;
            for (var run : runs) {
                var result = run.get(120, TimeUnit.SECONDS);
                assertEquals(0, result.exitCode(), result::toString);
                wrote += result.out().contains("7 migrations and") ? 1 : 0;
            }
            assertEquals(1, wrote, "one run did the work, the others found nothing to do");

            db.recreate();
            assertEquals(0, run().exitCode());
            assertEquals(content(db), content(fresh));
            assertEquals(7, fresh.count("SELECT count(*) FROM flyway_schema_history"));
        } finally {
            fresh.close();
        }
    }

    /** What the tables hold, with generated ids and times replaced by the natural keys they stand for. */
    static String content(TestDatabase database) {
        return String.join("\n", List.of(
                database.text("SELECT string_agg((to_jsonb(m) - 'id' - 'created_at' - 'updated_at')::text, '|' ORDER BY model_id) FROM llm_models m"),
                database.text("SELECT string_agg(p.name || m.model_id || p.steps::text, '|' ORDER BY p.name) FROM pipeline_templates p "
                        + "JOIN llm_models m ON m.id = p.llm_model_id"),
                database.text("SELECT string_agg(s.code || coalesce(p.code, '-'), '|' ORDER BY s.code) FROM scanners s "
                        + "LEFT JOIN scanners p ON p.id = s.parent_id"),
                database.text("SELECT string_agg(s.code || c.code || t.name || s.risk_per_trade, '|' ORDER BY s.code) FROM strategies s "
                        + "JOIN scanners c ON c.id = s.scanner_id JOIN pipeline_templates t ON t.id = s.pipeline_template_id"),
                database.text("SELECT string_agg(slug || position, '|' ORDER BY slug) FROM tutorial_steps"),
                database.text("SELECT count(DISTINCT symbol) || '/' || count(*) || '/' || sum(price) FROM ticks")));
    }
}
