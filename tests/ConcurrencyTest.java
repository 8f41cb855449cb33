import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Runs against one database at the same time are serialized by an advisory lock, never interleaved. */
class ConcurrencyTest extends FreshProject {

    @Test
    void a_run_waits_for_the_run_that_holds_the_lock() throws Exception {
        try (var holder = db.holder(null)) {
            holder.createStatement().execute("SELECT pg_advisory_xact_lock(" + Session.RUN_LOCK + ")");

            var waiting = CompletableFuture.supplyAsync(() -> run());
            db.await(30, "the run never queued behind the lock", "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    + "AND application_name = 'seed_database' AND wait_event_type = 'Lock' AND wait_event = 'advisory'");
            assertFalse(waiting.isDone(), "the run waits while the lock is held");
            assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));

            holder.commit();
            var run = waiting.get(60, TimeUnit.SECONDS);
            assertEquals(0, run.exitCode(), run::toString);
            assertEquals(8, db.count("SELECT count(*) FROM llm_models"));
        }
    }
}
