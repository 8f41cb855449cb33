import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Attacks on the fleet (--targets, --schemas, --atomic), on a private server with
 * max_prepared_transactions: what a crash leaves in doubt must be resolved by the next fleet run
 * whatever the target's schema is and however it came to be the run's schema; a signal must not
 * report "nothing was written" when targets committed, or were left prepared.
 */
class FleetAttackTest extends PrivateFleet {

    FleetAttackTest() {
        super("atk_", 3);
    }

    /**
     * Prepares, on database, what a killed --atomic run leaves: a transaction that holds the run
     * lock its run took there, the lock of the schema it wrote in (current_schema(), as
     * Session.begin computes it), with a change to the pro price.
     */
    private String prepare(String database, String schemaWrittenIn, String gid, boolean commit) {
        try (var connection = TestDatabase.connect(url(database)); var statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("SELECT pg_advisory_xact_lock(" + Session.runLock(schemaWrittenIn) + ")");
            statement.execute("UPDATE prices SET label = 'crashed run' WHERE code = 'pro'");
            String xid;
            try (var rows = statement.executeQuery("SELECT pg_current_xact_id()::text")) {
                rows.next();
                xid = rows.getString(1);
            }
            statement.execute(commit ? "COMMIT" : "PREPARE TRANSACTION '" + gid + "'");
            return xid;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A database whose default search_path is a schema (ALTER DATABASE … SET search_path, as
     * many a backend's role or database has): a run there writes in that schema and takes its run
     * lock. The run's transaction there, left prepared by a crash, must be resolved by the next
     * fleet run; it was not: recovery looked for the lock of the schema the URL names (none:
     * public's), found nothing, and every later run stopped with exit 4, told to "rerun that fleet
     * command", which resolved nothing.
     */
    @Test
    void a_transaction_in_doubt_on_a_database_whose_search_path_is_a_schema_is_resolved_by_the_next_run() {
        String tenant = databases.get(1);
        execute(tenant, "CREATE SCHEMA app");
        execute(tenant, "ALTER DATABASE " + tenant + " SET search_path = app");
        run(0, urls(), "--targets", "targets.yaml");
        assertEquals("app", text(tenant, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'prices'"));
        // A crash after the commit point committed: the second target's transaction is prepared, to be committed.
        String run = "0123456789abcdef0123456789abcdef";
        String hash = AllOrNone.hash(databases.get(0));
        String pointXid = prepare(databases.get(0), null, null, true);
        String gid = "seed_database:" + run + ":1:" + pointXid + ":" + hash;
        prepare(tenant, "app", gid, false);

        var rerun = run(urls(), "--targets", "targets.yaml");

        assertEquals(0, inDoubt(), rerun::toString);
        assertEquals(0, rerun.exitCode(), rerun::toString);
        assertTrue(rerun.err().contains(tenant + ": an --atomic run's transaction " + gid), rerun::toString);
    }

    /**
     * A schema whose name holds a double quote (t"2), a target of --schemas: its run writes in it
     * and takes its run lock; recovery read the schema's name from currentSchema ("t""2") as t,
     * so that what a crash left prepared there was never resolved.
     */
    @Test
    void a_transaction_in_doubt_in_a_schema_whose_name_has_a_quote_is_resolved_by_the_next_run() {
        String database = databases.get(0);
        execute(database, "CREATE SCHEMA \"t\"\"2\"");
        execute(database, "CREATE SCHEMA t3");
        run(0, "--url", url(database), "--schemas", "t%");
        // t"2 sorts first (" before 3): the commit point. The crash came before its commit: both are to be rolled back.
        String run = "0123456789abcdef0123456789abcdef";
        String hash = AllOrNone.hash("t\"2");
        String pointXid;
        try (var connection = TestDatabase.connect(url(database));
             var statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("SET search_path = \"t\"\"2\"");
            statement.execute("SELECT pg_advisory_xact_lock(" + Session.runLock("t\"2") + ")");
            statement.execute("UPDATE prices SET label = 'crashed run' WHERE code = 'pro'");
            try (var rows = statement.executeQuery("SELECT current_schema(), pg_current_xact_id()::text")) {
                rows.next();
                assertEquals("t\"2", rows.getString(1));
                pointXid = rows.getString(2);
            }
            statement.execute("PREPARE TRANSACTION 'seed_database:" + run + ":0:0:" + hash + "'");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        try (var connection = TestDatabase.connect(url(database));
             var statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("SET search_path = t3");
            statement.execute("SELECT pg_advisory_xact_lock(" + Session.runLock("t3") + ")");
            statement.execute("UPDATE prices SET label = 'crashed run' WHERE code = 'pro'");
            statement.execute("PREPARE TRANSACTION 'seed_database:" + run + ":1:" + pointXid + ":" + hash + "'");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }

        var rerun = run("--url", url(database), "--schemas", "t%");

        assertEquals(0, inDoubt(), rerun::toString);
        assertEquals(0, rerun.exitCode(), rerun::toString);
        assertEquals("Pro plan", text(database, "SELECT label FROM \"t\"\"2\".prices WHERE code = 'pro'"));
    }

    /** The tool, started as a process in the workspace, the tables of the last target locked until it waits there; then SIGTERM. */
    private TestDatabase.Run terminatedWhileTheLastTargetWaits(String... args) throws Exception {
        run(0, urls(), "--targets", "targets.yaml");
        pro("30.00");
        var log = TestDatabase.scratch("fleet-attack-signal");
        var env = new HashMap<>(urls());
        env.put("SEED_DATABASE_HOME", workspace.toString());
        String last = databases.get(databases.size() - 1);
        try (var locker = TestDatabase.connect(url(last)); var statement = locker.createStatement()) {
            locker.setAutoCommit(false);
            statement.execute("LOCK TABLE prices");
            var command = new ArrayList<>(List.of("--targets", "targets.yaml", "--parallel", "1"));
            command.addAll(List.of(args));
            var tool = TestDatabase.startTool(workspace, env, log, command.toArray(String[]::new));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            boolean waiting = false;
            while (tool.isAlive() && System.nanoTime() < deadline && !waiting) {
                waiting = !"0".equals(text(last, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        + "AND datname = current_database()"));
                Thread.sleep(100);
            }
            assertTrue(waiting, "the last target never waited: " + TestDatabase.read(log.resolve("err")));
            tool.destroy();   // SIGTERM
            assertTrue(tool.waitFor(60, TimeUnit.SECONDS));
            locker.rollback();
            return new TestDatabase.Run(tool.exitValue(), TestDatabase.read(log.resolve("out")),
                    TestDatabase.read(log.resolve("err")));
        }
    }

    /**
     * Without --atomic, targets commit one by one: terminated while the last one waits, the first
     * ones are committed. The tool said "interrupted: the run was rolled back; nothing was
     * written." — false: two targets have the new price.
     */
    @Test
    void a_fleet_terminated_after_targets_committed_does_not_say_nothing_was_written() throws Exception {
        var run = terminatedWhileTheLastTargetWaits();

        assertEquals("30.00", text(databases.get(0), "SELECT price FROM prices WHERE code = 'pro'"), run::toString);
        assertEquals("25.00", text(databases.get(2), "SELECT price FROM prices WHERE code = 'pro'"), run::toString);
        assertFalse(run.err().contains("nothing was written"), run::toString);
    }

    /**
     * With --atomic, terminated while the last target waits: the first ones are prepared, and stay
     * so (holding their locks, the run lock too) until the next fleet run. The tool said "the run
     * was rolled back; nothing was written" and named none of them.
     */
    @Test
    void an_atomic_fleet_terminated_with_targets_prepared_says_they_are_in_doubt() throws Exception {
        var run = terminatedWhileTheLastTargetWaits("--atomic");

        // Whether the coordinator rolls them back before the JVM halts is a race (it often loses): whichever, what is said holds.
        long prepared = inDoubt();
        if (prepared > 0) {
            assertFalse(run.err().contains("the run was rolled back"), prepared + " left prepared: " + run);
            assertTrue(run.err().contains("seed_database:"), "the prepared transactions are named: " + run);
        }
    }

    /**
     * What one crashed run left prepared in many schemas of one database, resolved by a run with
     * them in parallel: each target's recovery asks whether that run is under way by trying its
     * liveness lock on the commit point; two probes at the same moment took each other for the
     * run (exit 4, "another --atomic fleet run is under way") where there was none.
     */
    @Test
    void targets_recovering_in_parallel_do_not_take_each_other_for_a_run_under_way() {
        String database = databases.get(0);
        var schemas = new ArrayList<String>();
        for (int i = 0; i < 8; i++) {
            schemas.add("s" + i);
            execute(database, "CREATE SCHEMA s" + i);
        }
        run(0, "--url", url(database), "--schemas", "s%");
        String run = "0123456789abcdef0123456789abcdef";
        String hash = AllOrNone.hash("s0");
        String pointXid;
        // The commit point committed; every other schema's transaction prepared.
        try (var connection = TestDatabase.connect(url(database)); var statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("SET search_path = s0");
            statement.execute("SELECT pg_advisory_xact_lock(" + Session.runLock("s0") + ")");
            statement.execute("UPDATE prices SET label = 'crashed run' WHERE code = 'pro'");
            try (var rows = statement.executeQuery("SELECT pg_current_xact_id()::text")) {
                rows.next();
                pointXid = rows.getString(1);
            }
            statement.execute("COMMIT");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        for (int i = 1; i < schemas.size(); i++) {
            try (var connection = TestDatabase.connect(url(database)); var statement = connection.createStatement()) {
                connection.setAutoCommit(false);
                statement.execute("SET search_path = " + schemas.get(i));
                statement.execute("SELECT pg_advisory_xact_lock(" + Session.runLock(schemas.get(i)) + ")");
                statement.execute("UPDATE prices SET label = 'crashed run' WHERE code = 'pro'");
                statement.execute("PREPARE TRANSACTION 'seed_database:" + run + ":" + i + ":" + pointXid + ":" + hash + "'");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        var rerun = run("--url", url(database), "--schemas", "s%", "--parallel", "8", "migrate");

        assertFalse(rerun.output().contains("under way"), rerun::toString);
        assertEquals(0, rerun.exitCode(), rerun::toString);
        assertEquals(0, inDoubt(), rerun::toString);
        for (String schema : schemas) {
            assertEquals("crashed run", text(database, "SELECT label FROM " + schema + ".prices WHERE code = 'pro'"), schema);
        }
    }
}
