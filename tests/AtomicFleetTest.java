import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.util.ArrayList;
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
 * --atomic over a fleet, on a private server (a second server, with max_prepared_transactions):
 * all targets committed or none; a target whose constraint refuses the change, or that cannot
 * prepare (the shared server has max_prepared_transactions = 0), leaves every target as it was;
 * what a crash leaves in doubt is resolved by the next run, by the commit point's fate; the tool
 * killed between prepare and commit leaves, after a rerun, nothing in doubt and one version everywhere.
 */
class AtomicFleetTest extends PrivateFleet {

    AtomicFleetTest() {
        super("tenant_", 4);
    }

    @Test
    void every_target_commits_when_every_one_prepared() {
        var run = run(0, urls(), "--targets", "targets.yaml", "--atomic");

        for (String name : databases) {
            assertEquals("25.00", proPrice(name), run::toString);
        }
        assertEquals(0, inDoubt());
        assertTrue(run.out().contains("4 targets in") && run.out().contains("4 changed, 0 in sync."), run::toString);
        assertTrue(run.out().contains("; committed"), run::toString);
        assertTrue(run(0, urls(), "--targets", "targets.yaml", "--atomic").out().contains(": 4 in sync."));
    }

    @Test
    void a_constraint_that_refuses_the_change_on_one_target_changes_nothing_anywhere() {
        run(0, urls(), "--targets", "targets.yaml", "--atomic");
        execute(databases.get(2), "ALTER TABLE prices ADD CONSTRAINT cheap CHECK (price < 50 OR code <> 'pro')");
        pro("60.00");

        var run = run(1, urls(), "--targets", "targets.yaml", "--atomic", "--parallel", "1");

        for (String name : databases) {
            assertEquals("25.00", proPrice(name), name + "\n" + run);
        }
        assertEquals(0, inDoubt(), run::toString);
        assertTrue(run.out().contains("1 failed: " + databases.get(2)), run::toString);
        assertTrue(run.out().contains("2 rolled back (--atomic: all or none), 1 not started"), run::toString);
        var json = run(1, urls(), "--targets", "targets.yaml", "--atomic", "--json").json();
        assertEquals(1, json.get("exit_code").asInt());
        assertEquals("failed", json.get("targets").get(2).get("status").asText());
        // Without --atomic the others commit, and the report names the one that refused.
        var isolated = run(1, urls(), "--targets", "targets.yaml");
        assertEquals("25.00", proPrice(databases.get(2)));
        assertEquals("60.00", proPrice(databases.get(3)), isolated::toString);
    }

