import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Runs against one database at the same time are serialized by an advisory lock, never interleaved. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConcurrencyTest {

    final TestDatabase db = TestDatabase.create(ConcurrencyTest.class);
    final Path workspace = TestDatabase.workspace();

    @BeforeEach
    void freshDatabase() {
        db.recreate();
    }

    @AfterAll
    void dropDatabase() {
        db.close();
    }

    @Test
    void a_run_waits_for_the_run_that_holds_the_lock() throws Exception {
        try (var holder = TestDatabase.connect(db.url())) {
            holder.setAutoCommit(false);
            holder.createStatement().execute("SELECT pg_advisory_xact_lock(" + Session.RUN_LOCK + ")");

            var waiting = CompletableFuture.supplyAsync(() -> db.run(workspace));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (db.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    + "AND application_name = 'seed_database' AND wait_event_type = 'Lock' AND wait_event = 'advisory'") == 0) {
                assertTrue(System.nanoTime() < deadline, "the run never queued behind the lock");
                Thread.sleep(20);
            }
            assertFalse(waiting.isDone(), "the run waits while the lock is held");
            assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));

            holder.commit();
            var run = waiting.get(60, TimeUnit.SECONDS);
            assertEquals(0, run.exitCode(), run::toString);
            assertEquals(8, db.count("SELECT count(*) FROM llm_models"));
        }
    }
}
