import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two-phase mode (Config.withPrepareAs): a run whose transaction ends with PREPARE TRANSACTION,
 * on a private server that allows prepared transactions (the shared one has
 * max_prepared_transactions = 0, PostgreSQL's default). Its scratch tables are not temporary
 * (PostgreSQL cannot prepare a transaction that touched one): the staged paths, CSV and YAML with
 * references, and the skip proof's probe run here in the transaction's own schema.
 */
class TwoPhaseTest extends WithDatabase {

    private static final String PASSWORD = "pw-for-two-phase";
    private static final AtomicInteger DATABASES = new AtomicInteger();

    private static final Map<String, String> PROJECT = Map.of(
            "migrations/V1__tables.sql", """
                    CREATE TABLE exchanges (id bigserial PRIMARY KEY, code text NOT NULL UNIQUE, name text NOT NULL);
                    CREATE TABLE instruments (id bigserial PRIMARY KEY, symbol text NOT NULL UNIQUE, name text NOT NULL,
                                              tick numeric(12,6) NOT NULL);
                    CREATE TABLE listings (id bigserial PRIMARY KEY, code text NOT NULL UNIQUE,
                                           exchange_id bigint NOT NULL REFERENCES exchanges (id), note text);
                    """,
            "seeds/exchanges.yaml", "table: exchanges\nkey: code\nrows:\n  - {code: XNYS, name: NYSE}\n  - {code: XNAS, name: Nasdaq}\n",
            "seeds/instruments.yaml", "table: instruments\nkey: symbol\nrows: instruments.csv\n",
            "seeds/instruments.csv", "symbol,name,tick\nA,Alpha,0.01\nB,Beta,0.5\nC,Gamma,1\n",
            "seeds/listings.yaml", "table: listings\nkey: code\nrows:\n  - {code: L1, exchange_id: {code: XNYS}, note: first}\n"
                    + "  - {code: L2, exchange_id: {code: XNAS}, note: second}\n");

    private PrivateServer server;
    /** The private server's database of the test in progress. */
    private String database;

    @BeforeAll
    void startServer() throws Exception {
        server = PrivateServer.start(db, "seed_owner", PASSWORD, "max_prepared_transactions=10");
    }

    @AfterAll
    void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void freshDatabaseAndProject() throws SQLException {
        database = "two_phase_" + DATABASES.incrementAndGet();
        admin("CREATE DATABASE " + database);
        workspace = TestDatabase.scratch("two-phase-project");
        PROJECT.forEach((file, text) -> TestDatabase.write(workspace.resolve(file), text));
    }

    @AfterEach
    void dropPrivateDatabase() throws SQLException {
        // A test that failed half-way may leave a prepared transaction: it would keep the database from being dropped.
        for (var doubt : TwoPhase.inDoubt(target())) {
            TwoPhase.rollbackPrepared(target(), doubt.gid());
        }
        admin("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    }

    private void admin(String sql) throws SQLException {
        try (var connection = TestDatabase.connect(server.url(PASSWORD)); var statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private String url() {
        return server.url(PASSWORD).replace("/postgres", "/" + database);
    }

    private DatabaseTarget target() {
        return DatabaseTarget.resolve(url(), Map.of());
    }

    /** One value from another connection to the test's database: what a transaction that is not the run's sees. */
    private String text(String sql) throws SQLException {
        try (var connection = TestDatabase.connect(url()); var statement = connection.createStatement();
             var rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    private long count(String sql) throws SQLException {
        return Long.parseLong(text(sql));
    }

    /** The tool's command line, in-process, against the test's database. */
    private TestDatabase.Run cli(String... args) {
        return TestDatabase.runWith(Map.of("DATABASE_URL", url()), workspace, args);
    }

    /** A run of the whole project in two-phase mode, its transaction prepared as gid; against url. */
    private Results.RunOutcome prepared(String url, String gid) {
        var options = new Options();
        options.quiet = true;
        var env = new HashMap<String, String>();
        env.put("DATABASE_URL", url);
        var config = Config.of(Mode.RUN, options, null, env, workspace, null, new Secrets(),
                new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true)).withPrepareAs(gid);
        return new Runner(config).run();
    }

    private long prepared(String gid) throws SQLException {
        return count("SELECT count(*) FROM pg_prepared_xacts WHERE gid = '" + gid + "'");
    }

    private long scratchSchemas() throws SQLException {
        return count("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'seed\\_database\\_scratch\\_%'");
    }

    @Test
    void a_prepared_run_is_seen_by_no_one_until_committed_and_holds_the_run_lock_until_then() throws SQLException {
        String gid = "seed_database:test:commit";
        prepared(url(), gid);
        assertEquals(1, prepared(gid));
        assertEquals(List.of(gid), TwoPhase.inDoubt(target()).stream().map(TwoPhase.InDoubt::gid).toList());
        assertEquals("seed_owner", TwoPhase.inDoubt(target()).get(0).owner());
        // Another connection sees nothing of it: not the migrated tables, not the history, not the scratch schema.
        assertNull(text("SELECT to_regclass('public.instruments')::text"));
        assertNull(text("SELECT to_regclass('public.seed_history')::text"));
        assertEquals(0, scratchSchemas());

        // The prepared transaction keeps the run lock: a later run stops at once (it would not end by waiting), naming it.
        var blocked = cli("--lock-timeout", "1");
        assertEquals(SeedError.EXIT_LOCKED, blocked.exitCode(), blocked::toString);
        assertTrue(blocked.output().contains("the prepared transaction " + gid), blocked::toString);

        assertTrue(TwoPhase.commitPrepared(target(), gid));
        assertFalse(TwoPhase.commitPrepared(target(), gid), "gone: committed already");
        assertFalse(TwoPhase.rollbackPrepared(target(), gid), "gone: nothing to roll back");
        assertEquals(0, prepared(gid));
        assertEquals(List.of(), TwoPhase.inDoubt(target()));
        assertEquals(3, count("SELECT count(*) FROM instruments"));
        assertEquals("Beta", text("SELECT name FROM instruments WHERE symbol = 'B'"));
        assertEquals("XNAS", text("SELECT e.code FROM listings l JOIN exchanges e ON e.id = l.exchange_id WHERE l.code = 'L2'"));
        assertEquals(1, count("SELECT count(DISTINCT run_id) FROM seed_history"));
        assertEquals(0, scratchSchemas());
        // And the run lock is free again.
        assertEquals(0, cli().exitCode());
    }

    @Test
    void a_prepared_run_rolled_back_leaves_nothing() throws SQLException {
        String gid = "seed_database:test:rollback";
        prepared(url(), gid);
        assertEquals(1, prepared(gid));
        assertTrue(TwoPhase.rollbackPrepared(target(), gid));
        assertFalse(TwoPhase.rollbackPrepared(target(), gid), "gone: rolled back already");
        assertFalse(TwoPhase.commitPrepared(target(), gid), "gone: nothing to commit");
        assertEquals(0, prepared(gid));
        assertEquals(0, count("SELECT count(*) FROM pg_prepared_xacts"));
        assertNull(text("SELECT to_regclass('public.instruments')::text"));
        assertNull(text("SELECT to_regclass('public.seed_history')::text"));
        assertNull(text("SELECT to_regclass('public.flyway_schema_history')::text"));
        assertEquals(0, scratchSchemas());
        assertEquals(0, count("SELECT count(*) FROM pg_class WHERE relpersistence = 'u'"), "no unlogged table left anywhere");
    }

    /**
     * The staged paths (a CSV file COPYed as written, YAML rows with references), their changes
     * tables and the proof's probe, in two-phase mode; the proof it took lets the next normal run
     * skip the CSV file.
     */
    @Test
    void csv_and_yaml_with_references_are_staged_and_compared_and_the_proof_holds_for_the_next_normal_run() throws SQLException {
        // Migrated and loaded normally first: a run that migrates takes no proof, and a CSV file into an empty table is loaded directly.
        var first = cli();
        assertEquals(0, first.exitCode(), first::toString);
        TestDatabase.write(workspace.resolve("seeds/instruments.csv"), "symbol,name,tick\nA,Alpha,0.02\nB,Beta,0.5\nC,Gamma,1\nD,Delta,2\n");
        TestDatabase.write(workspace.resolve("seeds/listings.yaml"), "table: listings\nkey: code\nrows:\n"
                + "  - {code: L1, exchange_id: {code: XNAS}, note: first}\n  - {code: L2, exchange_id: {code: XNAS}, note: second}\n"
                + "  - {code: L3, exchange_id: {code: XNYS}, note: third}\n");
        String gid = "seed_database:test:staged";
        var outcome = prepared(url(), gid);
        var instruments = outcome.seeds().stream().filter(f -> f.file().name().equals("instruments.yaml")).findFirst().orElseThrow();
        assertTrue(instruments.compared());
        assertEquals(1, instruments.inserted());
        assertEquals(1, instruments.updated());
        assertEquals("0.010000", text("SELECT tick::text FROM instruments WHERE symbol = 'A'"), "not committed yet");
        assertTrue(TwoPhase.commitPrepared(target(), gid));

        assertEquals("0.020000", text("SELECT tick::text FROM instruments WHERE symbol = 'A'"));
        assertEquals(4, count("SELECT count(*) FROM instruments"));
        assertEquals("XNAS", text("SELECT e.code FROM listings l JOIN exchanges e ON e.id = l.exchange_id WHERE l.code = 'L1'"));
        assertEquals("XNYS", text("SELECT e.code FROM listings l JOIN exchanges e ON e.id = l.exchange_id WHERE l.code = 'L3'"));
        assertEquals(1, count("SELECT count(*) FROM seed_history_proofs WHERE file = 'instruments.yaml'"));
        assertEquals(0, scratchSchemas());

        var next = cli("--json");
        assertEquals(0, next.exitCode(), next::toString);
        var file = WithDatabase.file(next, "instruments.yaml");
        assertFalse(file.get("compared").asBoolean(), "the proof of the two-phase run holds: " + next);
        assertEquals(4, file.get("unchanged").asInt());
    }

    /**
     * A fleet prepares one database's transaction, then runs the next database of the server: the
     * prepared one is open in every snapshot, but it belongs to another database (pg_prepared_xacts
     * says which), where alone it wrote: the next database's run still takes its proof.
     */
    @Test
    void a_transaction_prepared_in_another_database_does_not_keep_a_run_from_taking_its_proof() throws SQLException {
        String other = database;
        String gid = "seed_database:test:other-database";
        prepared(url(), gid);
        database = "two_phase_" + DATABASES.incrementAndGet();
        admin("CREATE DATABASE " + database);
        try {
            assertEquals(0, cli().exitCode(), "migrated: no proof");
            var compared = cli("--json");
            assertEquals(0, compared.exitCode(), compared::toString);
            assertEquals(1, count("SELECT count(*) FROM seed_history_proofs WHERE file = 'instruments.yaml'"), compared::toString);
            var next = cli("--json");
            assertFalse(WithDatabase.file(next, "instruments.yaml").get("compared").asBoolean(), next::toString);
        } finally {
            admin("DROP DATABASE " + database + " WITH (FORCE)");
            database = other;
        }
        assertTrue(TwoPhase.rollbackPrepared(target(), gid));
    }

    /** A migration that uses a temporary table: PostgreSQL refuses the PREPARE, and the run says why; nothing is left. */
    @Test
    void a_migration_with_a_temporary_table_cannot_be_prepared_and_says_so() throws SQLException {
        TestDatabase.write(workspace.resolve("migrations/V2__scratch.sql"), "CREATE TEMPORARY TABLE migration_scratch (x integer);\n");
        var refused = assertThrows(SeedError.class, () -> prepared(url(), "seed_database:test:temporary"));
        assertEquals(SeedError.EXIT_FAILED, refused.exitCode);
        assertTrue(refused.getMessage().contains("temporary objects"), refused.getMessage());
        assertTrue(refused.hint.contains("a migration"), refused.hint);
        assertEquals(0, count("SELECT count(*) FROM pg_prepared_xacts"));
        assertNull(text("SELECT to_regclass('public.instruments')::text"));
    }

    /** The one maker of scratch tables: temporary normally, in the transaction's own schema in two-phase mode, gone at PREPARE. */
    @Test
    void scratch_tables_are_temporary_normally_and_of_the_transactions_schema_in_two_phase_mode() throws SQLException {
        try (var normal = Session.connect(target(), true)) {
            normal.begin(Session.Limits.DEFAULT, true, note -> { });
            assertEquals("pg_temp.\"seed_stage_0\"", normal.scratchTable("seed_stage_0", "x integer"));
            assertEquals("pg_temp.seed_proof_probe", normal.proofProbe());
            assertEquals("pg_temp.seed_proof_probe", normal.proofProbe(), "made once, kept");
            assertThrows(IllegalStateException.class, () -> normal.prepare("seed_database:test:not-two-phase"));
        }
        String gid = "seed_database:test:scratch";
        try (var session = Session.connect(target(), true)) {
            session.twoPhase = true;
            session.begin(Session.Limits.DEFAULT, true, note -> { });
            String stage = session.scratchTable("seed_stage_0", "x integer");
            assertTrue(stage.matches("\"seed_database_scratch_\\d+_[0-9a-f]+\"\\.\"seed_stage_0\""), stage);
            String probe = session.proofProbe();
            assertEquals(stage.substring(0, stage.indexOf('.')), probe.substring(0, probe.indexOf('.')), "one schema");
            assertEquals(probe, session.proofProbe());
            session.run("INSERT INTO " + stage + " VALUES (1)");
            assertEquals("u", session.handle.createQuery("SELECT relpersistence::text FROM pg_class WHERE oid = ?::regclass")
                    .bind(0, stage).mapTo(String.class).one(), "unlogged");
            session.prepare(gid);
            assertTrue(session.prepared());
        }
        assertEquals(1, prepared(gid), "close() left the prepared transaction alone");
        assertTrue(TwoPhase.rollbackPrepared(target(), gid));
        assertEquals(0, scratchSchemas());
    }

    /**
     * A PREPARE whose connection is lost may or may not have been done: said so, and the attempt
     * is not run again (Runner.withRetries asks prepareSent). Lost before it (the scratch schema's
     * DROP), the transaction is gone for sure: an ordinary lost connection, which a retry may run again.
     */
    @Test
    void a_connection_lost_at_prepare_is_said_to_leave_the_transaction_in_doubt() throws SQLException {
        try (var session = Session.connect(target(), true)) {
            session.twoPhase = true;
            session.begin(Session.Limits.DEFAULT, true, note -> { });
            session.run("CREATE TABLE written (x integer)");
            terminate(session);
            var lost = assertThrows(SeedError.class, () -> session.prepare("seed_database:test:lost"));
            assertTrue(lost.getMessage().contains("whether the server prepared it is not known"), lost.getMessage());
            assertEquals(SeedError.EXIT_UNREACHABLE, lost.exitCode);
            assertTrue(session.prepareSent());
            assertFalse(session.prepared());
        }
        try (var session = Session.connect(target(), true)) {
            session.twoPhase = true;
            session.begin(Session.Limits.DEFAULT, true, note -> { });
            session.scratchTable("seed_stage_0", "x integer");
            terminate(session);
            var lost = assertThrows(SeedError.class, () -> session.prepare("seed_database:test:lost"));
            assertFalse(lost.getMessage().contains("not known"), lost.getMessage());
            assertFalse(session.prepareSent());
        }
        assertEquals(List.of(), TwoPhase.inDoubt(target()));
        assertNull(text("SELECT to_regclass('public.written')::text"));
    }

    private void terminate(Session session) throws SQLException {
        int pid = session.handle.createQuery("SELECT pg_backend_pid()").mapTo(Integer.class).one();
        assertEquals("true", text("SELECT pg_terminate_backend(" + pid + ")::text"));
    }

    @Test
    void a_server_without_prepared_transactions_is_refused_before_anything_is_written() {
        // The shared server: max_prepared_transactions = 0. A password in the URL (trust ignores it) must not be shown.
        String withPassword = db.url().replace("postgresql://postgres@", "postgresql://postgres:not-to-be-shown@");
        assertTrue(withPassword.contains("not-to-be-shown"), withPassword);
        workspace = TestDatabase.scratch("two-phase-shared");
        PROJECT.forEach((file, text) -> TestDatabase.write(workspace.resolve(file), text));
        var refused = assertThrows(SeedError.class, () -> prepared(withPassword, "seed_database:test:refused"));
        assertEquals(SeedError.EXIT_USAGE, refused.exitCode);
        assertTrue(refused.getMessage().contains("max_prepared_transactions = 0"), refused.getMessage());
        assertTrue(refused.where.contains(db.name), refused.where);
        assertTrue(refused.hint.contains("set max_prepared_transactions in postgresql.conf"), refused.hint);
        for (String said : new String[]{refused.getMessage(), refused.where, refused.hint}) {
            assertFalse(said.contains("not-to-be-shown"), said);
        }
        assertEquals(0, db.count("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE n.nspname = 'public'"), "nothing migrated");
    }

    @Test
    void transaction_identifiers_are_the_tools_own() {
        for (String bad : new String[]{"seed_database:it's", "seed_database:a b", "no_prefix:1", "", "seed_database:"
                + "x".repeat(186), "seed_database:é"}) {
            assertThrows(IllegalArgumentException.class, () -> Session.checkedGid(bad), bad);
            assertThrows(IllegalArgumentException.class, () -> TwoPhase.commitPrepared(target(), bad), bad);
        }
        assertEquals("seed_database:" + "x".repeat(185), Session.checkedGid("seed_database:" + "x".repeat(185)));
        assertEquals("seed_database:fleet-1.a_b:2", Session.checkedGid("seed_database:fleet-1.a_b:2"));
    }
}