    @Test
    void a_target_whose_server_cannot_prepare_leaves_every_target_as_it_was() {
        TestDatabase.write(workspace.resolve("targets.yaml"), "targets:\n"
                + "  - {name: private, url: \"${URL_" + databases.get(0).toUpperCase() + "}\"}\n"
                + "  - {name: shared, url: \"" + db.url() + "\"}\n");

        var run = run(2, urls(), "--targets", "targets.yaml", "--atomic");

        assertTrue(run.out().contains("max_prepared_transactions"), run::toString);
        assertEquals(null, text(databases.get(0), "SELECT to_regclass('prices')::text"), run::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
        assertEquals(0, inDoubt());
    }

    /** What a crash between the two phases leaves: the commit point's transaction as given, another target's prepared. */
    private String crashed(boolean pointCommitted) {
        run(0, urls(), "--targets", "targets.yaml");
        String run = "0123456789abcdef0123456789abcdef";
        String hash = AllOrNone.hash(databases.get(0));
        String pointXid;
        try (var connection = TestDatabase.connect(url(databases.get(0))); var statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            // As a run does: the run lock, kept by the prepared transaction.
            statement.execute("SELECT pg_advisory_xact_lock(" + Session.RUN_LOCK + ")");
            statement.execute("UPDATE prices SET label = 'crashed run' WHERE code = 'pro'");
            try (var rows = statement.executeQuery("SELECT pg_current_xact_id()::text")) {
                rows.next();
                pointXid = rows.getString(1);
            }
            statement.execute(pointCommitted ? "COMMIT" : "PREPARE TRANSACTION 'seed_database:" + run + ":0:0:" + hash + "'");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        String gid = "seed_database:" + run + ":1:" + pointXid + ":" + hash;
        try (var connection = TestDatabase.connect(url(databases.get(1))); var statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            // As a run does: the run lock, kept by the prepared transaction.
            statement.execute("SELECT pg_advisory_xact_lock(" + Session.RUN_LOCK + ")");
            statement.execute("UPDATE prices SET label = 'crashed run' WHERE code = 'pro'");
            statement.execute("PREPARE TRANSACTION '" + gid + "'");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return gid;
    }

    @Test
    void a_transaction_in_doubt_is_committed_when_its_commit_point_committed() {
        String gid = crashed(true);

        // check resolves nothing (it writes nothing): it names the transaction.
        var check = run(1, urls(), "check", "--targets", "targets.yaml");
        assertTrue(check.out().contains(gid) && check.out().contains("this command only reads"), check::toString);
        assertEquals(1, inDoubt());

        // A run does, first: the crashed run's change is committed there, then the run puts the file's value back.
        var run = run(0, urls(), "--targets", "targets.yaml");
        assertEquals(0, inDoubt(), run::toString);
        assertTrue(run.err().contains(databases.get(1) + ": an --atomic run's transaction " + gid)
                && run.err().contains("committed, as its commit point was"), run::toString);
        assertTrue(run.out().contains("2 changed, 2 in sync."), run::toString);
        assertEquals(2, run.out().split("label: crashed run → Pro plan", -1).length - 1, run::toString);
    }

    @Test
    void a_transaction_in_doubt_is_rolled_back_with_its_commit_point_when_that_never_committed() {
        crashed(false);

        var run = run(0, urls(), "--targets", "targets.yaml");

        assertEquals(0, inDoubt(), run::toString);
        assertTrue(run.err().contains("rolled back, as its commit point was never committed"), run::toString);
        assertEquals("Pro plan", text(databases.get(1), "SELECT label FROM prices WHERE code = 'pro'"));
        assertEquals("Pro plan", text(databases.get(0), "SELECT label FROM prices WHERE code = 'pro'"));
        assertTrue(run.out().contains(": 4 in sync."), run::toString);
    }

    @Test
    void a_transaction_in_doubt_whose_commit_point_is_not_a_target_is_named_and_left_alone() {
        String gid = crashed(true);
        targets(databases.subList(1, 4));

        var run = run(1, urls(), "--targets", "targets.yaml");

        assertTrue(run.out().contains(gid) && run.out().contains("COMMIT PREPARED '" + gid + "'"), run::toString);
        assertEquals(1, inDoubt());
        // A single run there stops at once: the prepared transaction holds the run lock, and would not let go by waiting.
        long started = System.nanoTime();
        var single = run(4, "--url", url(databases.get(1)));
        assertTrue(single.err().contains(gid) && single.err().contains("Rerun that fleet command"), single::toString);
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(30), "it did not wait for --lock-timeout");
    }

    @Test
    void a_run_still_under_way_is_left_alone() throws SQLException {
        crashed(false);
        try (var alive = TestDatabase.connect(url(databases.get(0))); var statement = alive.createStatement()) {
            // What the coordinator of that run holds while it works: its liveness lock on the commit point.
            statement.execute("SELECT pg_advisory_lock(" + AllOrNone.liveness("0123456789abcdef0123456789abcdef") + ")");

            var run = run(4, urls(), "--targets", "targets.yaml");

            assertTrue(run.out().contains("another --atomic fleet run is under way"), run::toString);
            assertEquals(2, inDoubt(), run::toString);
        }
        run(0, urls(), "--targets", "targets.yaml");
        assertEquals(0, inDoubt());
    }

    @Test
    void one_database_under_two_names_is_refused_and_nothing_changes() {
        run(0, urls(), "--targets", "targets.yaml");
        pro("40.00");
        TestDatabase.write(workspace.resolve("targets.yaml"), "targets:\n"
                + "  - {name: by-address, url: \"" + url(databases.get(0)) + "\"}\n"
                + "  - {name: by-name, url: \"" + url(databases.get(0)).replace("127.0.0.1", "localhost") + "\"}\n");

        var run = run(2, urls(), "--targets", "targets.yaml", "--atomic");

        assertTrue(run.out().contains("another target of this run too"), run::toString);
        assertEquals("25.00", proPrice(databases.get(0)), run::toString);
        assertEquals(0, inDoubt());
    }

    @Test
    void a_prepared_id_is_widened_to_the_full_id_nearest_the_servers_own() {
        long epoch = 7L << 32;
        assertEquals(epoch + 1300, AllOrNone.widened(1300, epoch + 1299), "a snapshot's xmax below the prepared id");
        assertEquals(epoch + 1300, AllOrNone.widened(1300, epoch + 5000));
        assertEquals(epoch - 10, AllOrNone.widened(0xFFFF_FFF6L, epoch + 20), "the counter wrapped since");
        assertEquals(epoch + 5, AllOrNone.widened(5, epoch - 20), "prepared just after the wrap, xmax just before");
    }

    @Test
    void the_tool_killed_between_prepare_and_commit_leaves_one_version_everywhere_after_a_rerun() throws Exception {
        run(0, urls(), "--targets", "targets.yaml");
        pro("30.00");
        var log = TestDatabase.scratch("atomic-kill");
        var env = new java.util.HashMap<>(urls());
        env.put("SEED_DATABASE_HOME", workspace.toString());
        var tool = TestDatabase.startTool(workspace, env, log, "--targets", "targets.yaml", "--atomic", "--parallel", "1");
        boolean seenPrepared = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (tool.isAlive() && System.nanoTime() < deadline && !seenPrepared) {
            seenPrepared = inDoubt() > 0;
        }
        tool.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        assertTrue(seenPrepared, "the run ended before a transaction was prepared: " + TestDatabase.read(log.resolve("err")));

        // migrate resolves what is in doubt and has nothing else to do: what is left is the killed run's outcome.
        var rerun = run(0, urls(), "migrate", "--targets", "targets.yaml");

        assertEquals(0, inDoubt(), rerun::toString);
        var prices = databases.stream().map(this::proPrice).distinct().toList();
        assertEquals(1, prices.size(), "one version everywhere: " + prices + "\n" + rerun);
        assertTrue(List.of("25.00", "30.00").contains(prices.get(0)), prices::toString);
    }
}
